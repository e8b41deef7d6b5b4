"SROIE receipts (real, 626): dates read the same from the whole printed line as from the label, with the document's hints."
import json
from invoice_lab.core import data_dir
from invoice_lab.text import parse_date, date_hints
from invoice_lab.normalize import normalize_amount, document_currency

def _receipts():
    for f in sorted((data_dir()/'sroie'/'train').glob('*.fields.json')):
        raw = f.with_name(f.name.replace('.fields.json', '.boxes.txt')).read_bytes().decode('utf-8', 'replace')
        yield json.loads(f.read_text()), [l.split(',', 8)[8] for l in raw.splitlines() if l.count(',') >= 8]

def test_the_label_date_reads_the_same_inside_its_printed_line():
    n = 0
    for lab, lines in _receipts():
        text = '\n'.join(lines)
        hints = date_hints(text, document_currency(text)[0])
        want = parse_date(lab['date'], hints)[0]
        assert want is not None, lab['date']
        for l in (l for l in lines if lab['date'] in l):
            assert parse_date(l, hints)[0] == want, (l, lab['date'])
            n += 1
    assert n >= 700

def test_receipts_currency_is_ringgit_or_unknown():
    "Malaysian receipts: MYR from RM or from locale words, even where they print a bare $"
    found = [document_currency('\n'.join(lines))[0] for _, lines in _receipts()]
    assert found.count('MYR') >= 0.9 * len(found) and set(found) <= {'MYR', None, 'SGD'}, {c: found.count(c) for c in set(found)}

def test_every_total_label_reads_as_an_amount():
    totals = [lab['total'] for lab, _ in _receipts()]
    assert [t for t in totals if normalize_amount(t)[0] is None] == ['']
