"""Issue 12: inputs crafted to break the API. Each gets a 4xx or a bounded 200 with the JSON error shape, never a 5xx."""
import json, os, socket, subprocess, sys, time
from pathlib import Path
import pymupdf, pytest
from fastapi.testclient import TestClient
from hostile import cii_xml, einvoice_pdf, huge_pages_pdf, raw_pdf, tiff_frames, xml_bomb_pdf
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


def test_huge_xml_total_alone_is_not_written_out(client):
    "With no net and tax to add up, nothing overflows: the total 1E+50000000 was written out as 50 MB of digits"
    r = post(client, einvoice_pdf(cii_xml(total='1E+50000000', tax='', net=''), 'ACME GmbH'))
    assert r.status_code == 200 and len(r.content) < MB, (r.status_code, len(r.content))
    assert r.json()['fields']['total']['value'] is None


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


@pytest.mark.parametrize('count', [-5, 10**9])
def test_page_tree_that_lies(client, count):
    "A PDF whose /Count is negative or absurd (found by the fuzz run): MuPDF cannot count its pages, so it is corrupt"
    r = post(client, raw_pdf(count=count), '/v1/ocr')
    assert r.status_code == 422 and r.json()['error']['code'] == 'corrupt', r.text


# --- item 3: pixels of a whole request
def test_huge_pages_are_rasterised_within_the_request_budget(monkeypatch):
    "8 blank 200×200-inch pages (1.4 kB): every page is OCRed, all of them together within max_total_pixels"
    from invoice_lab.ocr import RapidOCREngine
    seen = []
    monkeypatch.setattr(RapidOCREngine, 'segments', lambda self, im, line_px=None: seen.append(im.size) or [])
    with TestClient(create_app(ApiSettings(api_key='k3y', processes=False), warm=False)) as c: r = post(c, huge_pages_pdf(8), '/v1/ocr')
    assert r.status_code == 200, r.text
    assert len(seen) == 8 and sum(w * h for w, h in seen) <= 100_000_000, seen   # the default max_total_pixels
    assert max(w * h for w, h in seen) <= 3_000_000, seen   # and each page within the API's raster_pixels: bounded OCR memory


def test_multi_frame_pixel_bomb_is_413(client):
    "4 frames of 49 MP each pass the per-page limit but not the per-document one; refused from the headers"
    r = client.post('/v1/ocr', content=tiff_frames(4, 7000, 7000), headers={**KEY, 'Content-Type': 'image/tiff'})
    assert r.status_code == 413 and r.json()['error']['code'] == 'too_large', r.text
    assert '196 MP together' in r.json()['error']['message']


