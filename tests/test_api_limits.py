"""Every limit and every bad input of the API, in-process: each must give its status and JSON error code, never a 500."""
import io, os, tempfile, threading, time
import pymupdf, pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from invoice_lab.api import ApiSettings, create_app

KEY = {'X-API-Key': 'k3y'}


def many_pages_pdf(n: int) -> bytes:
    "A valid PDF of `n` blank pages written directly (milliseconds, ~100 bytes a page): a page-count bomb"
    objs = [b'<< /Type /Catalog /Pages 2 0 R >>',
            b'<< /Type /Pages /Count %d /Kids [%s] >>' % (n, b' '.join(b'%d 0 R' % (i + 3) for i in range(n)))]
    objs += [b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 50 50] >>'] * n
    out, offs = bytearray(b'%PDF-1.4\n'), []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += b'%d 0 obj\n%s\nendobj\n' % (i + 1, o)
    x = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1) + b''.join(b'%010d 00000 n \n' % o for o in offs)
    out += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, x)
    return bytes(out)


def text_pdf(pages=1) -> bytes:
    pdf = pymupdf.open()
    for i in range(pages):
        pdf.new_page(width=300, height=400).insert_text((30, 50), f'ACME Ltd\nTotal 12.50\npage {i+1}')
    return pdf.tobytes()


def text_png(w=900, h=1200, lines=40) -> bytes:
    im = Image.new('RGB', (w, h), 'white')
    d = ImageDraw.Draw(im)
    for i in range(lines): d.text((20, 20 + 28 * i), f'ITEM {i:03d} COFFEE BEANS 1 x {i}.50   TOTAL {i}.50', fill='black')
    buf = io.BytesIO(); im.save(buf, 'PNG')
    return buf.getvalue()


@pytest.fixture(autouse=True)
def fresh_ocr_cache(tmp_path, monkeypatch):
    "Each test starts with an empty OCR cache, so OCR really runs (the timing tests depend on it)"
    monkeypatch.setenv('INVOICE_LAB_CACHE', str(tmp_path/'cache'))


@pytest.fixture(scope='module')
def client():
    app = create_app(ApiSettings(api_key='k3y', max_bytes=3_000_000, max_pages=20, max_pixels=30_000_000), warm=False)
    with TestClient(app, raise_server_exceptions=False) as c: yield c

@pytest.fixture(scope='module')
def inproc():
    "The same server with its work in threads of this process, for tests that patch the code the work runs"
    app = create_app(ApiSettings(api_key='k3y', max_bytes=3_000_000, max_pages=20, max_pixels=30_000_000, processes=False), warm=False)
    with TestClient(app, raise_server_exceptions=False) as c: yield c


def err(r, status, code):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers['content-type'] == 'application/json'
    assert r.json()['error']['code'] == code, r.text
    assert r.json()['error']['message']


def upload(c, data, ctype='application/pdf', path='/v1/ocr', headers=KEY, multipart=True):
    if multipart: return c.post(path, files={'file': ('doc', data, ctype)}, headers=headers)
    return c.post(path, content=data, headers={**headers, 'Content-Type': ctype})


# --- auth
@pytest.mark.parametrize('path', ['/v1/ocr', '/v1/extract', '/v1/render'])
def test_missing_key(client, path): err(upload(client, text_pdf(), path=path, headers={}), 401, 'unauthorized')

def test_wrong_key(client): err(upload(client, text_pdf(), headers={'X-API-Key': 'k3y '}), 401, 'unauthorized')

def test_open_endpoints_need_no_key(client):
    assert client.get('/healthz').json() == {'status': 'ok'}
    assert client.get('/readyz').status_code == 200
    assert '<title>invoice_lab demo</title>' in client.get('/').text
    assert client.get('/static/app.js').status_code == 200


# --- bad inputs
@pytest.mark.parametrize('multipart', [True, False])
def test_empty(client, multipart): err(upload(client, b'', multipart=multipart), 422, 'empty')

def test_corrupt_pdf(client): err(upload(client, b'%PDF-1.7\n1 0 obj << /Type /Catalog garbage'), 422, 'corrupt')

def test_truncated_pdf(client): err(upload(client, text_pdf()[:300]), 422, 'corrupt')

def test_corrupt_jpeg(client): err(upload(client, b'\xff\xd8\xff\xe0' + b'\x00' * 64, 'image/jpeg'), 422, 'corrupt')

def test_encrypted_pdf(client):
    pdf = pymupdf.open(stream=text_pdf())
    data = pdf.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw='u', owner_pw='o')
    err(upload(client, data), 422, 'encrypted')

