"Every real ZUGFeRD/Factur-X sample: the fields read from its embedded XML equal the dataset's fields.json exactly."
import json
from pathlib import Path
import pytest
from invoice_lab.core import data_dir
from decimal import Decimal
from invoice_lab.einvoice import read_einvoice, embedded_xml, cross_check, XML_FIELDS
from invoice_lab.contract import Field

ZDIR = data_dir()/'zugferd'/'test'
PDFS = sorted(ZDIR.glob('*.pdf'))

def test_all_files_present():
    assert len(PDFS) == 49

@pytest.mark.parametrize('pdf', PDFS, ids=lambda p: p.stem[:60])
def test_xml_fields_equal_labels(pdf):
    lab = json.loads(Path(str(pdf)[:-4] + '.fields.json').read_text())
    name, xml = embedded_xml(pdf)
    assert name == lab['_embedded_xml_name']
    assert xml == Path(str(pdf)[:-4] + '.embedded.xml').read_bytes()
    got = read_einvoice(pdf.read_bytes())
    for field, key in XML_FIELDS.items():
        want = lab[key]
        if want is None: assert field not in got, field
        else:
            assert got[field].raw == want, field
            assert (got[field].source, got[field].confidence) == ('xml', 1.0)
    for field, party in (('vendor', 'seller'), ('customer', 'buyer')):
        assert got[field].raw == lab[party]['name']
        assert got[field].value == ' '.join(lab[party]['name'].split())
    assert got['date'].value == f"{lab['issue_date'][:4]}-{lab['issue_date'][4:6]}-{lab['issue_date'][6:]}"
    if lab['due_date']: assert got['due_date'].value.replace('-', '') == lab['due_date']
    for f in ('subtotal', 'tax', 'total'):
        if f in got: assert float(got[f].value) == float(lab[XML_FIELDS[f]])
    page = labelled_fields(lab)
    checks = {c.name: c.ok for c in cross_check(page, got)}
    assert len(checks) >= 5 and all(checks.values()), checks
    if 'total' in page:
        off = {**page, 'total': Field(raw='x', value=str(Decimal(page['total'].value) + Decimal('0.01')))}
        assert {c.name: c.ok for c in cross_check(off, got)}['xml_matches_page_total'] is False


def labelled_fields(lab: dict) -> dict:
    "What a perfect page reader would report for this invoice, from the dataset's labels (not from our XML reader)"
    d = lab['issue_date']
    vals = {'invoice_number': lab['invoice_number'], 'date': f'{d[:4]}-{d[4:6]}-{d[6:]}', 'currency': lab['currency'],
            'vendor': lab['seller']['name'], 'customer': lab['buyer']['name'],
            'subtotal': lab['net_total'], 'tax': lab['tax_total'], 'total': lab['grand_total']}
    return {k: Field(raw=v, value=v) for k, v in vals.items() if v is not None}
