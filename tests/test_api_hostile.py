"""Issue 12: inputs crafted to break the API. Each gets a 4xx or a bounded 200 with the JSON error shape, never a 5xx."""
import pytest
from fastapi.testclient import TestClient
from hostile import cii_xml, einvoice_pdf, xml_bomb_pdf
from invoice_lab.api import ApiSettings, create_app

KEY = {'X-API-Key': 'k3y'}
MB = 1_000_000


@pytest.fixture(scope='module')
def client():
    app = create_app(ApiSettings(api_key='k3y', max_bytes=3_000_000), warm=False)
    with TestClient(app, raise_server_exceptions=False) as c: yield c


def post(c, data, path='/v1/extract'):
    return c.post(path, content=data, headers={**KEY, 'Content-Type': 'application/pdf'})


def test_xml_compression_bomb_is_413(client):
    "0.3 MB of PDF whose factur-x.xml inflates to 300 MB: MuPDF's bomb error becomes too_large, not a 500"
    data = xml_bomb_pdf(300)
    assert len(data) < 400_000
    r = post(client, data)
    assert r.status_code == 413 and r.json()['error']['code'] == 'too_large', r.text
    assert 'factur-x.xml' in r.json()['error']['message']


@pytest.mark.parametrize('page', ['ACME GmbH\nTotal 119.00 EUR', 'ACME GmbH'], ids=['page-total', 'no-page-total'])
@pytest.mark.parametrize('total', ['1E+10000000', '1E+50000000', '-1E+999999999', 'sNaN', 'Infinity'])
def test_huge_xml_total(client, page, total):
    "A 1.4 kB PDF whose XML total overflows Decimal arithmetic or is 50 MB written out: 200, small, value unread"
    data = einvoice_pdf(cii_xml(total=total), page)
    assert len(data) < 2500
    r = post(client, data)
    assert r.status_code == 200, r.text[:300]
    assert len(r.content) < MB
    f = r.json()['fields']['total']
    assert f['raw'] == total and f['value'] is None


def test_tiny_xml_tax_stays_small(client):
    "XML tax 1E-5000000 would be 5 MB written as a plain decimal"
    r = post(client, einvoice_pdf(cii_xml(tax='1E-5000000')))
    assert r.status_code == 200 and len(r.content) < MB
    assert r.json()['fields']['tax']['value'] is None and r.json()['fields']['total']['value'] == '119.00'


def test_long_xml_texts_and_many_items_are_cut(client):
    "3 MB of seller name and 5,000 line items (a 60 kB upload) still answer in under 1 MB"
    xml = cii_xml(name='N' * 3_000_000, items=[(f'item {i}', '1E+999999' if i % 2 else '2.50') for i in range(5000)])
    data = einvoice_pdf(xml)
    assert len(data) < 200_000
    r = post(client, data)
    assert r.status_code == 200 and len(r.content) < MB, (r.status_code, len(r.content))
    assert r.json()['fields']['vendor']['raw'] == 'N' * 1000