def test_page_bomb(inproc, monkeypatch):
    "10,000 pages are refused from the page count: not one page is read"
    import invoice_lab.read as read
    data = many_pages_pdf(10_000)
    assert pymupdf.open(stream=data).page_count == 10_000 and len(data) < 1_100_000
    monkeypatch.setattr(read, '_pdf_words', lambda page: pytest.fail('a page was read'))
    r = upload(inproc, data)
    err(r, 422, 'too_many_pages')
    assert '10000 pages' in r.json()['error']['message']

def test_pixel_bomb(client):
    im = Image.new('1', (20_000, 20_000), 1)
    buf = io.BytesIO(); im.save(buf, 'PNG')
    assert len(buf.getvalue()) < 200_000
    r = upload(client, buf.getvalue(), 'image/png')
    err(r, 413, 'too_large')
    assert '400000000 pixels' in r.json()['error']['message']

def test_pixel_limit_is_configurable(client):
    "6000×6000 = 36 MP passes Pillow's own bomb check but not this server's 30 MP limit"
    buf = io.BytesIO(); Image.new('1', (6000, 6000), 1).save(buf, 'PNG')
    r = upload(client, buf.getvalue(), 'image/png')
    err(r, 413, 'too_large')
    assert '6000×6000' in r.json()['error']['message']

def test_wrong_content_type(client): err(upload(client, b'just some text', 'text/plain'), 415, 'unsupported')

@pytest.mark.parametrize('multipart', [True, False])
def test_lying_content_type(client, multipart):
    r = upload(client, text_pdf(), 'image/png', multipart=multipart)
    err(r, 415, 'unsupported')
    assert 'says image/png but the bytes are application/pdf' in r.json()['error']['message']

def test_octet_stream_is_sniffed(client):
    r = upload(client, text_pdf(), 'application/octet-stream', multipart=False)
    assert r.status_code == 200 and 'ACME' in ' '.join(w['text'] for p in r.json()['pages'] for w in p['words'])

def test_multipart_without_file(client):
    err(client.post('/v1/ocr', data={'other': 'x'}, files={'nofile': ('a', b'x')}, headers=KEY), 400, 'bad_request')

def test_broken_multipart(client):
    r = client.post('/v1/ocr', content=b'--zz\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
                    headers={**KEY, 'Content-Type': 'multipart/form-data; boundary=zz'})
    assert r.status_code in (400, 422) and r.json()['error']['code'] in ('bad_request', 'empty'), r.text


# --- limits
@pytest.mark.parametrize('multipart', [True, False])
def test_upload_size(client, multipart):
    err(upload(client, b'%PDF-1.4\n' + b'0' * 3_100_000, multipart=multipart), 413, 'too_large')

def test_upload_size_without_content_length(client):
    "A chunked body (no Content-Length) is cut off as soon as it crosses the limit"
    sent = []
    def body():
        for _ in range(100):
            sent.append(1)
            yield b'%PDF' + b'0' * 99_996
    err(client.post('/v1/ocr', content=body(), headers={**KEY, 'Content-Type': 'application/pdf'}), 413, 'too_large')

def test_pages_option(client):
    data = text_pdf(3)
    r = client.post('/v1/ocr?pages=2-3', files={'file': ('x.pdf', data)}, headers=KEY)
    assert [p['index'] for p in r.json()['pages']] == [1, 2]
    err(client.post('/v1/ocr?pages=4', files={'file': ('x.pdf', data)}, headers=KEY), 422, 'bad_option')
    err(client.post('/v1/ocr?pages=a-b', files={'file': ('x.pdf', data)}, headers=KEY), 422, 'bad_option')

def test_unknown_engine_and_field(client):
    err(client.post('/v1/ocr?ocr=magic', files={'file': ('x.pdf', text_pdf())}, headers=KEY), 422, 'bad_option')
    err(client.post('/v1/extract?fields=totl', files={'file': ('x.pdf', text_pdf())}, headers=KEY), 422, 'bad_option')

def test_render_page_out_of_range(client):
    err(client.post('/v1/render?page=3', files={'file': ('x.pdf', text_pdf(2))}, headers=KEY), 422, 'bad_option')

