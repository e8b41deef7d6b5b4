"""`invoice-lab batch --endpoint` end to end against the real worker (runpod/serverless/handler.py) behind the runpod SDK's
local API server on 127.0.0.1: every document once, an injected worker failure and a timeout in errors.jsonl, the same
results as the local batch, and a client killed with SIGKILL then rerun losing and doubling nothing."""
import json, os, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pandas as pd
import pymupdf
import pytest
from invoice_lab.batch import run_batch

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent/'invoice-lab'
WORKER = f'''
import os, sys, time
sys.path.insert(0, {str(ROOT/'runpod'/'serverless')!r})
import runpod
from handler import handler

def flaky(job):
    "The real handler, logging each job's document; fail_me.pdf fails, z_slow*.pdf takes 60 s more"
    name = job['input'].get('name') or os.path.basename(job['input'].get('path', ''))
    with open(os.environ['WORKER_LOG'], 'a') as f: f.write(name + '\\n')
    time.sleep(float(os.environ.get('WORKER_DELAY', '0')) + (60 if name.startswith('z_slow') else 0))
    if name == 'fail_me.pdf': raise RuntimeError('injected failure')
    return handler(job)

runpod.serverless.start({{'handler': flaky}})
'''


def make_pdf(path: Path, i: int):
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = pymupdf.open()
    pdf.new_page(width=300, height=400).insert_text(
        (30, 50), f'Vendor {i} GmbH\nInvoice No: INV-{1000 + i}\nDate: 2024-03-{i % 28 + 1:02d}\nTotal: {i + 10}.50 EUR')
    pdf.save(path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


@pytest.fixture
def worker(tmp_path):
    "Start the worker's local API server; yields (base URL, a function returning the documents it was given so far)"
    procs = []
    def start(delay=0.0):
        port, log = free_port(), tmp_path/f'worker{len(procs)}.log'
        (tmp_path/'worker.py').write_text(WORKER)
        env = {**os.environ, 'PYTHONPATH': str(ROOT), 'WORKER_LOG': str(log), 'WORKER_DELAY': str(delay),
               'INVOICE_LAB_CACHE': str(tmp_path/'cache'), 'RUNPOD_WEBHOOK_GET_JOB': ''}
        p = subprocess.Popen([sys.executable, 'worker.py', '--rp_serve_api', '--rp_api_host', '127.0.0.1', '--rp_api_port', str(port)],
                             cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path/'server.err', 'w'))
        procs.append(p)
        url = f'http://127.0.0.1:{port}'
        for _ in range(240):
            assert p.poll() is None, (tmp_path/'server.err').read_text()[-3000:]
            try:
                urllib.request.urlopen(url + '/docs', timeout=2); break
            except OSError: time.sleep(0.25)
        return url, lambda: log.read_text().split() if log.exists() else []
    yield start
    for p in procs: p.kill(); p.wait()


def lines(p: Path) -> list[bytes]:
    return p.read_bytes().split(b'\n')[:-1] if p.exists() else []


