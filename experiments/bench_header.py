"""Cost of the header extractor: CPU ms per page on real pages (SROIE receipts from their ground-truth lines,
DeepForm pages from their text layer), and how it grows with the words on a page (8k, 16k, 32k words).

    nice -n 10 .venv/bin/python experiments/bench_header.py [--n 60]

Times `header.extract_header` (candidates, features, the shipped model) with `time.process_time` on one
thread, after a warm-up; the receipt stage's `fields.extract_fields` is timed on the same receipts as the
baseline of this run. Each real page is timed three times on fresh copies, with the text caches emptied
(nothing kept from the last run), and keeps the median of the three, so that a burst of another job on a
shared machine does not count as our cost; the table gives the median and p90 of those over pages. The
8k/16k/32k-word pages are timed once each. Writes experiments/bench_header.json and prints a table.
"""
import argparse, json, random, statistics, time
from pathlib import Path
from invoice_lab.core import *
from invoice_lab.ocr import load_document, read_document
from invoice_lab.header import extract_header, load_model
from invoice_lab.fields import extract_fields
from invoice_lab import header, keys, normalize, text

TEXT_CACHES = (header._keys, keys.token_keys, keys.find_labels, keys._label_re, text.parse_amount, normalize.document_currency)

def cpu_ms(fn, doc, *a, repeat:int=3):
    "Median CPU ms of `repeat` runs of `fn` on fresh copies of `doc` (rows, candidates and the text caches computed anew each time)"
    out = []
    for _ in range(repeat):
        d = Document.from_json(doc.to_json()) if repeat > 1 else doc
        for c in TEXT_CACHES: c.cache_clear()
        t = time.process_time(); fn(d, *a); out.append((time.process_time() - t)*1000)
    return statistics.median(out)

def synthetic_page(n_words:int, seed:int=0) -> Document:
    "A page of `n_words` words in rows of eight: keys, ids, dates and amounts, like a long table of ad spots"
    rnd, ws, per_row = random.Random(seed), [], 8
    vocab = ['Spot', 'News', 'Total', 'Rate', 'Invoice', '#', 'Agency', 'Gross', 'Net', 'Date']
    for i in range(n_words):
        r, c = divmod(i, per_row)
        t = rnd.choice([rnd.choice(vocab), f'{rnd.randint(1, 9999)}.{rnd.randint(0, 99):02d}', f'{rnd.randint(1, 12):02d}/{rnd.randint(1, 28):02d}/20',
                        str(rnd.randint(100, 999999))])
        ws.append(Word(text=t, box=Box(x0=10 + 70*c, y0=10 + 12*r, x1=10 + 70*c + 6*len(t), y1=20 + 12*r)))
    return Document(source='synthetic.pdf', kind='pdf', pages=[Page(index=0, width=600, height=20 + 12*(n_words//per_row + 1), unit='pt', words=ws)])

def pct(xs, q): xs = sorted(xs); return xs[min(len(xs) - 1, int(q*len(xs)))]

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0]); ap.add_argument('--n', type=int, default=60); a = ap.parse_args()
    m = load_model(); data = data_dir()
    rec = [load_document(p, engine='boxes') for p in sorted((data/'sroie'/'train').glob('*.jpg'))[:a.n]]
    dfp = []
    for p in sorted((data/'deepform'/'train').glob('*.pdf'))[:a.n]:
        d = read_document(p)
        dfp += [Document(source=d.source, kind='pdf', pages=[pg.model_copy(update={'index': 0})]) for pg in d.pages]
    extract_header(rec[0], m)
    rows = {'receipts: header': [cpu_ms(extract_header, d, m) for d in rec],
            'receipts: receipt model (baseline)': [cpu_ms(extract_fields, d) for d in rec],
            'DeepForm pages: header': [cpu_ms(extract_header, d, m) for d in dfp[:3*a.n]]}
    table = {k: dict(n=len(v), median_ms=round(statistics.median(v), 1), p90_ms=round(pct(v, .9), 1)) for k, v in rows.items()}
    scale = {n: round(cpu_ms(extract_header, synthetic_page(n), m, repeat=1)) for n in (8000, 16000, 32000)}
    out = dict(command='python experiments/bench_header.py --n %d' % a.n, per_page=table, words_ms=scale,
               ratio_32k_over_8k=round(scale[32000]/scale[8000], 2))
    print(f"{'pages':40s} {'n':>5s} {'median ms':>10s} {'p90 ms':>8s}")
    for k, v in table.items(): print(f"{k:40s} {v['n']:5d} {v['median_ms']:10.1f} {v['p90_ms']:8.1f}")
    print('words on one page -> CPU ms:', scale, ' ratio 32k/8k:', out['ratio_32k_over_8k'])
    Path(__file__).with_name('bench_header.json').write_text(json.dumps(out, indent=1))

if __name__ == '__main__': main()
