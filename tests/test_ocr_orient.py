"Pages turned, upside down, skewed or inside a PDF with /Rotate: OCR turns them upright and reports boxes on the page as sent"
import io
import numpy as np, pymupdf, pytest
from PIL import Image
from invoice_lab import extract
from invoice_lab.core import Box, data_dir
from invoice_lab.ocr import load_document

RECEIPT = data_dir()/'sroie'/'train'/'X00016469612.jpg'

def png(im) -> bytes:
    buf = io.BytesIO(); im.save(buf, 'PNG'); return buf.getvalue()

@pytest.fixture(scope='module')
def upright():
    im = Image.open(RECEIPT).convert('RGB')
    doc = load_document(png(im), cache=False)
    return im, doc, extract(doc)

def close(a, b, tol):
    return all(abs(x - y) <= tol for x, y in zip(a, b))

def word_box(doc, text) -> Box:
    return next(w.box for w in doc.words if w.text.upper() == text)

def test_upright_receipt_stays_as_it_is(upright):
    im, doc, res = upright
    p = doc.pages[0]
    assert (p.rotation, p.skew) == (0, 0.)
    assert p.lines[0].text.upper() == 'TAN WOON YANN'
    assert res.fields['total'].raw == '9.00'

def test_upside_down_photo_reads_right_with_boxes_where_the_words_are(upright):
    im, doc0, res0 = upright
    doc = load_document(png(im.rotate(180)), cache=False)
    p, W, H = doc.pages[0], im.width, im.height
    assert p.rotation == 180 and doc.meta['orientation'].startswith('page 0: ')
    assert p.lines[0].text.upper() == 'TAN WOON YANN'          # words in reading order, not right to left
    b0, b = word_box(doc0, 'TAN'), word_box(doc, 'TAN')
    assert close(b.as_list(), [W - b0.x1, H - b0.y1, W - b0.x0, H - b0.y0], 3)
    res = extract(doc)
    assert res.fields['total'].raw == '9.00'
    t0 = res0.fields['total'].box
    assert close(res.fields['total'].box, [W - t0[2], H - t0[3], W - t0[0], H - t0[1]], 3)

def test_skewed_photo_is_straightened_and_the_extractor_sees_it_straight(upright):
    im, doc0, res0 = upright
    doc = load_document(png(im.rotate(-8, expand=True, fillcolor='white', resample=Image.BICUBIC)), cache=False)
    p = doc.pages[0]
    assert p.rotation == 0 and 6.5 <= p.skew <= 9.5
    res = extract(doc)
    assert {k: res.fields[k].raw for k in ('date', 'total')} == {k: res0.fields[k].raw for k in ('date', 'total')}
    b = Box.from_list(res.fields['total'].box)
    assert b.x1 <= p.width and b.y1 <= p.height and b.height > Box.from_list(res0.fields['total'].box).height  # box around the slanted word

def scan_pdf(im, rotate:int) -> bytes:
    "A one-page scanned PDF: `im` as the page image, 72 dpi, with `/Rotate rotate`"
    pdf = pymupdf.open(); pg = pdf.new_page(width=im.width, height=im.height)
    buf = io.BytesIO(); im.save(buf, 'JPEG', quality=95)
    pg.insert_image(pg.rect, stream=buf.getvalue()); pg.set_rotation(rotate)
    return pdf.tobytes()

def test_scanned_pdf_page_with_rotate_is_read_upright_boxes_on_the_page_as_shown(upright):
    im, doc0, res0 = upright
    doc = load_document(scan_pdf(im, 90), cache=False)     # /Rotate 90: viewers show the receipt turned clockwise
    p = doc.pages[0]
    assert (doc.kind, p.unit, p.rotation) == ('pdf', 'pt', 90)
    assert (p.width, p.height) == (im.height, im.width)
    assert p.lines[0].text.upper() == 'TAN WOON YANN'
    res = extract(doc)
    assert res.fields['total'].raw == '9.00'
    shown = [[im.height - b.y1, b.x0, im.height - b.y0, b.x1] for b in (w.box for w in doc0.words if w.text == '9.00')]  # turned clockwise: (x, y) shows at (H - y, x)
    assert len(shown) >= 2 and any(close(res.fields['total'].box, s, 4) for s in shown)  # the receipt prints 9.00 more than once: either may be picked

def test_sideways_scan_that_rotate_shows_upright_needs_no_turn(upright):
    im, _, _ = upright
    doc = load_document(scan_pdf(im.rotate(90, expand=True), 90), cache=False)   # stored turned left, /Rotate 90 turns it back
    p = doc.pages[0]
    assert (p.rotation, p.width, p.height) == (0, im.width, im.height)
    assert p.lines[0].text.upper() == 'TAN WOON YANN'

@pytest.mark.parametrize('im', [Image.new('RGB', (800, 1000), 'white'),
                                Image.fromarray(np.random.default_rng(0).integers(0, 255, (900, 700, 3), dtype=np.uint8)),
                                Image.new('RGB', (1, 5000), 'black')], ids=['blank', 'noise', 'strip'])
def test_no_text_means_orientation_unknown_not_a_crash(im):
    doc = load_document(png(im), cache=False)
    p = doc.pages[0]
    assert (p.rotation, p.skew) == (None, None)
    assert 'unknown' in doc.meta['orientation']

def test_cache_keeps_what_was_applied(upright, tmp_path, monkeypatch):
    monkeypatch.setenv('INVOICE_LAB_CACHE', str(tmp_path))
    im, _, _ = upright
    data = png(im.rotate(-90, expand=True))
    a = load_document(data)
    b = load_document(data)
    assert list(tmp_path.glob('ocr/rapidocr/*/*.json'))
    assert (b.pages[0].rotation, b.text) == (a.pages[0].rotation, a.text) == (90, a.text)
    assert b.pages[0].lines[0].text.upper() == 'TAN WOON YANN'
