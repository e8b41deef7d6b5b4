"Visual invoice extraction on the 49 real ZUGFeRD/Factur-X PDFs (XML path off): accuracy floors just under what we measure."
import json
from decimal import Decimal
from pathlib import Path
import pytest
from invoice_lab.core import data_dir
from invoice_lab.contract import Result
from invoice_lab.ocr import read_document
from invoice_lab.invoice import extract_invoice_fields
from invoice_lab.normalize import normalize_result
from invoice_lab.einvoice import read_einvoice_items

ZMAP = {'invoice_number': 'invoice_number', 'date': 'issue_date', 'due_date': 'due_date', 'currency': 'currency',
        'subtotal': 'net_total', 'tax': 'tax_total', 'total': 'grand_total', 'vendor': ('seller', 'name'), 'customer': ('buyer', 'name')}
# measured 2026-11-24 by this test's own results (reader + normalize_result), in this order: 0.898 0.939 0.889 1.0 0.875 0.816 0.939 0.775 0.918
FLOOR = {'invoice_number': .85, 'date': .9, 'due_date': .85, 'currency': .97, 'subtotal': .82, 'tax': .76, 'total': .9, 'vendor': .72, 'customer': .85}

@pytest.fixture(scope='module')
def results():
    out = []
    for p in sorted((data_dir()/'zugferd'/'test').glob('*.pdf')):
        doc = read_document(p)
        fields, items = extract_invoice_fields(doc)
        res = normalize_result(Result(source=p.name, pages=len(doc.pages), fields=fields, line_items=items), doc)
        out.append((res, json.loads(Path(str(p)[:-4] + '.fields.json').read_text()), read_einvoice_items(p)))
    return out

def _label(lab, key):
    return lab[key[0]].get(key[1]) if isinstance(key, tuple) else lab[key]

def _ok(f, got, want):
    if f in ('subtotal', 'tax', 'total'): return got is not None and abs(Decimal(got)) == abs(Decimal(want))
    if f in ('date', 'due_date'): want = f'{want[:4]}-{want[4:6]}-{want[6:]}'
    if f in ('vendor', 'customer'): return got is not None and got.casefold() == ' '.join(want.split()).casefold()
    return got == want

@pytest.mark.parametrize('field', list(ZMAP))
def test_visual_accuracy_floor(results, field):
    scored = [(r.value(field), _label(lab, ZMAP[field])) for r, lab, _ in results if _label(lab, ZMAP[field]) is not None]
    acc = sum(_ok(field, g, w) for g, w in scored)/len(scored)
    assert acc >= FLOOR[field], f'{field}: {acc:.3f} < {FLOOR[field]}'

def test_no_field_from_xml_and_evidence_present(results):
    for r, _, _ in results:
        for f in r.fields.values():
            if f is None: continue
            assert f.source in ('header', 'invoice') and f.raw and 0 < f.confidence <= 1
            if f.box is not None: assert f.box[0] <= f.box[2] and f.box[1] <= f.box[3]

def test_line_items_against_the_xml_lines(results):
    "The visual table reader finds most invoice lines the XML states (matched by amount, ignoring sign), and few others (measured 0.836 / 0.868)"
    found = want = hit = 0
    for r, _, lines in results:
        if not lines: continue
        left = [abs(Decimal(l.amount)) for l in lines if l.amount]
        want += len(lines); found += len(r.line_items)
        for it in r.line_items:
            if it.amount is not None and abs(Decimal(it.amount)) in left: left.remove(abs(Decimal(it.amount))); hit += 1
    assert want > 100 and hit/want >= .7 and hit/found >= .75, (hit, want, found)
