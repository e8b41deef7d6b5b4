"""Issue 12 measured on a real `invoice-lab serve` process, for the code at a base commit and for this checkout, in
the same run: answer sizes for crafted e-invoice XML, RSS of the server and its worker processes for huge-page / many-frame uploads,
their CPU after a 504, small requests queued behind timed-out ones, and a client sending its request head one line a second.

    nice -n 10 .venv/bin/python experiments/bench_hardening.py --base 46c3bb6   # -> experiments/hardening.json
"""
import argparse, io, json, os, socket, subprocess, sys, tarfile, tempfile, threading, time, urllib.request
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tests'))
import pymupdf
from PIL import Image, ImageDraw
from hostile import cii_xml, einvoice_pdf, huge_pages_pdf, tiff_frames, xml_bomb_pdf
from invoice_lab.api import wait_ready

TICK = os.sysconf('SC_CLK_TCK')


def checkout(commit: str, dest: Path) -> Path:
    "The `invoice_lab` package as of `commit`, extracted under `dest` (for PYTHONPATH)"
    data = subprocess.run(['git', '-C', str(ROOT), 'archive', commit, 'invoice_lab'], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as t: t.extractall(dest, filter='data')
    return dest


def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


class Server:
    "`invoice-lab serve` of the package on `path`, with `INVOICE_LAB_*` settings `env`"
    def __init__(self, path: Path, **env):
        self.port = free_port()
        e = {**os.environ, 'PYTHONPATH': str(path), 'PYTHONDONTWRITEBYTECODE': '1', **{f'INVOICE_LAB_{k.upper()}': str(v) for k, v in env.items()}}
        e['INVOICE_LAB_CACHE'] = tempfile.mkdtemp()   # also the working directory: '' on sys.path must not be a checkout
        self.proc = subprocess.Popen([sys.executable, '-c', 'from invoice_lab.cli import app; app()', 'serve', '--port', str(self.port)],
                                     env=e, cwd=e['INVOICE_LAB_CACHE'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f'http://127.0.0.1:{self.port}'
        wait_ready(self.url, 300, self.proc)

    def tree(self) -> list[int]:
        "The server's pid and those of its live descendants (its worker processes)"
        out, todo = [], [self.proc.pid]
        while todo:
            p = todo.pop(); out.append(p)
            for t in Path(f'/proc/{p}/task').glob('*/children'):
                try: todo += [int(k) for k in t.read_text().split()]
                except OSError: pass
        return out

    def status(self, key: str, tree: bool = True) -> int:
        "A `/proc/<pid>/status` value in kB (VmRSS), summed over the server and its worker processes (`tree`), or the server's own"
        total = 0
        for pid in (self.tree() if tree else [self.proc.pid]):
            try: lines = Path(f'/proc/{pid}/status').read_text().splitlines()
            except OSError: continue
            total += next((int(ln.split()[1]) for ln in lines if ln.startswith(key + ':')), 0)
        return total

    def cpu(self) -> float:
        "CPU seconds (user + system) used so far by the server and its worker processes, live or already reaped"
        total = 0
        for pid in self.tree():
            try: f = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
            except OSError: continue
            total += sum(int(x) for x in f[11:15])   # utime, stime, and those of its reaped children
        return total / TICK

    def post(self, path: str, data: bytes, ctype='application/pdf', timeout=600) -> tuple[int, int, float]:
        "(status, answer bytes, seconds) of one upload"
        req = urllib.request.Request(self.url + path, data=data, headers={'Content-Type': ctype}, method='POST')
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r: body, st = r.read(), r.status
        except urllib.error.HTTPError as e: body, st = e.read(), e.code
        return st, len(body), round(time.perf_counter() - t, 2)

    def close(self):
        self.proc.terminate()
        try: self.proc.wait(10)
        except subprocess.TimeoutExpired: self.proc.kill()


def scanned_pdf(pages=6, w=1700, h=2200) -> bytes:
    "Pages that are images of dense text (no text layer): each one is rasterised and OCRed, seconds of CPU a page"
    pdf = pymupdf.open()
    for p in range(pages):
        im = Image.new('L', (w, h), 255)
        d = ImageDraw.Draw(im)
        for i in range(70): d.text((60, 40 + 30 * i), f'{p}-{i:03d} ITEM COFFEE BEANS 1 x {i}.50   TOTAL {i}.50 EUR', fill=0, font_size=22)
        buf = io.BytesIO(); im.save(buf, 'JPEG', quality=70)
        pdf.new_page(width=612, height=792).insert_image(pymupdf.Rect(0, 0, 612, 792), stream=buf.getvalue())
    return pdf.tobytes()


def answers(path: Path) -> dict:
    "Status and size of the answer to each crafted e-invoice"
    s, out = Server(path), {}
    try:
        for name, data in [('xml_bomb_300MB', xml_bomb_pdf(300)), ('total_1E+10000000', einvoice_pdf(cii_xml(total='1E+10000000'))),
                           ('total_1E+50000000_no_page_total', einvoice_pdf(cii_xml(total='1E+50000000'), 'ACME GmbH')),
                           ('total_1E+50000000_alone', einvoice_pdf(cii_xml(total='1E+50000000', tax='', net=''), 'ACME GmbH')),
                           ('tax_1E-5000000', einvoice_pdf(cii_xml(tax='1E-5000000')))]:
            st, n, sec = s.post('/v1/extract', data)
            out[name] = {'upload_bytes': len(data), 'status': st, 'answer_bytes': n}
    finally: s.close()
    return out


def memory(path: Path) -> dict:
    """RSS (MB) of the server and its worker processes together (summed: pages they share count twice) before, at its peak
    during, and 3 s after each big upload; `server_*` the server process alone"""
    s, out = Server(path), {}
    try:
        for name, data, ctype in [('8_pages_200in', huge_pages_pdf(8), 'application/pdf'),
                                  ('tiff_4x49MP', tiff_frames(4, 7000, 7000), 'image/tiff')]:
            before, server_before = s.status('VmRSS'), s.status('VmRSS', tree=False)
            peak, server_peak, done = [before], [server_before], threading.Event()
            def watch():
                while not done.is_set(): peak.append(s.status('VmRSS')); server_peak.append(s.status('VmRSS', tree=False)); time.sleep(0.05)
            th = threading.Thread(target=watch); th.start()
            st, n, sec = s.post('/v1/extract', data, ctype)
            done.set(); th.join(); time.sleep(3)
            after = s.status('VmRSS')
            out[name] = {'upload_bytes': len(data), 'status': st, 'answer_bytes': n, 'seconds': sec, 'processes': len(s.tree()),
                         'rss_before_mb': before // 1024, 'rss_peak_mb': max(peak) // 1024, 'rss_after_mb': after // 1024,
                         'growth_peak_mb': (max(peak) - before) // 1024, 'growth_after_mb': (after - before) // 1024,
                         'server_rss_before_mb': server_before // 1024, 'server_growth_peak_mb': (max(server_peak) - server_before) // 1024}
    finally: s.close()
    return out


def timeout(path: Path, limit=4.0) -> dict:
    """Two heavy uploads past the time limit, a small one sent 1 s behind them; the CPU of the server and its worker
    processes after their 504s, sampled every 0.5 s from when the small answer and both 504s are in
    (`sampling_from_s_after_last_504` later than the last 504)"""
    s, heavy, small = Server(path, timeout_s=limit, workers=2), scanned_pdf(), einvoice_pdf(cii_xml())
    try:
        res, ends = {}, {}
        def go(k, data): res[k] = s.post('/v1/extract', data); ends[k] = time.perf_counter()
        ths = [threading.Thread(target=go, args=(f'heavy{i}', heavy)) for i in range(2)]
        for t in ths: t.start()
        time.sleep(1.0)
        small_res = s.post('/v1/extract', small)
        for t in ths: t.join()
        t504, cpu0, samples = time.perf_counter(), s.cpu(), []
        while time.perf_counter() - t504 < 20:
            c0, t0 = s.cpu(), time.perf_counter(); time.sleep(0.5)
            samples.append((round(t0 - t504, 2), round((s.cpu() - c0) / (time.perf_counter() - t0), 3)))
        idle = next((t for t, rate in samples if rate < 0.05), None)
        return {'limit_s': limit, 'heavy': [res['heavy0'][0], res['heavy1'][0]], 'heavy_seconds': [res['heavy0'][2], res['heavy1'][2]],
                'small_behind_status': small_res[0], 'small_behind_seconds': small_res[2],
                'sampling_from_s_after_last_504': round(t504 - max(ends.values()), 2), 'cpu_s_in_20s_after_504': round(s.cpu() - cpu0, 2),
                'seconds_until_cpu_idle': idle, 'cpu_rate_samples': samples[:12]}
    finally: s.close()


def slow_head(path: Path, lines=15) -> dict:
    "A client that sends one header line a second: when (after how many lines) does the server answer or close?"
    s = Server(path, header_timeout_s=5)
    try:
        with socket.create_connection(('127.0.0.1', s.port), timeout=30) as c:
            c.sendall(b'GET /healthz HTTP/1.1\r\n'); c.settimeout(1.0)
            for i in range(lines):
                try:
                    c.sendall(b'X-Slow-%d: 1\r\n' % i)
                    if got := c.recv(4096): return {'closed_after_lines': i + 1, 'reply': got.split(b'\r\n')[0].decode()}
                except socket.timeout: continue
                except OSError: return {'closed_after_lines': i + 1, 'reply': 'connection closed'}
        return {'closed_after_lines': None, 'reply': f'still open after {lines} lines'}
    finally: s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--base', default='46c3bb6', help='commit to compare with (before the hardening)')
    ap.add_argument('--out', default=str(ROOT/'experiments'/'hardening.json'))
    a = ap.parse_args()
    variants = {f'base {a.base}': checkout(a.base, Path(tempfile.mkdtemp())), 'now': ROOT}
    res = {'base': a.base, 'machine': {'cpus': os.cpu_count(), 'load': os.getloadavg()}}
    for label, path in variants.items():
        print(f'--- {label}', flush=True)
        res[label] = {}
        for name, fn in [('answers', answers), ('memory', memory), ('timeout', timeout), ('slow_head', slow_head)]:
            res[label][name] = fn(path)
            print(name, json.dumps(res[label][name]), flush=True)
    Path(a.out).write_text(json.dumps(res, indent=1) + '\n')
    b, n = res[f'base {a.base}'], res['now']
    rows = [(f'{k}: status / answer bytes', f"{b['answers'][k]['status']} / {b['answers'][k]['answer_bytes']}",
             f"{n['answers'][k]['status']} / {n['answers'][k]['answer_bytes']}") for k in n['answers']]
    rows += [(f'{k}: status, RSS growth peak / after (MB)', f"{b['memory'][k]['status']}, {b['memory'][k]['growth_peak_mb']} / {b['memory'][k]['growth_after_mb']}",
              f"{n['memory'][k]['status']}, {n['memory'][k]['growth_peak_mb']} / {n['memory'][k]['growth_after_mb']}") for k in n['memory']]
    rows += [('timeout: heavy statuses', b['timeout']['heavy'], n['timeout']['heavy']),
             ('timeout: small request behind them', b['timeout']['small_behind_status'], n['timeout']['small_behind_status']),
             ('timeout: s until CPU idle after 504', b['timeout']['seconds_until_cpu_idle'], n['timeout']['seconds_until_cpu_idle']),
             ('timeout: CPU s in 20 s after 504', b['timeout']['cpu_s_in_20s_after_504'], n['timeout']['cpu_s_in_20s_after_504']),
             ('slow head: reply', b['slow_head']['reply'], n['slow_head']['reply'])]
    print(f"\n{'measure':48}{'base':>28}{'now':>28}")
    for r in rows: print(f'{r[0]:48}{str(r[1]):>28}{str(r[2]):>28}')
    print(f'-> {a.out}')


if __name__ == '__main__': main()
