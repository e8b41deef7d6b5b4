"""Which CPU source should fill vendor/address/date/total: the receipt model (`extract`), the invoice reader (`invoice`), or both merged by confidence?

Per document kind: digital PDFs (words from the text layer: 49 real ZUGFeRD invoices, XML off; 15 synthetic
fixtures of our own) and scanned receipts (SROIE train, ground-truth OCR lines). Fields are compared
after normalization: dates and amounts by value, text fields with all whitespace removed, case-insensitive.
Note: the shipped receipt model was trained on SROIE train, so its SROIE numbers are in-sample (an upper
bound); they only show whether merging in the invoice reader hurts receipts.

    nice -n 10 .venv/bin/python experiments/pipeline_routing.py [--receipts 150]

Writes experiments/pipeline_routing.json.
"""
from __future__ import annotations
import argparse, json
from collections import defaultdict
from pathlib import Path
from invoice_lab.core import data_dir
from invoice_lab.contract import loose, same_value
from invoice_lab.fields import Result, extract_fields
from invoice_lab.invoice import extract_invoice_fields
from invoice_lab.normalize import normalize_result, normalize_date, normalize_amount
from invoice_lab.ocr import load_document
from invoice_lab.pipeline import merge_fields

ROOT = Path(__file__).resolve().parent.parent

def same(k, got, want) -> bool:
    "Dates and amounts by value (eval's `same_value`), text by eval's loose rule"
    if k in ('vendor', 'vendor_address'): return got is not None and loose(got) == loose(want)
    return same_value(k, got, want)

def docs(n_receipts):
    z = data_dir()/'zugferd'/'test'
    for p in sorted(z.glob('*.pdf')):
        l = json.loads((z/f'{p.stem}.fields.json').read_text()); d = l['issue_date']
        yield 'zugferd (real PDFs)', p, 'auto', {'date': f'{d[:4]}-{d[4:6]}-{d[6:]}', 'total': l['grand_total'], 'vendor': l['seller']['name']}
    for p in sorted((ROOT/'tests'/'fixtures'/'invoices').glob('*.pdf')):
        l = json.loads(p.with_suffix('.json').read_text())
        yield 'synthetic PDFs (ours)', p, 'auto', {k: l[k] for k in ('vendor', 'vendor_address', 'date', 'total')}
    s = data_dir()/'sroie'/'train'
    for p in sorted(s.glob('*.jpg'))[:n_receipts]:
        l = json.loads((s/f'{p.stem}.fields.json').read_text())
        yield 'SROIE receipts (boxes, in-sample)', p, 'boxes', {'vendor': l['company'], 'vendor_address': l.get('address'),
                                                               'date': normalize_date(l['date'], {'currency': 'MYR'})[0],
                                                               'total': normalize_amount(l['total'])[0]}

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--receipts', type=int, default=150)
    a = ap.parse_args()
    sc = defaultdict(lambda: defaultdict(list))
    for ds, p, ocr, lab in docs(a.receipts):
        doc = load_document(p, engine=ocr)
        try: cpu, err = extract_fields(doc), ''
        except Exception as e: cpu, err = {}, repr(e)
        inv, _ = extract_invoice_fields(doc)
        for name, fs in (('receipt model', merge_fields(cpu)), ('invoice reader', merge_fields(inv)), ('merged', merge_fields(cpu, inv))):
            r = normalize_result(Result(source=p.name, pages=len(doc.pages), fields=fs), doc, checks=False)
            for k, v in lab.items(): sc[(ds, k)][name].append(same(k, r.value(k), v))
        sc[(ds, 'receipt model errors')]['count'].append(bool(err))
    out = {f'{ds} | {k}': {n: round(sum(v) / len(v), 3) for n, v in d.items()} | {'n': len(next(iter(d.values())))}
           for (ds, k), d in sc.items()}
    print(f"{'set | field':48} {'receipt model':>13} {'invoice reader':>14} {'merged':>7} {'n':>4}")
    for k, d in out.items():
        if 'errors' in k: print(f"{k:48} {d['count']:>13.3f} {'':>14} {'':>7} {d['n']:>4}"); continue
        print(f"{k:48} {d['receipt model']:>13.3f} {d['invoice reader']:>14.3f} {d['merged']:>7.3f} {d['n']:>4}")
    (ROOT/'experiments'/'pipeline_routing.json').write_text(json.dumps(out, indent=1) + '\n')

if __name__ == '__main__': main()
