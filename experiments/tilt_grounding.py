"""How well does invoice_lab.tilt.ground separate values that are on the page from invented ones? (CPU, no model)

TILT's answers are grounded in the OCR words; a value that is not found is marked ungrounded. Two error rates matter:
- a correct value left ungrounded (its confidence is dropped for nothing): stand-in = the SROIE gold labels;
- an invented value grounded (the digit errors grounding is meant to catch): stand-in = the gold total/date with one
  digit changed; when the changed value is itself printed on the receipt, grounding it is right, so those are
  counted apart.
Run: `nice -n 10 .venv/bin/python experiments/tilt_grounding.py [N] [engine ...]` (default 200 train docs; engines
`boxes` = the dataset's ground-truth lines, `rapidocr`). Writes experiments/tilt_grounding.json, prints a table.
"""
import json, re, sys, time
from pathlib import Path
from invoice_lab.core import data_dir
from invoice_lab.ocr import load_document
from invoice_lab.tilt import ground, _squash

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
ENGINES = sys.argv[2:] or ['boxes', 'rapidocr']
FIELDS = {'company': 'vendor', 'address': 'vendor_address', 'date': 'date', 'total': 'total'}


def perturb(v: str) -> str | None:
    "`v` with its first digit changed (+1 mod 10), or None when it has no digit"
    m = re.search(r'\d', v)
    return None if m is None else v[:m.start()] + str((int(m.group()) + 1) % 10) + v[m.end():]


def main():
    docs = sorted((data_dir()/'sroie'/'train').glob('*.jpg'))[:N]
    out = {}
    for eng in ENGINES:
        t0, rows = time.perf_counter(), []
        for img in docs:
            labels = json.loads(img.with_suffix('.fields.json').read_text())
            doc = load_document(img, engine=eng)
            page_text = _squash(' '.join(w.text for w in doc.words))
            for k, v in labels.items():
                if k not in FIELDS or not v.strip(): continue
                g = ground(v, doc)
                rows.append(dict(field=k, kind='gold', grounded=g is not None, exact=bool(g and g.score == 1.0)))
                if k in ('total', 'date') and (p := perturb(v)):
                    g = ground(p, doc)
                    rows.append(dict(field=k, kind='invented', grounded=g is not None, printed=_squash(p) in page_text))
        res = {}
        for k in FIELDS:
            gold = [r for r in rows if r['field'] == k and r['kind'] == 'gold']
            inv = [r for r in rows if r['field'] == k and r['kind'] == 'invented' and not r['printed']]
            res[k] = dict(n=len(gold), gold_grounded=round(sum(r['grounded'] for r in gold) / max(len(gold), 1), 4),
                          gold_exact=round(sum(r['exact'] for r in gold) / max(len(gold), 1), 4))
            if inv: res[k].update(invented_n=len(inv), invented_grounded=round(sum(r['grounded'] for r in inv) / len(inv), 4))
        out[eng] = dict(docs=len(docs), seconds=round(time.perf_counter() - t0, 1), fields=res)
        print(f'\n{eng} ({len(docs)} SROIE train docs)\n| field | gold grounded | of which exact | invented grounded (not printed) |\n|---|---|---|---|')
        for k, r in res.items():
            inv = f"{r['invented_grounded']:.3f} (n={r['invented_n']})" if 'invented_n' in r else '-'
            print(f"| {k} | {r['gold_grounded']:.3f} | {r['gold_exact']:.3f} | {inv} |")
    out['command'] = 'nice -n 10 .venv/bin/python experiments/tilt_grounding.py ' + ' '.join(sys.argv[1:])
    (Path(__file__).parent/'tilt_grounding.json').write_text(json.dumps(out, indent=1) + '\n')


if __name__ == '__main__': main()
