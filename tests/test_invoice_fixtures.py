"The committed synthetic fixtures: regenerated bit for bit by the documented command, and read back field by field."
import json
from pathlib import Path
import pymupdf, pytest
from invoice_lab.ocr import read_document
from invoice_lab.invoice import extract_invoice_fields, INVOICE_FIELDS
from invoice_lab.normalize import normalize_amount
from invoice_lab.synthetic import generate

FIX = Path(__file__).parent/'fixtures'/'invoices'
PDFS = sorted(FIX.glob('synth_*.pdf'))

def _words(p):
    return [tuple(round(v) for v in w[:4]) + (w[4],) for pg in pymupdf.open(p) for w in pg.get_text('words')]

def test_fixtures_are_what_the_generator_writes(tmp_path):
    "`invoice-lab synth tests/fixtures/invoices --n 15` reproduces the committed files (same words in the same places, same labels)"
    generate(tmp_path, len(PDFS), seed=0)
    assert len(PDFS) == 15
    for p in PDFS:
        assert _words(tmp_path/p.name) == _words(p), p.name
        assert (tmp_path/p.with_suffix('.json').name).read_text() == p.with_suffix('.json').read_text()
    assert sum(p.stat().st_size for p in FIX.iterdir()) < 1_000_000

@pytest.mark.parametrize('pdf', PDFS, ids=lambda p: p.stem)
def test_fields_and_line_items(pdf):
    lab = json.loads(pdf.with_suffix('.json').read_text())
    fields, items = extract_invoice_fields(read_document(pdf))
    for f in INVOICE_FIELDS:
        assert (fields[f].value if fields[f] else None) == lab[f], f
        if fields[f] is not None and fields[f].box is not None: assert fields[f].raw and len(fields[f].box) == 4
    got = [(i.description, i.quantity, normalize_amount(i.unit_price)[0], normalize_amount(i.amount)[0]) for i in items]
    assert got == [(i['description'], i['quantity'].replace('.', ','), i['unit_price'], i['amount']) if lab['_meta']['lang'] != 'en' else
                   (i['description'], i['quantity'], i['unit_price'], i['amount']) for i in lab['line_items']]
    if lab['_meta']['layout'] == 'table': assert len({i.page for i in items}) > 1