def batch(inp, out, url, *args, **kw):
    return subprocess.Popen([str(CLI), 'batch', str(inp), '--out', str(out), '--endpoint', url, '--no-progress', *args],
                            env={**os.environ, 'PYTHONPATH': str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def test_endpoint_batch_matches_local(worker, tmp_path):
    inp, out = tmp_path/'in', tmp_path/'out'
    for i in range(5): make_pdf(inp/f'd{i % 2}'/f'inv_{i}.pdf', i)
    make_pdf(inp/'fail_me.pdf', 99)
    (inp/'bad'/'text.pdf').parent.mkdir(); (inp/'bad'/'text.pdf').write_bytes(b'not a pdf at all')
    url, seen = worker()
    p = batch(inp, out, url, '--concurrency', '3')
    log = p.communicate(timeout=300)[0].decode()
    assert p.returncode == 0, log
    assert '7 documents: 5 extracted, 2 failed, 0 already done' in log, log
    assert sorted(seen()) == sorted(['inv_0.pdf', 'inv_1.pdf', 'inv_2.pdf', 'inv_3.pdf', 'inv_4.pdf', 'fail_me.pdf', 'text.pdf'])
    errs = {e['source']: e for e in map(json.loads, lines(out/'errors.jsonl'))}
    assert set(errs) == {'fail_me.pdf', 'bad/text.pdf'}
    assert (errs['fail_me.pdf']['error'], errs['fail_me.pdf']['message']) == ('RuntimeError', 'injected failure')
    assert errs['bad/text.pdf']['error'] == 'unsupported' and set(errs['bad/text.pdf']) == {'source', 'error', 'message', 'seconds', 'at'}

    local = tmp_path/'local'
    assert run_batch(inp, local, workers=1, progress=False)['ok'] == 6   # locally fail_me.pdf is a fine invoice
    remote = {r['source']: r for r in map(json.loads, lines(out/'results.jsonl'))}
    here = {r['source']: r for r in map(json.loads, lines(local/'results.jsonl')) if r['source'] != 'fail_me.pdf'}
    assert set(remote) == set(here) == {f'd{i % 2}/inv_{i}.pdf' for i in range(5)}
    for s in remote:
        assert (remote[s]['fields'], remote[s]['checks'], remote[s]['pages']) == (here[s]['fields'], here[s]['checks'], here[s]['pages']), s
    assert remote['d0/inv_2.pdf']['fields']['total']['value'] == '12.50'
    assert pd.read_csv(out/'results.csv').equals(pd.read_csv(local/'results.csv').query("source != 'fail_me.pdf'").reset_index(drop=True))
    assert [json.loads(l)['error'] for l in lines(local/'errors.jsonl')] == ['unsupported']


def test_timeout_is_an_error_not_a_hang(worker, tmp_path):
    inp, out = tmp_path/'in', tmp_path/'out'
    make_pdf(inp/'a.pdf', 1); make_pdf(inp/'z_slow.pdf', 2)
    url, seen = worker()
    p = batch(inp, out, url, '--concurrency', '1', '--timeout', '15')  # a.pdf has 15 s even on a busy machine; z_slow needs 60
    log = p.communicate(timeout=120)[0].decode()
    assert p.returncode == 0 and '2 documents: 1 extracted, 1 failed' in log, log
    err = json.loads(lines(out/'errors.jsonl')[0])
    assert err['source'] == 'z_slow.pdf' and err['error'] == 'timeout' and err['seconds'] < 60, err
    assert [json.loads(l)['source'] for l in lines(out/'results.jsonl')] == ['a.pdf']


def test_unreachable_endpoint_records_nothing(tmp_path):
    inp, out = tmp_path/'in', tmp_path/'out'
    make_pdf(inp/'a.pdf', 1)
    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    r = subprocess.run([str(CLI), 'batch', str(inp), '--out', str(out), '--endpoint', f'http://127.0.0.1:{free_port()}', '--no-progress'],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and 'after 6 attempts' in r.stderr and 'rerun the same command to resume' in r.stderr, r.stderr
    assert lines(out/'results.jsonl') == [] and lines(out/'errors.jsonl') == []


def test_payload_limit_and_volume_paths(worker, tmp_path):
    "A document over RunPod's 20 MB body limit is refused before sending; with --volume-root jobs carry paths instead"
    inp = tmp_path/'in'
    make_pdf(inp/'a.pdf', 1)
    (inp/'big.pdf').write_bytes(b'%PDF-1.7\n' + os.urandom(15_200_000))   # 20.3 MB as base64
    url, seen = worker()
    p = batch(inp, tmp_path/'out', url)
    log = p.communicate(timeout=120)[0].decode()
    assert p.returncode == 0 and '2 documents: 1 extracted, 1 failed' in log, log
    err = json.loads(lines(tmp_path/'out'/'errors.jsonl')[0])
    assert (err['source'], err['error']) == ('big.pdf', 'too_large') and 'pass --volume-root' in err['message'], err
    assert seen() == ['a.pdf']   # never sent

    p = batch(inp, tmp_path/'out2', url, '--volume-root', str(inp))   # the worker sees the folder at the same path here
    log = p.communicate(timeout=120)[0].decode()
    assert p.returncode == 0 and '2 documents: 1 extracted, 1 failed' in log, log
    assert sorted(seen()) == ['a.pdf', 'a.pdf', 'big.pdf']
    err = json.loads(lines(tmp_path/'out2'/'errors.jsonl')[0])
    assert err['source'] == 'big.pdf' and err['error'] == 'corrupt', err   # read by the worker from its disk: a broken PDF
    assert [json.loads(l)['source'] for l in lines(tmp_path/'out2'/'results.jsonl')] == ['a.pdf']


def test_kill_and_resume(worker, tmp_path):
    n, conc = 12, 2
    inp, out = tmp_path/'in', tmp_path/'out'
    for i in range(n): make_pdf(inp/f'inv_{i:02d}.pdf', i)
    make_pdf(inp/'fail_me.pdf', 99)
    url, seen = worker(delay=0.4)
    p = batch(inp, out, url, '--concurrency', str(conc), start_new_session=True)
    deadline = time.time() + 240
    while len(lines(out/'results.jsonl')) < 3:
        assert p.poll() is None, 'batch ended before it could be killed: ' + p.stdout.read().decode()
        assert time.time() < deadline
        time.sleep(0.02)
    os.killpg(p.pid, signal.SIGKILL); p.wait()
    before = lines(out/'results.jsonl')
    assert 3 <= len(before) < n, len(before)
    with open(out/'results.jsonl', 'ab') as f: f.write(b'{"source": "inv_99.pdf", "pages": 1, "fie')   # a torn last line

    p = batch(inp, out, url, '--concurrency', str(conc))
    log = p.communicate(timeout=300)[0].decode()
    assert p.returncode == 0 and f'{n + 1} documents' in log and 'already done' in log, log
    after = lines(out/'results.jsonl')
    assert after[:len(before)] == before, 'a finished row changed or was lost'
    ok = [json.loads(l)['source'] for l in after]
    assert len(ok) == len(set(ok)) == n and sorted(ok) == sorted(f'inv_{i:02d}.pdf' for i in range(n))
    assert [json.loads(l)['source'] for l in lines(out/'errors.jsonl')] == ['fail_me.pdf']
    sent = seen()
    assert set(sent) == set(ok) | {'fail_me.pdf'}
    assert len(sent) <= n + 1 + conc, sent   # only the jobs in flight at the kill were sent twice
    assert len(pd.read_csv(out/'results.csv')) == n

    p = batch(inp, out, url)
    log = p.communicate(timeout=120)[0].decode()
    assert f'{n + 1} already done' in log and lines(out/'results.jsonl') == after and seen() == sent, log
