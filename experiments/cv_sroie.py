"""5-fold cross-validation of the CPU field extractor (`invoice_lab.fields`) on SROIE train.

    nice -n 10 .venv/bin/python experiments/cv_sroie.py --test-ocr boxes,rapidocr --train-ocr boxes,rapidocr

Folds: `evaluate.assign_folds` (seed 0; identical images share a fold). In each fold one model is trained on
the other folds' receipts read with every `--train-ocr` engine, then scored on the held-out receipts read with
each `--test-ocr` engine: `boxes` = the dataset's ground-truth OCR lines (setting a, extraction alone),
`rapidocr` = our own OCR (setting b, end to end). Scores compare the raw prediction with the label (SROIE
convention) under the loose (whitespace removed, case-folded) and strict (whitespace collapsed) rules.
Also measured, from the same documents: the naive rule baseline (first line = vendor, the next lines up to a
TEL/GST/date line = address, first date pattern, amount on the last TOTAL line), and the extraction time per
page (median; OCR excluded: documents come from the OCR cache), as CPU time of the process (extraction runs on one
thread, so this is the wall time on an idle machine) and as wall time (inflated when other jobs share the cores).
Writes experiments/cv_sroie.json.
"""
import argparse, json, re, statistics, time
from pathlib import Path
import pandas as pd
from invoice_lab.fields import (CPU_FIELDS, DATE_PATTERNS, AMOUNT_RE, KEYWORDS, doc_lines, extract_fields, train_model)
from invoice_lab.evaluate import load_examples, load_docs, assign_folds, score_rows, field_scores
from invoice_lab.ocr import cache_path

def baseline(doc):
    "The naive rules, for scale"
    L = [l.text for l in doc_lines(doc)]
    stop = lambda t: KEYWORDS['phone'].search(t) or KEYWORDS['reg'].search(t) or any(r.search(t) for _, r in DATE_PATTERNS)
    addr = []
    for t in L[1:6]:
        if stop(t): break
        addr.append(t)
    date = next((m.group(0) for t in L for _, r in DATE_PATTERNS if (m := r.search(t))), None)
    tot = [m.group('num') for i, t in enumerate(L) if KEYWORDS['total'].search(t) and not KEYWORDS['subtotal'].search(t)
           for m in [AMOUNT_RE.search(t) or (AMOUNT_RE.search(L[i+1]) if i + 1 < len(L) else None)] if m]
    return {'vendor': L[0] if L else None, 'vendor_address': ' '.join(addr) or None, 'date': date, 'total': tot[-1] if tot else None}

def rows(ex, preds, setting, method):
    return [dict(id=e.id, field=f, true=e.labels.get(f), raw=preds[e.id].get(f), value=None, true_value=None,
                 setting=setting, method=method) for e in ex for f in CPU_FIELDS]

def scores(df):
    out = {}
    for rule in ('loose', 'strict'):
        fs = field_scores(score_rows(df.drop(columns=['setting', 'method']).reset_index(drop=True)), rule)
        out[rule] = {f: {k: round(float(r[k]), 4) for k in ('precision', 'recall', 'f1')} for f, r in fs.iterrows()}
    return out

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
    fold = assign_folds(ex, a.folds, a.seed)
    if a.cached_only:
        ex = [e for e in ex if all(o in ('boxes', 'pdf-text') or cache_path(e.sha256, o).exists() for o in train_ocr + test_ocr)]
        print(f'{len(ex)} receipts have every engine in the OCR cache', flush=True)
    docs = {o: load_docs(ex, o)[0] for o in sorted(set(train_ocr + test_ocr))}
    preds = {o: {} for o in test_ocr}; ms, cpu_ms, train_s = [], [], []
    for k in range(a.folds):
        t = time.perf_counter()
        model = train_model([(docs[o][e.id], e.train_labels()) for o in train_ocr for e in ex if fold[e.id] != k], seed=a.seed)
        train_s.append(round(time.perf_counter() - t, 1))
        for o in test_ocr:
            for e in ex:
                if fold[e.id] != k: continue
                t, c = time.perf_counter(), time.process_time()
                got = extract_fields(docs[o][e.id], model)
                n = max(1, len(docs[o][e.id].pages))
                ms.append((time.perf_counter() - t)*1000/n); cpu_ms.append((time.process_time() - c)*1000/n)
                preds[o][e.id] = {f: v.raw if v else None for f, v in got.items()}
        print(f'fold {k}: trained in {train_s[-1]} s', flush=True)
    base_ms, base = [], {}
    for e in ex:
        c = time.process_time(); base[e.id] = baseline(docs['boxes' if 'boxes' in docs else test_ocr[0]][e.id])
        base_ms.append((time.process_time() - c)*1000)
    res = {o: scores(pd.DataFrame(rows(ex, preds[o], o, 'cv'))) for o in test_ocr}
    bsrc = 'boxes' if 'boxes' in docs else test_ocr[0]
    res[f'baseline_rules_{bsrc}'] = scores(pd.DataFrame(rows(ex, base, bsrc, 'rules')))
    gap = ({f: round(res['boxes']['loose'][f]['f1'] - res['rapidocr']['loose'][f]['f1'], 4) for f in [*CPU_FIELDS, 'micro']}
           if {'boxes', 'rapidocr'} <= set(test_ocr) else None)
    out = dict(command='python experiments/cv_sroie.py ' + ' '.join(f'--{k.replace("_", "-")} {v}' for k, v in vars(a).items() if k not in ('out', 'cached_only') and v is not None) + (' --cached-only' if a.cached_only else ''),
               n_docs=len(ex), folds=a.folds, seed=a.seed, train_ocr=train_ocr, test_ocr=test_ocr, scores=res,
               loose_f1_gap_boxes_minus_rapidocr=gap, train_seconds=train_s,
               extract_ms_per_page=dict(cpu_median=round(statistics.median(cpu_ms), 2), cpu_p90=round(sorted(cpu_ms)[int(.9*len(cpu_ms))], 2),
                                        wall_median=round(statistics.median(ms), 2), n=len(ms)),
               baseline_rules_cpu_ms_median=round(statistics.median(base_ms), 2))
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(f"{'setting':<24}" + ''.join(f'{f:>16}' for f in [*CPU_FIELDS, 'micro']))
    for name, r in res.items():
        for rule in ('loose', 'strict'):
            print(f'{name + " " + rule:<24}' + ''.join(f"{r[rule][f]['f1']:>16.3f}" for f in [*CPU_FIELDS, 'micro']))
    if gap: print(f"{'gap (a)-(b) loose':<24}" + ''.join(f'{gap[f]:>16.3f}' for f in [*CPU_FIELDS, 'micro']))
    print('extraction ms/page median: CPU', out['extract_ms_per_page']['cpu_median'], 'wall', out['extract_ms_per_page']['wall_median'],
          '| rules baseline CPU', out['baseline_rules_cpu_ms_median'],
          '| train s/fold', train_s)

if __name__ == '__main__': main()