# --- item 4: a timed-out request stops working
def test_timed_out_work_stops_and_frees_its_thread(monkeypatch):
    "The only worker spins in Python past the limit: 504, the spinning stops, and the next request gets the thread"
    import invoice_lab.api as api
    ticks = []
    def spin(*a, **kw):
        while True: ticks.append(1); time.sleep(0.001)
    app = create_app(ApiSettings(timeout_s=0.5, workers=1, processes=False), warm=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        monkeypatch.setattr(api, 'ocr_document', spin)
        r = c.post('/v1/ocr', content=b'%PDF-1.4', headers={'Content-Type': 'application/pdf'})
        assert r.status_code == 504 and r.json()['error']['code'] == 'timeout'
        for _ in range(50):   # wait (up to ~10 s) for the counter to stand still
            n = len(ticks); time.sleep(0.2)
            if len(ticks) == n: break
        monkeypatch.setattr(api, 'ocr_document', lambda *a, **kw: api.Document(source='next'))
        r = c.post('/v1/ocr', content=b'%PDF-1.4', headers={'Content-Type': 'application/pdf'})
        assert r.status_code == 200 and r.json()['source'] == 'next'
        assert n > 0 and len(ticks) == n, 'the timed-out job kept running'


# --- item 8: the smaller ones
def test_413_states_the_configured_limit(client):
    for kw in ({'files': {'file': ('a.pdf', b'%PDF-' + b'0' * 3_100_000, 'application/pdf')}},
               {'content': b'%PDF-' + b'0' * 3_100_000, 'headers': {'Content-Type': 'application/pdf'}}):
        headers = {**KEY, **kw.pop('headers', {})}
        r = client.post('/v1/ocr', headers=headers, **kw)
        assert r.status_code == 413 and r.json()['error']['message'].endswith('over the limit of 3000000'), r.text


def test_rfc5987_filename(client):
    pdf = pymupdf.open(); pdf.new_page(width=300, height=400).insert_text((30, 50), 'ACME Ltd')
    body = (b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8\'\'na%C3%AFve%20%E2%82%AC.pdf\r\n'
            b'Content-Type: application/pdf\r\n\r\n' + pdf.tobytes() + b'\r\n--XyZ--\r\n')
    r = client.post('/v1/ocr', content=body, headers={**KEY, 'Content-Type': 'multipart/form-data; boundary=XyZ'})
    assert r.status_code == 200 and r.json()['source'] == 'naïve €.pdf', r.text


@pytest.fixture(scope='module')
def served(tmp_path_factory):
    "`invoice-lab serve` in a subprocess (the production path) with a 1 s header timeout; yields its port"
    with socket.socket() as so: so.bind(('127.0.0.1', 0)); port = so.getsockname()[1]
    env = {**os.environ, 'INVOICE_LAB_HEADER_TIMEOUT_S': '1', 'INVOICE_LAB_CACHE': str(tmp_path_factory.mktemp('cache'))}
    proc = subprocess.Popen([str(Path(sys.executable).parent/'invoice-lab'), 'serve', '--port', str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(1200):
            assert proc.poll() is None, 'the server exited'
            try: socket.create_connection(('127.0.0.1', port), timeout=1).close(); break
            except OSError: time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try: proc.wait(10)
        except subprocess.TimeoutExpired: proc.kill()


def exchange(port, data: bytes) -> bytes:
    "Send `data`, return everything the server answers until it closes the connection"
    with socket.create_connection(('127.0.0.1', port), timeout=30) as s:
        s.sendall(data)
        out = b''
        while chunk := s.recv(65536): out += chunk
    return out


def test_slow_request_head_gets_408(served):
    "A client sending its head one line at a time, slower than header_timeout_s, is answered 408 and closed"
    with socket.create_connection(('127.0.0.1', served), timeout=30) as s:
        s.sendall(b'GET /healthz HTTP/1.1\r\n')
        lines, reply = 0, b''
        while not reply and lines < 60:
            try: s.sendall(b'X-Slow-%d: 1\r\n' % lines); lines += 1
            except OSError: break
            s.settimeout(0.5)
            try: reply = s.recv(65536)
            except socket.timeout: pass
    head, _, body = reply.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.1 408'), reply
    assert json.loads(body)['error']['code'] == 'header_timeout' and lines < 60


def test_a_quick_head_is_not_cut(served):
    reply = exchange(served, b'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    assert reply.startswith(b'HTTP/1.1 200') and reply.endswith(b'{"status":"ok"}')


@pytest.mark.parametrize('request_', [
    b'POST /v1/ocr HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\n%PDF-',
    b'POST /v1/ocr HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n%PDF-12',
    b'POST /v1/ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\nContent-Length: 5\r\n\r\n%PDF-1.4 and more bytes than stated\r\n\r\n'],
    ids=['not-a-number', 'two-lengths', 'longer-body'])
def test_content_length_mismatch_gets_the_json_error(served, request_):
    reply = exchange(served, request_)
    last = reply[reply.rindex(b'HTTP/1.1 '):]
    head, _, body = last.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.1 400') and b'application/json' in head, reply
    assert json.loads(body)['error']['code'] == 'bad_request'
