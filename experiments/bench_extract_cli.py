"""`invoice-lab extract` on 10 receipts, process start-up included: the default OCR against tesseract, and both against
another checkout of the package (e.g. main before this branch).

    nice -n 10 .venv/bin/python experiments/bench_extract_cli.py [--n 10] [--reps 2] [--before /work/main]

Each configuration runs the console script once over the same 10 SROIE train receipts (the first of `bench_ocr.py`'s
seeded sample) with an empty OCR cache (a fresh `INVOICE_LAB_CACHE`), 2 OCR threads. Configurations alternate
(A B C D A B C D ...) so that a change in the machine's load hits them alike; the table gives the median wall and CPU
seconds (the child process's user + system time) per run of 10 receipts. Writes experiments/extract_cli_benchmark.json.
"""
import argparse, json, os, resource, statistics, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from bench_ocr import sample

HERE = Path(__file__).parent
EXE = Path(sys.executable).with_name('invoice-lab')

def run(files, ocr:str, code:Path) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, 'INVOICE_LAB_CACHE': cache, 'INVOICE_LAB_OCR_THREADS': '2', 'PYTHONPATH': str(code)}
        out = Path(cache)/'out.jsonl'
        a, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        p = subprocess.run([str(EXE), 'extract', *map(str, files), '--ocr', ocr, '--out', str(out)], env=env, capture_output=True, text=True)
        wall, b = time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode: raise SystemExit(f'{ocr} @ {code}: failed\n{p.stderr[-2000:]}')
        totals = [json.loads(l)['fields'].get('total') for l in out.read_text().splitlines()]
    return dict(wall_s=round(wall, 2), cpu_s=round(b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime, 2),
                totals_found=sum(t is not None for t in totals))

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=10); ap.add_argument('--reps', type=int, default=2)
    ap.add_argument('--before', default='/work/main', help='another checkout to compare (its package dir is put first on PYTHONPATH)')
    ap.add_argument('--out', default=str(HERE/'extract_cli_benchmark.json'))
    a = ap.parse_args()
    files = sample(100, 0)[:a.n]
    this = HERE.parent
    configs = [('this branch', 'auto', this), ('this branch', 'tesseract', this)]
    if a.before: configs += [('before', 'auto', Path(a.before)), ('before', 'tesseract', Path(a.before))]
    runs = {c: [] for c in configs}
    load0 = os.getloadavg()[0]
    for rep in range(a.reps):
        for c in configs:
            r = run(files, c[1], c[2]); runs[c].append(r)
            print(f'rep {rep + 1}: {c[0]:12} --ocr {c[1]:10} wall {r["wall_s"]:7.1f} s  CPU {r["cpu_s"]:7.1f} s  totals {r["totals_found"]}/{a.n}', flush=True)
    rows = [dict(code=c[0], path=str(c[2]), ocr=c[1], receipts=a.n, median_wall_s=statistics.median(r['wall_s'] for r in rs),
                 median_cpu_s=statistics.median(r['cpu_s'] for r in rs), runs=rs) for c, rs in runs.items()]
    print(f"\n{'code':12} {'ocr':10} {'wall s / 10':>12} {'CPU s / 10':>11}")
    for r in rows: print(f"{r['code']:12} {r['ocr']:10} {r['median_wall_s']:12.1f} {r['median_cpu_s']:11.1f}")
    Path(a.out).write_text(json.dumps(dict(command=' '.join(sys.argv), files=[f.stem for f in files], reps=a.reps,
                                           loadavg_start=round(load0, 2), loadavg_end=round(os.getloadavg()[0], 2), results=rows), indent=1))
    print(f'written to {a.out}')

if __name__ == '__main__': main()
