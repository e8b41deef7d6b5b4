"""Build the shipped CPU field model (invoice_lab/assets/models/fields_cpu.pkl) from SROIE train.

    nice -n 10 .venv/bin/python experiments/train_extractor.py            # = invoice-lab train
    nice -n 10 .venv/bin/python experiments/train_extractor.py --ocr boxes --out /tmp/m.pkl

Trains on all 626 receipts read twice: with the dataset's ground-truth OCR lines (`boxes`) and with our own
OCR (`rapidocr`, from the OCR cache; warm it first with experiments/warm_ocr_cache.py or it OCRs every image,
~15-30 min on 2 cores). The model's honest accuracy is the cross-validated one: experiments/cv_sroie.py.
Writes a summary (size, seconds, documents) to experiments/train_extractor.json.
"""
import argparse, json, time
from pathlib import Path
from invoice_lab.fields import DEFAULT_MODEL, build_default_model

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--ocr', default='boxes,rapidocr', help='OCR engines whose output the model learns from, comma-separated')
    ap.add_argument('--out', default=str(DEFAULT_MODEL))
    ap.add_argument('--limit', type=int, default=None, help='only the first N receipts (a quick check)')
    ap.add_argument('--cached-only', action='store_true', help='skip receipts an OCR engine has not cached yet')
    a = ap.parse_args()
    t = time.perf_counter()
    m = build_default_model(tuple(a.ocr.split(',')), a.out, a.limit, cached_only=a.cached_only)
    summary = dict(command=f'python experiments/train_extractor.py --ocr {a.ocr}' + (f' --limit {a.limit}' if a.limit else '') + (' --cached-only' if a.cached_only else ''),
                   out=a.out, bytes=Path(a.out).stat().st_size, seconds=round(time.perf_counter() - t, 1),
                   **{k: v for k, v in m.meta.items() if k != 'params'}, params=m.meta.get('params'))
    print(json.dumps(summary, indent=1))
    if Path(a.out).resolve() == DEFAULT_MODEL.resolve(): Path(__file__).with_name('train_extractor.json').write_text(json.dumps(summary, indent=1))

if __name__ == '__main__': main()
