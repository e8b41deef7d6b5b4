"""Throughput of `invoice-lab batch --endpoint` on loopback at concurrency 1, 2 and 4.

Starts the real Serverless worker (runpod/serverless/handler.py) behind the runpod SDK's local API server on
127.0.0.1, generates N synthetic digital invoices (so the measurement is the job path, not OCR), then runs
`run_endpoint_batch` into a fresh output folder at each concurrency, R times, interleaved. Baselines measured in the
same run: the same documents through `extract` in this process (no HTTP, no base64), and concurrency 1. Also the
worker's own start on CPU: process start to its first HTTP answer, and its first job (the CPU part of a cold start).
The SDK's local server runs a synchronous handler on its event loop, i.e. one job at a time, like one RunPod worker
with the default concurrency of 1: more client concurrency can only hide the client's own round trips. Scaling
beyond that comes from more workers on RunPod, which loopback cannot show.
Prints a table, writes experiments/bench_serverless.json.

    .venv/bin/python experiments/bench_serverless.py [--n 40] [--repeats 3]
"""
import argparse, json, os, platform, socket, statistics, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
from invoice_lab.pipeline import extract
from invoice_lab.serverless import run_endpoint_batch
from invoice_lab.synthetic import generate

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'experiments'/'bench_serverless.json'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def start_worker(tmp: Path) -> tuple[subprocess.Popen, str, float]:
    "The worker's local API server, its URL, and the seconds from process start to its first HTTP answer"
    port, t0 = free_port(), time.perf_counter()
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'INVOICE_LAB_CACHE': str(tmp/'cache'), 'RUNPOD_WEBHOOK_GET_JOB': ''}
    p = subprocess.Popen([sys.executable, 'handler.py', '--rp_serve_api', '--rp_api_host', '127.0.0.1', '--rp_api_port', str(port)],
                         cwd=ROOT/'runpod'/'serverless', env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f'http://127.0.0.1:{port}'
    for _ in range(240):
        try: urllib.request.urlopen(url + '/docs', timeout=2); return p, url, time.perf_counter() - t0
        except OSError: time.sleep(0.25)
    p.kill(); raise SystemExit('the local API server did not come up')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--n', type=int, default=40)
    ap.add_argument('--repeats', type=int, default=3)
    a = ap.parse_args()
    levels = (1, 2, 4)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d); inp = tmp/'in'
        docs = generate(inp, a.n, seed=1000)
        size = statistics.mean(p.stat().st_size for p in docs)
        proc, url, ready_s = start_worker(tmp)
        try:
            one = tmp/'one'; one.mkdir(); (one/docs[0].name).write_bytes(docs[0].read_bytes())
            t0 = time.perf_counter()
            run_endpoint_batch(one, tmp/'first', url, concurrency=1, progress=False)   # the worker's first job: lazy imports, models
            first_s = time.perf_counter() - t0
            run_endpoint_batch(inp, tmp/'warm', url, concurrency=1, progress=False)
            direct, runs, loads = [], {c: [] for c in levels}, [os.getloadavg()[0]]
            for r in range(a.repeats):
                t0 = time.perf_counter()
                for p in docs: extract(p)
                direct.append(time.perf_counter() - t0)
                for c in (levels if r % 2 == 0 else levels[::-1]):
                    t0 = time.perf_counter()
                    counts = run_endpoint_batch(inp, tmp/f'out_{c}_{r}', url, concurrency=c, progress=False)
                    runs[c].append(time.perf_counter() - t0)
                    assert counts['ok'] == a.n and counts['failed'] == 0, counts
                loads.append(os.getloadavg()[0])
        finally: proc.kill(); proc.wait()
    med = {c: statistics.median(v) for c, v in runs.items()}
    base = med[1]
    rows = [{'mode': f'endpoint, concurrency {c}', 'concurrency': c, 'median_s': round(med[c], 3), 'docs_per_s': round(a.n/med[c], 2),
             'ms_per_doc': round(1000*med[c]/a.n, 1), 'speedup_vs_c1': round(base/med[c], 3), 'runs_s': [round(x, 3) for x in runs[c]]}
            for c in levels]
    d = statistics.median(direct)
    rows.append({'mode': 'extract() in process (no HTTP)', 'concurrency': None, 'median_s': round(d, 3), 'docs_per_s': round(a.n/d, 2),
                 'ms_per_doc': round(1000*d/a.n, 1), 'speedup_vs_c1': round(base/d, 3), 'runs_s': [round(x, 3) for x in direct]})
    res = {'command': f'python experiments/bench_serverless.py --n {a.n} --repeats {a.repeats}',
           'documents': f'{a.n} synthetic digital invoices (invoice_lab.synthetic, seeds 1000..), mean {size/1e3:.1f} kB',
           'worker': "runpod/serverless/handler.py behind the runpod SDK's local API server (--rp_serve_api), 127.0.0.1, one job at a time",
           'repeats': a.repeats, 'rows': rows, 'worker_ready_s': round(ready_s, 2), 'first_job_s': round(first_s, 3), 'load_average_1min': [round(x, 2) for x in loads],
           'host': {'cpus': os.cpu_count(), 'python': platform.python_version(), 'machine': platform.machine()}}
    OUT.write_text(json.dumps(res, indent=1) + '\n')
    print(f"{'mode':34}{'median s':>10}{'docs/s':>9}{'ms/doc':>9}{'vs c=1':>8}")
    for r in rows: print(f"{r['mode']:34}{r['median_s']:10.3f}{r['docs_per_s']:9.2f}{r['ms_per_doc']:9.1f}{r['speedup_vs_c1']:8.2f}")
    print(f"worker process start -> first HTTP answer {ready_s:.2f} s; its first job {first_s:.3f} s (CPU, no torch)")
    print(f"load average during the runs: {res['load_average_1min']}; written to {OUT.relative_to(ROOT)}")


if __name__ == '__main__':
    main()
