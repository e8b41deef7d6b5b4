"""`invoice_lab.scoring` against `../shared/tools/score_results.py` (the script that checks reported numbers) on the same predictions.

    .venv/bin/python experiments/check_scoring.py [--tool ../shared/tools/score_results.py]

Predictions: (1) the naive baseline (`scoring.baseline_predict`) on every SROIE receipt (ground-truth lines) and every
e-invoice (PDF text layer); (2) for SROIE, e-invoices and DeepForm, predictions made from the labels themselves and
perturbed at random (seed 0): kept, case and spaces changed, one character changed, a word added or cut, another
document's label, or nothing; raw and value perturbed independently. Both scorers read the same results.jsonl;
every per-field number and the headline must be equal. Writes experiments/check_scoring.json.
"""
import argparse, json, random, re, subprocess, sys, tempfile
from pathlib import Path
import pandas as pd
from invoice_lab.contract import FIELDS, Field, Result
from invoice_lab.core import data_dir
from invoice_lab.datasets import DATASETS, load_docs, load_examples
from invoice_lab.scoring import HEADLINE, SCORED, baseline_predict, field_scores, result_rows

def perturb(s, rnd, others):
    if s is None or rnd.random() < .1: return None
    k = rnd.randrange(7)
    if k == 0: return s
    if k == 1: return ' '.join(s.lower().split()) if rnd.random() < .5 else s.replace(' ', '  ').upper()
    if k == 2 and s: i = rnd.randrange(len(s)); return s[:i] + rnd.choice('0O1lX ') + s[i+1:]
    if k == 3: return s + ' SDN BHD'
    if k == 4 and len(s) > 3: return s[:len(s)*3//4]
    if k == 5: return rnd.choice(others)
    return s

def label_predictions(ex, seed=0):
    rnd, out = random.Random(seed), {}
    for e in ex:
        fields = {}
        for f in SCORED[DATASETS[e.dataset].kind]:
            others = [x.labels.get(f) for x in ex if x.labels.get(f)]
            raw = perturb(e.labels.get(f), rnd, others)
            fields[f] = None if raw is None else Field(raw=raw, value=perturb(e.labels.get(f), rnd, others) if DATASETS[e.dataset].labels == 'value' else None)
        out[e.id] = Result(source=e.path.name, pages=1, fields={**{k: None for k in FIELDS}, **fields})
    return out

def theirs(tool, kind, folder, results):
    "Per-field numbers and the headline as score_results.py prints them"
    with tempfile.TemporaryDirectory() as d:
        path = Path(d)/'results.jsonl'
        path.write_text(''.join(r.model_dump_json() + '\n' for r in results.values()))
        out = subprocess.run([sys.executable, str(tool), kind, str(folder), str(path)], capture_output=True, text=True, check=True).stdout
    if kind == 'sroie': per = {m[1]: float(m[2]) for m in re.finditer(r'^(\w+)\s+loose ([\d.]+)', out, re.M)}
    else: per = {m[1]: int(m[2])/int(m[3]) for m in re.finditer(r'^(\w+)\s+(\d+)/(\d+) = ', out, re.M)}
    return per, float(re.search(r'score ([\d.]+)', out)[1])

SROIE_KEYS = {'vendor': 'company', 'vendor_address': 'address', 'date': 'date', 'total': 'total'}

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--tool', default=str(data_dir().parent/'tools'/'score_results.py'))
    ap.add_argument('--out', default=str(Path(__file__).with_name('check_scoring.json')))
    a = ap.parse_args()
    cases = []
    for name in ('sroie', 'einvoice', 'deepform'):
        ex = load_examples(name)
        cases.append((name, 'labels perturbed', ex, label_predictions(ex)))
        if name != 'deepform':
            docs = load_docs(ex)[0]
            cases.append((name, 'baseline', ex, {e.id: baseline_predict(docs[e.id]).model_copy(update={'source': e.path.name}) for e in ex}))
    report, ok = [], True
    for name, what, ex, preds in cases:
        kind = DATASETS[name].kind
        fs = field_scores(pd.DataFrame([r for e in ex for r in result_rows(e, preds[e.id])]))
        per, score = theirs(a.tool, kind, DATASETS[name].folder(DATASETS[name].split), preds)
        ours = {(SROIE_KEYS[f] if kind == 'sroie' else f): round(float(fs.loc[f, 'accuracy']), 3) for f in SCORED[kind] if fs.loc[f, 'n']}
        head = round(float(fs.loc['micro', HEADLINE[kind]]), 3)
        diff = {f: (v, round(per.get(f, -1), 3)) for f, v in ours.items() if v != round(per.get(f, -1), 3)}
        same = not diff and head == score
        ok &= same
        report.append(dict(dataset=name, predictions=what, docs=len(ex), ours=ours, headline_ours=head, headline_score_results=score, equal=same, differences=diff))
        print(f'{name:9s} {what:17s} headline ours {head:.3f} score_results {score:.3f}  per field equal: {not diff}', diff or '')
    Path(a.out).write_text(json.dumps(dict(command='python experiments/check_scoring.py', tool=a.tool, all_equal=ok, cases=report), indent=1))
    sys.exit(0 if ok else 1)

if __name__ == '__main__': main()
