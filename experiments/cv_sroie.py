"""5-fold cross-validation of the receipt model (`invoice_lab.fields`) on SROIE train, through the package's harness.

    nice -n 10 .venv/bin/python experiments/cv_sroie.py --test-ocr boxes,rapidocr --train-ocr boxes,rapidocr

Folds: `datasets.assign_folds` (seed 0; grouped: identical images, and receipts with identical labels, share a fold).
`crossval.run_cv` trains `crossval.receipt_fit` per fold on the other folds' receipts read with every `--train-ocr`
engine and predicts the held-out receipts read with each `--test-ocr` engine: `boxes` = the dataset's ground-truth
OCR lines (setting a, extraction alone), `rapidocr` = our own OCR (setting b, end to end). The same fold models
serve every test engine. Scores: `invoice_lab.scoring` (the rules of score_results.py: raw text against the label,
loose = whitespace removed and case-folded, strict = whitespace collapsed; F1 as SROIE task 3 counts it). The naive
baseline (`scoring.baseline_fit`: first line, first date, largest amount) runs on the same folds. Extraction time
per page (median; OCR excluded: documents come from the OCR cache) as CPU time of the process and as wall time.
Writes experiments/cv_sroie.json.
"""
import argparse, json, statistics
from pathlib import Path
from invoice_lab.crossval import receipt_fit, run_cv
from invoice_lab.datasets import load_examples, load_docs
from invoice_lab.ocr import cache_path

FIELDS4 = ['vendor', 'vendor_address', 'date', 'total', 'micro']

def shared_models(seed):
    "`receipt_fit`, one model per training set: the second test engine reuses the fold models of the first"
    models = {}
    def fit(pairs):
        key = frozenset(d.meta['id'] for d, _ in pairs)
        if key not in models: models[key] = receipt_fit(pairs, seed)
        return models[key]
    return fit

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--train-ocr', default='boxes,rapidocr')
    ap.add_argument('--test-ocr', default='boxes,rapidocr')
    ap.add_argument('--folds', type=int, default=5)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--limit', type=int, default=None)
    ap.add_argument('--cached-only', action='store_true', help='only the receipts every engine has in the OCR cache (folds as for all)')
    ap.add_argument('--out', default=str(Path(__file__).with_name('cv_sroie.json')))
    a = ap.parse_args()
    train_ocr, test_ocr = a.train_ocr.split(','), a.test_ocr.split(',')
    ex = load_examples('sroie', 'train', a.limit)
    if a.cached_only:
        ex = [e for e in ex if all(o in ('boxes', 'pdf-text') or cache_path(e.sha256, o).exists() for o in train_ocr + test_ocr)]
        print(f'{len(ex)} receipts have every engine in the OCR cache', flush=True)
    docs = {o: load_docs(ex, o, progress=True)[0] for o in sorted(set(train_ocr + test_ocr))}
    fit, scores, runs = shared_models(a.seed), {}, {}
    for o in test_ocr:
        runs[o] = res = run_cv(ex, docs[o], fit, a.folds, a.seed, 'receipt', train_docs=[docs[t] for t in train_ocr], progress=True)
        t = res.table()
        scores[o] = {x: {f: {k: round(float(r[k]), 4) for k in ('accuracy', 'precision', 'f1', 'strict_f1')} | {'n': int(r.n)}
                         for f, r in g.set_index('field').iterrows()} for x, g in t.groupby('extractor')}
    gap = ({f: round(scores['boxes']['receipt'][f]['f1'] - scores['rapidocr']['receipt'][f]['f1'], 4) for f in FIELDS4}
           if {'boxes', 'rapidocr'} <= set(test_ocr) else None)
    rows = runs[test_ocr[0]].frame()
    per_doc = rows.groupby(['extractor', 'id'])[['ms', 'cpu_ms']].first()
    ms = lambda x, c: round(statistics.median(per_doc.loc[x][c]), 2)
    out = dict(command='python experiments/cv_sroie.py ' + ' '.join(f'--{k.replace("_", "-")} {v}' for k, v in vars(a).items() if k not in ('out', 'cached_only') and v is not None) + (' --cached-only' if a.cached_only else ''),
               n_docs=len(ex), folds=a.folds, seed=a.seed, train_ocr=train_ocr, test_ocr=test_ocr, scores=scores,
               loose_f1_gap_boxes_minus_rapidocr=gap, train_seconds=runs[test_ocr[0]].train_s['receipt'],
               extract_ms_per_page=dict(cpu_median=ms('receipt', 'cpu_ms'), wall_median=ms('receipt', 'ms'), engine=test_ocr[0]),
               baseline_cpu_ms_median=ms('baseline', 'cpu_ms'), errors=[e for r in runs.values() for e in r.errors])
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(f"{'setting':<32}" + ''.join(f'{f:>16}' for f in FIELDS4))
    for o, per in scores.items():
        for x, s in per.items():
            for k in ('f1', 'strict_f1'):
                print(f'{f"{o} {x} {k}":<32}' + ''.join(f"{s[f][k]:>16.3f}" for f in FIELDS4))
    if gap: print(f"{'gap (a)-(b) loose F1':<32}" + ''.join(f'{gap[f]:>16.3f}' for f in FIELDS4))
    print('extraction ms/page median:', out['extract_ms_per_page'], '| baseline CPU', out['baseline_cpu_ms_median'], '| train s/fold', out['train_seconds'])

if __name__ == '__main__': main()
