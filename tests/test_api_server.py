"""The API behind a real uvicorn socket: slow uploads time out with 408, warm-up failures show in /readyz."""
import socket, threading, time
from contextlib import contextmanager
import httpx, pytest, uvicorn
import invoice_lab.api as api
from fastapi.testclient import TestClient


@contextmanager
def running(app, settings=None):
    "`app` served by uvicorn in a thread on a free loopback port; yields the port"
    srv = uvicorn.Server(api.server_config(app, settings or api.ApiSettings(), port=0, log_level='warning'))
    th = threading.Thread(target=srv.run, daemon=True); th.start()
    while not srv.started: time.sleep(0.05)
    try: yield srv.servers[0].sockets[0].getsockname()[1]
    finally: srv.should_exit = True; th.join(10)


@pytest.fixture
def server():
    "A server with a 1 s time limit for uploads and request heads"
    s = api.ApiSettings(timeout_s=1.0, header_timeout_s=1.0)
    with running(api.create_app(s, warm=False), s) as port: yield port


def test_slow_upload_times_out(server):
    with socket.create_connection(('127.0.0.1', server), timeout=10) as s:
        s.sendall(b'POST /v1/ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\nContent-Length: 100000\r\n\r\n%PDF-1.4\n')
        reply = s.recv(4096).decode()
    assert reply.startswith('HTTP/1.1 408'), reply
    assert '"upload_timeout"' in reply


def test_health_over_the_socket(server):
    assert httpx.get(f'http://127.0.0.1:{server}/healthz').json() == {'status': 'ok'}


def broken(settings):
    "A warm-up that fails (module level: a worker process imports it from here)"
    raise RuntimeError('model file missing')


def test_readyz_reports_a_failed_warm_up(monkeypatch):
    monkeypatch.setattr(api, 'warm_up', broken)
    with running(api.create_app(api.ApiSettings())) as port:
        with pytest.raises(RuntimeError, match='model file missing'): api.wait_ready(f'http://127.0.0.1:{port}', 20)
    with TestClient(api.create_app(api.ApiSettings())) as c:
        for _ in range(100):
            r = c.get('/readyz')
            if r.json().get('error', {}).get('code') != 'not_ready': break
            time.sleep(0.05)
        assert r.status_code == 503 and r.json()['error'] == {'code': 'warm_up_failed', 'message': 'RuntimeError: model file missing'}
        assert c.get('/healthz').status_code == 200


def test_busy_when_the_queue_is_full(monkeypatch):
    "With one thread and a queue of 2, a third concurrent upload gets 503 busy with Retry-After (the work: a stand-in held until released)"
    from test_api_limits import text_pdf
    release = threading.Event()
    monkeypatch.setattr(api, 'ocr_document', lambda *a, **kw: release.wait(60) and api.Document(source='x'))
    app = api.create_app(api.ApiSettings(workers=1, queue=2, processes=False), warm=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        out = []
        def post(): out.append(c.post('/v1/ocr', content=text_pdf(), headers={'Content-Type': 'application/pdf'}))
        ths = [threading.Thread(target=post) for _ in range(2)]
        for t in ths: t.start()
        while not app.state.runner.slots.locked(): time.sleep(0.01)
        r = c.post('/v1/ocr', content=text_pdf(), headers={'Content-Type': 'application/pdf'})
        release.set()
        for t in ths: t.join()
    assert r.status_code == 503 and r.json()['error']['code'] == 'busy' and r.headers['retry-after'] == '5'
    assert sorted(x.status_code for x in out) == [200, 200]
