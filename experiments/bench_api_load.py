"""Load test of `invoice-lab serve` on loopback: N requests of the sample receipt at a fixed concurrency.

Starts the server in a subprocess (127.0.0.1, a free port, a random key, a private OCR cache), waits for /readyz,
then measures
- a sequential baseline (concurrency 1) and the loaded run (default 200 requests at concurrency 8): p50/p95/max
  latency, throughput, errors;
- /healthz latency probed every 0.2 s during the loaded run (the event loop must stay free);
- the server's RSS (with children) sampled every 0.1 s: start, peak, and the medians of the first and last
  quarter of the run (a leak shows as a rising last quarter).
Every upload is the receipt with a unique trailer after the JPEG end marker (decoders ignore it), so each request
misses the OCR cache and does the full work. Prints a table, writes experiments/api_load.json.

    .venv/bin/python experiments/bench_api_load.py [--n 200] [--concurrency 8] [--baseline 10]
"""
import argparse, asyncio, json, os, platform, secrets, socket, statistics, subprocess, sys, tempfile, threading, time
from pathlib import Path
import httpx, psutil
from invoice_lab.api import wait_ready

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT/'invoice_lab'/'assets'/'samples'/'receipt.jpg'
OUT = ROOT/'experiments'/'api_load.json'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q/100*(len(xs) - 1)))]


class RssSampler(threading.Thread):
    "RSS of a process and its children every `every` seconds"
    def __init__(self, pid, every=0.1):
        super().__init__(daemon=True)
        self.p, self.every, self.samples, self.stop = psutil.Process(pid), every, [], threading.Event()
    def rss(self):
        procs = [self.p, *self.p.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs if p.is_running())
    def run(self):
        while not self.stop.is_set():
            self.samples.append((time.perf_counter(), self.rss())); time.sleep(self.every)


async def load(url, headers, data, n, conc, start=0):
    "Latencies and statuses of `n` uploads at concurrency `conc`, and the wall time"
    sem, lat, status, totals = asyncio.Semaphore(conc), [], [], []
    async with httpx.AsyncClient(timeout=300, limits=httpx.Limits(max_connections=conc)) as c:
        async def one(i):
            async with sem:
                body = data + b'invoice-lab-bench-%08d' % (start + i)
                t = time.perf_counter()
                r = await c.post(url + '/v1/extract?name=receipt.jpg', content=body, headers={**headers, 'Content-Type': 'image/jpeg'})
                lat.append(time.perf_counter() - t); status.append(r.status_code)
                if r.status_code == 200: totals.append((r.json()['fields'].get('total') or {}).get('value'))
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        wall = time.perf_counter() - t0
    assert len(set(totals)) <= 1, f'the same receipt gave different totals: {set(totals)}'
    return lat, status, wall


async def probe_health(url, stop: asyncio.Event):
    lat = []
    async with httpx.AsyncClient(timeout=30) as c:
        while not stop.is_set():
            t = time.perf_counter(); await c.get(url + '/healthz'); lat.append(time.perf_counter() - t)
            await asyncio.sleep(0.2)
    return lat


