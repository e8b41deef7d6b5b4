"""Issue 12, what a timed-out request leaves behind, through the server's default settings (work in worker processes):
its CPU use ends at the 504 even inside one long C call, a request queued behind it still gets a worker, and the
8-page huge PDF grows the server's whole process tree by less than 1 GB."""
import hashlib, os, threading, time
from pathlib import Path
import pytest
from fastapi.testclient import TestClient
import invoice_lab.api as api
from invoice_lab.api import ApiSettings, create_app
from test_api_limits import text_pdf

PDF = {'Content-Type': 'application/pdf'}
TICK = os.sysconf('SC_CLK_TCK')
_real_ocr = api.ocr_document


def burn(data, name, *a, **kw):
    """Stands in for `ocr_document` (module level: a worker process imports it from here). An upload named 'burn' runs
    one C call that takes minutes of CPU and releases the GIL (PBKDF2): no Python instruction to stop at; others are read"""
    if name != 'burn': return _real_ocr(data, name, *a, **kw)
    Path(os.environ['BURN_PID']).write_text(str(os.getpid()))
    hashlib.pbkdf2_hmac('sha256', b'p', b's', 10**9)
    return _real_ocr(data, name, *a, **kw)


def descendants(pid: int) -> list[int]:
    "Live child processes of `pid`, and theirs"
    kids = []
    for t in Path(f'/proc/{pid}/task').iterdir():
        try: kids += [int(k) for k in (t/'children').read_text().split()]
        except FileNotFoundError: pass
    return kids + [d for k in kids for d in descendants(k)]


def tree_cpu(pid: int) -> float:
    "CPU seconds (user + system) used so far by `pid` and its live descendants (not counting those already reaped)"
    total = 0
    for p in [pid, *descendants(pid)]:
        try: f = Path(f'/proc/{p}/stat').read_text().rsplit(')', 1)[1].split()
        except FileNotFoundError: continue
        total += int(f[11]) + int(f[12])
    return total / TICK


def running(pid: int) -> bool:
    "Is `pid` a live process (not gone, not a zombie)?"
    try: return Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError: return False


@pytest.fixture
def burning(monkeypatch, tmp_path):
    "`ocr_document` replaced by `burn`; yields the file where the job writes the id of the process running it"
    monkeypatch.setenv('BURN_PID', str(tmp_path/'pid'))
    monkeypatch.setattr(api, 'ocr_document', burn)
    return tmp_path/'pid'


def test_timed_out_c_call_stops_using_cpu(burning):
    "A job inside one long C call past the limit: 504; the process running it is gone within 2 s and the server's tree is idle"
    app = create_app(ApiSettings(timeout_s=4, workers=1), warm=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.post('/v1/ocr?name=first', content=text_pdf(), headers=PDF).status_code == 200   # the worker has imported it all
        r = c.post('/v1/ocr?name=burn', content=text_pdf(), headers=PDF)
        assert r.status_code == 504 and r.json()['error']['code'] == 'timeout', r.text
        t504, pid = time.monotonic(), int(burning.read_text())
        while running(pid) and time.monotonic() - t504 < 2: time.sleep(0.05)
        assert not running(pid), f'process {pid} that ran the timed-out job still runs 2 s after the 504'
        time.sleep(max(0., t504 + 3 - time.monotonic()))   # the replacement worker has started by now
        c0, w0 = tree_cpu(os.getpid()), time.monotonic()
        time.sleep(2)
        rate = (tree_cpu(os.getpid()) - c0) / (time.monotonic() - w0)
        assert rate < 0.3, f'the server and its workers use {rate:.2f} CPU s/s 3-5 s after the 504'


def test_request_queued_behind_a_timed_out_one_succeeds(burning):
    "One worker busy past the limit with a small request waiting: the first gets 504, the second its answer"
    app = create_app(ApiSettings(timeout_s=8, workers=1), warm=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        out = {}
        th = threading.Thread(target=lambda: out.update(heavy=c.post('/v1/ocr?name=burn', content=text_pdf(), headers=PDF)))
        th.start()
        for _ in range(600):
            if burning.exists() or 'heavy' in out: break
            time.sleep(0.1)
        small = c.post('/v1/ocr?name=small', content=text_pdf(), headers=PDF)
        th.join()
    assert out['heavy'].status_code == 504, out['heavy'].text
    assert small.status_code == 200 and small.json()['source'] == 'small', small.text


def tree_rss(pid: int) -> int:
    "Resident memory (kB) of `pid` and its live descendants, summed"
    total = 0
    for p in [pid, *descendants(pid)]:
        try: total += next(int(ln.split()[1]) for ln in Path(f'/proc/{p}/status').read_text().splitlines() if ln.startswith('VmRSS:'))
        except (FileNotFoundError, StopIteration): pass
    return total


def test_huge_pages_grow_the_process_tree_less_than_1gb():
    "8 blank 200×200-inch pages (1.3 kB) really OCRed: this process and its workers together grow by less than 1 GB at the peak"
    from hostile import huge_pages_pdf
    with TestClient(create_app(ApiSettings()), raise_server_exceptions=False) as c:
        for _ in range(3000):   # the workers load their models
            if c.get('/readyz').status_code == 200: break
            time.sleep(0.1)
        assert c.get('/readyz').status_code == 200
        before, peak, done = tree_rss(os.getpid()), [], threading.Event()
        def watch():
            while not done.is_set(): peak.append(tree_rss(os.getpid())); time.sleep(0.05)
        th = threading.Thread(target=watch); th.start()
        try: r = c.post('/v1/extract', content=huge_pages_pdf(8), headers=PDF)
        finally: done.set(); th.join()
    assert r.status_code == 200 and r.json()['pages'] == 8, r.text
    assert max(peak) - before < 1_000_000, f'grew by {(max(peak) - before) // 1024} MB'