def test_request_timeout(monkeypatch):
    "Real OCR past the time limit: a 504, and the OCR is interrupted (it never returns) rather than run to its end"
    from invoice_lab.ocr import RapidOCREngine
    calls, real = [], RapidOCREngine.segments
    def segments(self, im, line_px=None):
        calls.append('started')
        out = real(self, im, line_px)
        calls.append('returned')
        return out
    monkeypatch.setattr(RapidOCREngine, 'segments', segments)
    app = create_app(ApiSettings(timeout_s=0.3, workers=1, processes=False), warm=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post('/v1/ocr?ocr=rapidocr', content=text_png(1600, 2400, 80), headers={'Content-Type': 'image/png'})
        err(r, 504, 'timeout')
        for _ in range(300):   # the one worker thread takes the next request once the timed-out job has let go of it
            if c.post('/v1/ocr', content=text_pdf(), headers={'Content-Type': 'application/pdf'}).status_code == 200: break
        else: pytest.fail('the worker thread never came free')
        assert 'returned' not in calls, calls


def test_upload_stays_in_memory(client, monkeypatch):
    "A multipart upload over the parser's 1 MB spool size never rolls over to a temp file"
    rolled = []
    monkeypatch.setattr(tempfile.SpooledTemporaryFile, 'rollover', lambda self: rolled.append(1))
    pdf = pymupdf.open(stream=text_pdf())
    pdf.embfile_add('blob.bin', os.urandom(2_500_000))
    big = pdf.tobytes()
    assert len(big) > 2_000_000
    r = upload(client, big)
    assert r.status_code == 200 and rolled == []


def test_health_answers_during_slow_scan(monkeypatch):
    "While the only worker thread is busy OCRing (again and again until released), /healthz keeps answering"
    from invoice_lab.ocr import RapidOCREngine
    started, release, real = threading.Event(), threading.Event(), RapidOCREngine.segments
    def segments(self, im, line_px=None):
        started.set()
        while True:
            out = real(self, im, line_px)
            if release.is_set(): return out
    monkeypatch.setattr(RapidOCREngine, 'segments', segments)
    app = create_app(ApiSettings(workers=1, processes=False), warm=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        done = {}
        def slow(): done['r'] = c.post('/v1/ocr?ocr=rapidocr', content=text_png(400, 300, 5), headers={'Content-Type': 'image/png'})
        th = threading.Thread(target=slow); th.start()
        assert started.wait(300)
        health = [c.get('/healthz').status_code for _ in range(5)]
        busy = th.is_alive()
        release.set(); th.join()
        assert health == [200] * 5 and busy and 'r' in done
        assert done['r'].status_code == 200 and len(done['r'].json()['pages'][0]['words']) > 3


def test_cors_off_by_default(client):
    r = client.options('/v1/ocr', headers={'Origin': 'https://evil.example', 'Access-Control-Request-Method': 'POST'})
    assert 'access-control-allow-origin' not in r.headers

def test_cors_when_configured():
    app = create_app(ApiSettings(cors_origins=['https://ok.example']), warm=False)
    with TestClient(app) as c:
        r = c.options('/v1/ocr', headers={'Origin': 'https://ok.example', 'Access-Control-Request-Method': 'POST'})
        assert r.headers['access-control-allow-origin'] == 'https://ok.example'
        r = c.options('/v1/ocr', headers={'Origin': 'https://evil.example', 'Access-Control-Request-Method': 'POST'})
        assert r.headers.get('access-control-allow-origin') != 'https://evil.example'


def test_unknown_query_parameter(client):
    r = client.post('/v1/ocr?field=total', files={'file': ('x.pdf', text_pdf())}, headers=KEY)
    err(r, 422, 'bad_option')
    assert "['field']" in r.json()['error']['message']


def test_uploads_leave_no_ocr_text_on_disk(client, tmp_path):
    "A public server keeps no copy of what clients send: neither /v1/ocr nor /v1/extract writes the OCR cache"
    for path in ('/v1/ocr', '/v1/extract'):
        r = upload(client, text_png(400, 300, 5), 'image/png', path=path)
        assert r.status_code == 200, r.text
    cache = tmp_path/'cache'
    assert not [p for p in cache.rglob('*') if p.is_file()] if cache.exists() else True


def test_docs_work_offline(client):
    "/docs loads Swagger UI from the server itself: no CDN address, and the script it names is served"
    html = client.get('/docs', headers=KEY).text
    assert 'cdn.jsdelivr' not in html and '/swagger/swagger-ui-bundle.js' in html
    js = client.get('/swagger/swagger-ui-bundle.js')
    assert js.status_code == 200 and len(js.content) > 100_000
    assert client.get('/openapi.json', headers=KEY).json()['info']['title'] == 'invoice_lab'


@pytest.mark.parametrize('path', ['/openapi.json', '/docs'])
def test_api_map_needs_the_key(client, path):
    "With a key set, the schema and the docs (a map of every endpoint) are for clients that send it"
    err(client.get(path), 401, 'unauthorized')
    err(client.get(path, headers={'X-API-Key': 'wrong'}), 401, 'unauthorized')
    assert client.get(path, headers=KEY).status_code == 200


def test_api_map_is_open_without_a_key():
    with TestClient(create_app(ApiSettings(), warm=False)) as c:
        assert c.get('/openapi.json').json()['info']['title'] == 'invoice_lab' and c.get('/docs').status_code == 200