async def loaded(url, headers, data, n, conc):
    stop = asyncio.Event()
    health = asyncio.create_task(probe_health(url, stop))
    res = await load(url, headers, data, n, conc, start=10_000)
    stop.set()
    return res, await health


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=200); ap.add_argument('--concurrency', type=int, default=8)
    ap.add_argument('--baseline', type=int, default=10, help='sequential requests measured first')
    ap.add_argument('--threads', type=int, default=2, help="server worker threads (this machine: 2 cores)")
    a = ap.parse_args()
    data, port, key = SAMPLE.read_bytes(), free_port(), secrets.token_hex(16)
    load_before = os.getloadavg()[0]
    url, headers = f'http://127.0.0.1:{port}', {'X-API-Key': key}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, 'INVOICE_LAB_API_KEY': key, 'INVOICE_LAB_CACHE': cache,
               'INVOICE_LAB_QUEUE': str(max(16, 2*a.concurrency))}
        cli = Path(sys.executable).parent/'invoice-lab'
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(cli), 'serve', '--port', str(port), '--threads', str(a.threads)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(url, 300, proc)
            ready_s = time.perf_counter() - t0
            sampler = RssSampler(proc.pid); sampler.start()
            b_lat, b_status, b_wall = asyncio.run(load(url, headers, data, a.baseline, 1))
            t_load = time.perf_counter()
            (lat, status, wall), health = asyncio.run(loaded(url, headers, data, a.n, a.concurrency))
            sampler.stop.set(); sampler.join()
        finally:
            proc.terminate(); proc.wait(15)
    during = [r for t, r in sampler.samples if t >= t_load]
    q = max(1, len(during)//4)
    errors = sum(s != 200 for s in status) + sum(s != 200 for s in b_status)
    res = {
        'n': a.n, 'concurrency': a.concurrency, 'server_threads': a.threads, 'cpu_count': os.cpu_count(),
        'python': platform.python_version(), 'sample': SAMPLE.name, 'startup_to_ready_s': round(ready_s, 2),
        'loadavg_1min': {'before': round(load_before, 2), 'after': round(os.getloadavg()[0], 2)},
        'baseline': {'n': a.baseline, 'p50_ms': round(1000*statistics.median(b_lat), 1), 'p95_ms': round(1000*pct(b_lat, 95), 1),
                     'throughput_rps': round(a.baseline/b_wall, 2)},
        'load': {'p50_ms': round(1000*statistics.median(lat), 1), 'p95_ms': round(1000*pct(lat, 95), 1),
                 'max_ms': round(1000*max(lat), 1), 'throughput_rps': round(a.n/wall, 2), 'wall_s': round(wall, 1)},
        'errors': errors, 'statuses': {str(s): status.count(s) for s in sorted(set(status))},
        'healthz_during_load': {'n': len(health), 'p50_ms': round(1000*statistics.median(health), 1),
                                'p95_ms': round(1000*pct(health, 95), 1), 'max_ms': round(1000*max(health), 1)},
        'rss_mb': {'at_start': round(sampler.samples[0][1]/2**20, 1), 'peak': round(max(r for _, r in sampler.samples)/2**20, 1),
                   'first_quarter_median': round(statistics.median(during[:q])/2**20, 1),
                   'last_quarter_median': round(statistics.median(during[-q:])/2**20, 1), 'samples': len(sampler.samples)},
    }
    res['load']['throughput_vs_sequential'] = round(res['load']['throughput_rps']/res['baseline']['throughput_rps'], 2)
    res['load']['p50_vs_sequential'] = round(res['load']['p50_ms']/res['baseline']['p50_ms'], 2)
    res['rss_mb']['last_vs_first_quarter'] = round(res['rss_mb']['last_quarter_median']/res['rss_mb']['first_quarter_median'], 3)
    OUT.write_text(json.dumps(res, indent=2) + '\n')
    b, l, h, m = res['baseline'], res['load'], res['healthz_during_load'], res['rss_mb']
    rows = [('sequential baseline', f"{b['n']} req", f"{b['p50_ms']:.0f}", f"{b['p95_ms']:.0f}", f"{b['throughput_rps']:.2f}"),
            (f'load, concurrency {a.concurrency}', f"{a.n} req", f"{l['p50_ms']:.0f}", f"{l['p95_ms']:.0f}", f"{l['throughput_rps']:.2f}"),
            ('/healthz during load', f"{h['n']} req", f"{h['p50_ms']:.1f}", f"{h['p95_ms']:.1f}", '')]
    print(f"{'':26}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'req/s':>8}")
    for r in rows: print(f'{r[0]:26}{r[1]:>10}{r[2]:>10}{r[3]:>10}{r[4]:>8}')
    print(f"errors: {errors}   throughput x{l['throughput_vs_sequential']} of sequential   ready after {ready_s:.1f} s   "
          f"load average {res['loadavg_1min']['before']} -> {res['loadavg_1min']['after']} (other processes share the cores)")
    print(f"RSS MB: start {m['at_start']}, peak {m['peak']}, first quarter {m['first_quarter_median']}, "
          f"last quarter {m['last_quarter_median']} (x{m['last_vs_first_quarter']})")
    print(f'written to {OUT.relative_to(ROOT)}')
    sys.exit(1 if errors else 0)


if __name__ == '__main__': main()
