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
    return pdf.tobytes(garbage=3, deflate=True)


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
    return pdf.tobytes(garbage=3, deflate=True)


def tiff_frames(frames: int = 4, w: int = 7000, h: int = 7000) -> bytes:
    "A multi-page TIFF of `frames` blank bilevel frames of `w`×`h` (each just under a 50 MP limit; a few KB compressed)"
    buf = io.BytesIO()
    ims = [Image.new('1', (w, h), 1) for _ in range(frames)]
    ims[0].save(buf, 'TIFF', save_all=True, append_images=ims[1:], compression='group4')
    return buf.getvalue()
