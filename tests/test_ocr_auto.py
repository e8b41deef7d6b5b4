"`--ocr auto`: each PDF page is read from its text layer, by OCR, or both, and the document says which and why"
import io
import pymupdf
from PIL import Image
from invoice_lab.core import data_dir
from invoice_lab.ocr import load_document, read_document

RECEIPT = data_dir()/'sroie'/'train'/'X00016469612.jpg'
WORDS = ' '.join(f'word{i}' for i in range(40))

def jpeg(im) -> bytes:
    buf = io.BytesIO(); im.save(buf, 'JPEG', quality=95); return buf.getvalue()

def pdf_pages(*pages) -> bytes:
    "A PDF with one page per `(text, image_rect)`: a line of 40 words at the top (if text) and the receipt photo in `image_rect`"
    pdf = pymupdf.open()
    receipt = Image.open(RECEIPT).convert('RGB')
    for text, rect in pages:
        pg = pdf.new_page(width=595, height=842)
        if rect: pg.insert_image(pymupdf.Rect(*rect), stream=jpeg(receipt))
        if text: pg.insert_textbox(pymupdf.Rect(20, 20, 575, 120), WORDS, fontsize=9)
    return pdf.tobytes()

def test_each_page_is_read_the_way_it_needs_with_the_reason():
    doc = read_document(pdf_pages((True, None), (False, (0, 0, 595, 842)), (True, (150, 130, 450, 790)), (True, (0, 0, 595, 842))))
    why = doc.meta['text_source'].split('; ')
    assert [w.split(':')[1].strip() for w in why] == ['text layer', 'OCR', 'text layer and OCR', 'text layer']
    assert 'searchable' in why[3] and 'no usable text layer' in why[1]
    assert [(p.has_image, bool(p.words)) for p in doc.pages] == [(False, True), (True, False), (True, True), (False, True)]

def test_both_keeps_the_text_layer_and_adds_what_ocr_reads_in_the_image():
    doc = load_document(pdf_pages((True, (150, 130, 450, 790))), cache=False)
    p = doc.pages[0]
    sources = {w.source for w in p.words}
    assert sources == {'pdf-text', 'rapidocr'}
    assert [w.text for w in p.words if w.source == 'pdf-text'] == WORDS.split()   # the text layer as it was
    ocr = [w for w in p.words if w.source == 'rapidocr']
    assert any(w.text == '9.00' for w in ocr) and all(w.box.y0 >= 125 for w in ocr)   # read inside the photo
    assert p.lines[0].text.startswith('word0 word1')

def test_images_say_ocr():
    assert read_document(RECEIPT).meta['text_source'] == 'page 0: OCR: an image'
