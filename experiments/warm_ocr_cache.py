"""OCR every SROIE train image with one engine into the on-disk OCR cache (resumable: cached files are skipped).

    nice -n 10 env INVOICE_LAB_OCR_THREADS=1 .venv/bin/python experiments/warm_ocr_cache.py [--engine rapidocr]

Afterwards `load_document(path, engine=...)` returns instantly for these files. Progress goes to stdout,
a summary (count, seconds) to experiments/warm_ocr_cache.<engine>.json.
"""
import argparse, json, time
from pathlib import Path
from invoice_lab.core import data_dir, sha256_of
from invoice_lab.ocr import load_document, cache_path

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--engine', default='rapidocr')
    ap.add_argument('--split', default='sroie/train')
    a = ap.parse_args()
    files = sorted((data_dir()/a.split).glob('*.jpg'))
    done = new = 0; secs = []; t0 = time.time()
    for i, f in enumerate(files):
        if cache_path(sha256_of(f.read_bytes()), a.engine).exists(): done += 1; continue
        t = time.perf_counter(); load_document(f, engine=a.engine); secs.append(time.perf_counter() - t); new += 1
        if new % 10 == 0: print(f'{i+1}/{len(files)} new {new}, median {sorted(secs)[len(secs)//2]:.2f} s/page', flush=True)
    summary = {'engine': a.engine, 'files': len(files), 'already_cached': done, 'ocred': new, 'wall_s': round(time.time() - t0, 1),
               'median_s': round(sorted(secs)[len(secs)//2], 3) if secs else None}
    print(summary)
    Path(__file__).with_name(f'warm_ocr_cache.{a.engine}.json').write_text(json.dumps(summary, indent=1))

if __name__ == '__main__': main()
