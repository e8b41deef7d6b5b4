"The pipeline on the real ZUGFeRD/Factur-X invoices: the XML path is exact, disagreements are checks, the switches work."
import json
from decimal import Decimal
import pytest
from invoice_lab.core import data_dir
from invoice_lab.contract import FIELDS
from invoice_lab.pipeline import extract

PDFS = sorted((data_dir()/'zugferd'/'test').glob('*.pdf'))
LABEL = {'invoice_number': 'invoice_number', 'currency': 'currency', 'total': 'grand_total', 'subtotal': 'net_total', 'tax': 'tax_total'}

def _same(a, b):
    try: return Decimal(a) == Decimal(b)
    except Exception: return a == b

def test_there_are_49_invoices():
    assert len(PDFS) == 49

@pytest.fixture(scope='module')
def results():
    return {p.stem: (extract(p, use_xml=True), extract(p, use_xml=False)) for p in PDFS}

def test_with_xml_the_fields_are_the_invoices_own_data(results):
    for stem, (x, _) in results.items():
        lab = json.loads((data_dir()/'zugferd'/'test'/f'{stem}.fields.json').read_text())
        d = lab['issue_date']
        assert x.value('date') == f'{d[:4]}-{d[4:6]}-{d[6:]}', stem
        for k, l in LABEL.items():
            if lab.get(l) is not None: assert _same(x.value(k), lab[l]), (stem, k, x.value(k), lab[l])

def test_every_disagreement_between_page_and_xml_is_a_failed_check(results):
    "The XML is compared with the normalized page values (so 1.234,56 on the page equals 1234.56 in the XML)"
    n_checks = 0
    for stem, (x, v) in results.items():
        checks = {c.name: c.ok for c in x.checks}
        for k in ('total', 'subtotal', 'tax', 'date'):
            if v.value(k) is None or x.fields[k] is None or x.fields[k].source != 'xml': continue
            agree = v.value(k) == x.value(k) if k == 'date' else abs(Decimal(v.value(k))) == abs(Decimal(x.value(k)))
            assert checks[f'xml_matches_page_{k}'] == agree, (stem, k, v.value(k), x.value(k))
            n_checks += 1
    assert n_checks >= 49

def test_without_xml_nothing_comes_from_xml_and_no_xml_checks(results):
    for stem, (_, v) in results.items():
        assert all(f is None or f.source != 'xml' for f in v.fields.values()), stem
        assert not any(c.name.startswith('xml_') for c in v.checks), stem

def test_normalize_off_reports_raw_only_and_runs_no_checks():
    p = PDFS[0]
    on, off = extract(p, use_xml=False), extract(p, use_xml=False, normalize=False)
    assert off.checks == [] and 'normalize' not in off.timings_ms and 'normalize' in on.timings_ms
    assert [k for k in FIELDS if on.fields[k]] == [k for k in FIELDS if off.fields[k]]
    assert [off.fields[k].raw for k in FIELDS if off.fields[k]] == [on.fields[k].raw for k in FIELDS if on.fields[k]]
    assert {off.value(k) for k in FIELDS} == {None} and sum(on.value(k) is not None for k in FIELDS) >= 5

def test_bytes_in_same_result_as_path_and_fields_filter():
    p = PDFS[0]
    a, b = extract(p), extract(p.read_bytes(), name=p.name)
    assert a.model_dump(exclude={'timings_ms'}) == b.model_dump(exclude={'timings_ms'})
    only = extract(p, fields=['total', 'date'])
    assert {k for k, f in only.fields.items() if f is not None} <= {'total', 'date'} and only.fields['total'] is not None
    with pytest.raises(ValueError, match='unknown fields'): extract(p, fields=['totl'])
