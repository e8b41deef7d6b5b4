"""Hostile documents, built in memory in milliseconds: e-invoice PDFs with crafted XML, compression bombs, huge pages,
multi-frame pixel bombs. Shared by the hardening tests and `experiments/fuzz_api.py` / `experiments/bench_hardening.py`."""
import io, zlib
import pymupdf
from PIL import Image


def cii_xml(total='119.00', tax='19.00', net='100.00', items=(), name='ACME GmbH', number='INV-1') -> bytes:
    "A minimal Factur-X (CII) invoice XML with these amounts and `items` as (name, amount) line items"
    lines = ''.join(f'<ram:IncludedSupplyChainTradeLineItem><ram:SpecifiedTradeProduct><ram:Name>{n}</ram:Name>'
                    f'</ram:SpecifiedTradeProduct><ram:SpecifiedLineTradeSettlement><ram:SpecifiedTradeSettlementLineMonetarySummation>'
                    f'<ram:LineTotalAmount>{a}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>'
                    f'</ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>' for n, a in items)
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
<rsm:ExchangedDocument><ram:ID>{number}</ram:ID><ram:TypeCode>380</ram:TypeCode>
<ram:IssueDateTime><udt:DateTimeString format="102">20240115</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction>{lines}
<ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty><ram:Name>{name}</ram:Name></ram:SellerTradeParty>
<ram:BuyerTradeParty><ram:Name>Buyer AG</ram:Name></ram:BuyerTradeParty></ram:ApplicableHeaderTradeAgreement>
<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
<ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:TaxBasisTotalAmount>{net}</ram:TaxBasisTotalAmount>
<ram:TaxTotalAmount currencyID="EUR">{tax}</ram:TaxTotalAmount><ram:GrandTotalAmount>{total}</ram:GrandTotalAmount>
<ram:DuePayableAmount>{total}</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>
</ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>'''.encode()


def einvoice_pdf(xml: bytes, page_text='ACME GmbH\nInvoice INV-1\nDate 15.01.2024\nNet 100.00 EUR\nVAT 19.00 EUR\nTotal 119.00 EUR') -> bytes:
    "A one-page PDF that prints `page_text` and carries `xml` as its embedded factur-x.xml"
    pdf = pymupdf.open()
    pdf.new_page(width=400, height=500).insert_text((40, 60), page_text, fontsize=11)
    pdf.embfile_add('factur-x.xml', xml)
    return pdf.tobytes(garbage=3, deflate=True, no_new_id=True)


def xml_bomb_pdf(mb: int = 300) -> bytes:
    "A PDF whose embedded factur-x.xml is a Flate stream that inflates to `mb` MB (compressed chunk by chunk: little memory)"
    pdf = pymupdf.open(stream=einvoice_pdf(b'<x/>'))
    xref = next(x for x in range(1, pdf.xref_length()) if pdf.xref_get_key(x, 'Type')[1] == '/EmbeddedFile')
    z, chunk = zlib.compressobj(9), b' ' * 2**20
    raw = b''.join([z.compress(b'<a>')] + [z.compress(chunk) for _ in range(mb)] + [z.compress(b'</a>'), z.flush()])
    pdf.update_stream(xref, raw, compress=False)
    pdf.xref_set_key(xref, 'Filter', '/FlateDecode')
    return pdf.tobytes()


def huge_pages_pdf(pages: int = 8, inches: int = 200) -> bytes:
    "A PDF of `pages` blank pages of `inches`×`inches` (the PDF maximum is 200 in): no text layer, so every page is rasterised"
    pdf = pymupdf.open()
    for _ in range(pages): pdf.new_page(width=72 * inches, height=72 * inches)
    return pdf.tobytes(garbage=3, deflate=True, no_new_id=True)


def tiff_frames(frames: int = 4, w: int = 7000, h: int = 7000) -> bytes:
    "A multi-page TIFF of `frames` blank bilevel frames of `w`×`h` (each just under a 50 MP limit; a few KB compressed)"
    buf = io.BytesIO()
    ims = [Image.new('1', (w, h), 1) for _ in range(frames)]
    ims[0].save(buf, 'TIFF', save_all=True, append_images=ims[1:], compression='group4')
    return buf.getvalue()


# --- generators for the fuzz run (hypothesis strategies): broken PDFs, crafted XML, odd images, odd requests
import struct
from hypothesis import strategies as st


def text_pdf(text='ACME Ltd\nInvoice INV-7\nDate 03.02.2024\nTotal 12.50 EUR', pages=1, size=(300, 400)) -> bytes:
    pdf = pymupdf.open()
    for _ in range(pages): pdf.new_page(width=size[0], height=size[1]).insert_text((30, 50), text)
    return pdf.tobytes(no_new_id=True)


def raw_pdf(media_box=b'[0 0 300 400]', count=1, extra=b'', content=b'BT /F1 12 Tf 30 350 Td (Total 9.00) Tj ET') -> bytes:
    "A hand-written PDF whose page tree may lie (`count`) and whose page may have any /MediaBox (negative, zero, huge)"
    objs = [b'<< /Type /Catalog /Pages 2 0 R >>', b'<< /Type /Pages /Count %d /Kids [3 0 R] >>' % count,
            b'<< /Type /Page /Parent 2 0 R /MediaBox %s /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> %s >>' % (media_box, extra),
            b'<< /Length %d >>\nstream\n%s\nendstream' % (len(content), content),
            b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>']
    out, offs = bytearray(b'%PDF-1.4\n'), []
    for i, o in enumerate(objs):
        offs.append(len(out)); out += b'%d 0 obj\n%s\nendobj\n' % (i + 1, o)
    x = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1) + b''.join(b'%010d 00000 n \n' % o for o in offs)
    out += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, x)
    return bytes(out)


def png_header(w: int, h: int, mode: int = 2) -> bytes:
    "A PNG that declares `w`×`h` (any size) with a few bytes of pixel data: a header-level pixel bomb"
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, mode, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(b'\x00' * 64)) + chunk(b'IEND', b''))


def image_bytes(w=120, h=80, mode='RGB', fmt='PNG', frames=1, text='TOTAL 9.00', orientation=None) -> bytes:
    from PIL import ImageDraw
    ims = []
    for _ in range(frames):
        im = Image.new('RGB', (w, h), 'white')
        ImageDraw.Draw(im).text((5, h // 3), text, fill='black')
        ims.append(im.convert(mode) if mode != 'RGB' else im)
    buf, kw = io.BytesIO(), {}
    if orientation:
        ex = Image.Exif(); ex[0x0112] = orientation; kw['exif'] = ex.tobytes()
    if frames > 1: kw.update(save_all=True, append_images=ims[1:])
    ims[0].save(buf, fmt, **kw)
    return buf.getvalue()


DECIMALS = st.one_of(
    st.builds(lambda m, e: f'{m}E{e:+d}', st.integers(-10**6, 10**6), st.integers(-10**9, 10**9)),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(['NaN', 'sNaN', '-sNaN', 'Infinity', '-0', '1E+10000000', '1E-5000000', '9' * 400, '0.' + '0' * 500 + '1', '', ' ', '1,5']),
    st.text(max_size=30))
"XML amounts: huge or tiny exponents, NaNs, long digit strings, junk"

XML_TEXT = st.one_of(st.text(max_size=80).map(lambda s: s.replace('<', '').replace('&', '')),
                     st.integers(0, 200_000).map(lambda n: 'N' * n))


@st.composite
def hostile_xml(draw) -> bytes:
    "An invoice XML with hostile values, or an XML attack (entities, DTDs), or junk"
    kind = draw(st.sampled_from(['cii', 'cii', 'cii', 'xxe', 'laughs', 'junk', 'deep', 'ubl']))
    if kind == 'cii':
        items = draw(st.lists(st.tuples(XML_TEXT, DECIMALS), max_size=5))
        items = [(n, a.replace('<', '').replace('&', '')) for n, a in items]
        n = draw(st.integers(0, 3000))
        xml = cii_xml(*(draw(DECIMALS).replace('<', '').replace('&', '') for _ in range(3)), items=items + [('x', '1.00')] * n,
                      name=draw(XML_TEXT), number=draw(XML_TEXT))
        return xml if draw(st.booleans()) else xml.replace(b'UTF-8', draw(st.sampled_from([b'latin-1', b'UTF-16', b'nope'])))
    if kind == 'xxe':
        return (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:x"><ID>&e;</ID></rsm:CrossIndustryInvoice>')
    if kind == 'laughs':
        ents = b''.join(b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;">' % ((i,) + (i - 1,) * 10) for i in range(1, 10))
        return b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">' + ents + b']><CrossIndustryInvoice>&l9;</CrossIndustryInvoice>'
    if kind == 'deep':
        d = draw(st.integers(100, 5000))
        return b'<CrossIndustryInvoice>' + b'<a>' * d + b'</a>' * d + b'</CrossIndustryInvoice>'
    if kind == 'ubl':
        return (b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>%s</ID><LegalMonetaryTotal>'
                b'<TaxInclusiveAmount>%s</TaxInclusiveAmount></LegalMonetaryTotal></Invoice>'
                % (draw(XML_TEXT).encode(), draw(DECIMALS).replace('<', '').replace('&', '').encode()))
    return draw(st.binary(max_size=2000))


@st.composite
def mutated(draw, data: bytes) -> bytes:
    "`data` with a few random byte edits: flips, cuts, inserted or repeated runs"
    b = bytearray(data)
    for op in draw(st.lists(st.sampled_from(['flip', 'cut', 'insert', 'repeat', 'zero']), min_size=1, max_size=4)):
        if not b: break
        i = draw(st.integers(0, len(b) - 1))
        if op == 'flip': b[i] ^= draw(st.integers(1, 255))
        elif op == 'cut': del b[i:]
        elif op == 'insert': b[i:i] = draw(st.binary(min_size=1, max_size=64))
        elif op == 'repeat': b[i:i] = b[i:i + draw(st.integers(1, 64))] * draw(st.integers(1, 50))
        else: b[i:i + draw(st.integers(1, 256))] = b'\x00' * 8
    return bytes(b)


@st.composite
def hostile_pdf(draw) -> bytes:
    kind = draw(st.sampled_from(['xml', 'xml', 'xml', 'mutated', 'mutated', 'box', 'count', 'pages', 'encrypted', 'bomb', 'huge']))
    if kind == 'xml':
        pdf = einvoice_pdf(draw(hostile_xml()), draw(st.sampled_from(['ACME GmbH\nTotal 119.00 EUR', 'ACME', ''])))
        return pdf if draw(st.booleans()) else draw(mutated(pdf))
    if kind == 'mutated': return draw(mutated(draw(st.sampled_from([text_pdf(), einvoice_pdf(cii_xml()), raw_pdf()]))))
    if kind == 'box':
        nums = st.one_of(st.integers(-10**9, 10**9), st.floats(allow_nan=False, allow_infinity=False, width=32)).map(lambda v: b'%g' % v)
        box = b'[' + b' '.join(draw(st.lists(nums, min_size=0, max_size=5))) + b']'
        extra = draw(st.sampled_from([b'', b'/Rotate 90', b'/Rotate 45', b'/Rotate -270', b'/UserUnit 75000', b'/CropBox [0 0 0 0]']))
        return raw_pdf(box, extra=extra)
    if kind == 'count': return raw_pdf(count=draw(st.integers(-5, 10**9)))
    if kind == 'pages': return text_pdf(pages=draw(st.integers(1, 8)), size=draw(st.sampled_from([(300, 400), (3, 3), (14400, 14400)])))
    if kind == 'encrypted':
        return pymupdf.open(stream=text_pdf()).tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=draw(st.sampled_from(['', 'u'])), owner_pw='o')
    if kind == 'bomb': return xml_bomb_pdf(draw(st.sampled_from([60, 150])))
    return huge_pages_pdf(draw(st.integers(1, 4)))


MODES = {'PNG': ['RGB', 'L', '1', 'P', 'RGBA', 'LA'], 'JPEG': ['RGB', 'L', 'CMYK'], 'TIFF': ['RGB', 'L', '1', 'P', 'RGBA', 'CMYK'],
         'BMP': ['RGB', 'L', '1', 'P'], 'WEBP': ['RGB', 'RGBA'], 'GIF': ['RGB', 'L', 'P', '1']}
"The image modes each format can save"

@st.composite
def hostile_image(draw) -> bytes:
    kind = draw(st.sampled_from(['plain', 'plain', 'mutated', 'header', 'frames']))
    if kind == 'header':
        return png_header(draw(st.integers(0, 2**31 - 1)), draw(st.integers(0, 2**31 - 1)), draw(st.sampled_from([0, 2, 3, 6, 7])))
    if kind == 'frames':
        return image_bytes(draw(st.integers(1, 64)), draw(st.integers(1, 64)), '1', 'TIFF', frames=draw(st.integers(2, 12)))
    fmt = draw(st.sampled_from(['PNG', 'JPEG', 'TIFF', 'BMP', 'WEBP', 'GIF']))
    mode = draw(st.sampled_from(MODES[fmt]))
    data = image_bytes(draw(st.integers(1, 320)), draw(st.integers(1, 240)), mode, fmt,
                       orientation=draw(st.sampled_from([None, 1, 3, 6, 8, 9, 0])) if fmt in ('JPEG', 'WEBP', 'PNG') else None)
    return data if kind == 'plain' else draw(mutated(data))


FILENAMES = st.one_of(st.text(max_size=40).map(lambda s: s.encode('utf-8', 'surrogatepass')), st.binary(max_size=40),
                      st.sampled_from([b'../../etc/passwd', b'bad\xffname.pdf', b'a"b.pdf', b'x\r\nX-Evil: 1.pdf', b'=cmd|\' /C calc\'!A0.pdf']))


@st.composite
def hostile_request(draw) -> dict:
    "Keyword arguments of one `TestClient.request`: an endpoint, its options, a hostile document, raw or multipart"
    path = draw(st.sampled_from(['/v1/extract', '/v1/extract', '/v1/ocr', '/v1/render']))
    doc = draw(st.one_of(hostile_pdf(), hostile_image(), st.binary(max_size=3000)))
    params = {}
    if path == '/v1/render':
        if draw(st.booleans()): params['page'] = draw(st.sampled_from(['0', '1', '7', '-1', '100000', 'x']))
        if draw(st.booleans()): params['max_side'] = draw(st.sampled_from(['64', '4000', '63', '999999']))
    else:
        params['ocr'] = draw(st.sampled_from(['pdf-text', 'pdf-text', 'auto', 'rapidocr', 'boxes', 'nope']))
        if draw(st.booleans()): params['pages'] = draw(st.sampled_from(['1', '1-3', '2,1', '0', '5-2', '1-100000', 'a', ',,']))
        if path == '/v1/extract' and draw(st.booleans()): params['fields'] = draw(st.sampled_from(['total', 'total,date', 'totl', '']))
    ctype = draw(st.sampled_from(['application/pdf', 'image/png', 'image/jpeg', 'image/tiff', 'application/octet-stream', 'text/plain', '']))
    how = draw(st.sampled_from(['raw', 'multipart', 'multipart5987']))
    if how == 'raw': return dict(method='POST', url=path, params=params, content=doc, headers={'Content-Type': ctype} if ctype else {})
    name = draw(FILENAMES)
    disp = (b'filename="' + name + b'"') if how == 'multipart' else (b"filename*=UTF-8''" + bytes(name.hex(), 'ascii'))
    body = (b'--bnd\r\nContent-Disposition: form-data; name="file"; ' + disp + b'\r\nContent-Type: ' + ctype.encode() + b'\r\n\r\n'
            + doc + b'\r\n--bnd--\r\n')
    return dict(method='POST', url=path, params=params, content=body, headers={'Content-Type': 'multipart/form-data; boundary=bnd'})
