"""Per-field accuracy of invoice extraction, on two sets, printed as tables and written to experiments/invoice_eval.json.

1. SYNTHETIC (our own reportlab invoices, `invoice_lab.synthetic`, seeds 1000.. so none is a committed fixture):
   every field of the result contract + line items, per language.
   Also (--n-ocr) the same kind of invoices rasterised at 150 dpi and OCRed, as a stand-in for scans.
2. REAL: the 49 ZUGFeRD/Factur-X sample PDFs in data_dir()/zugferd/test, labels = their fields.json (derived from the
   embedded XML). Once with the XML path OFF (visual extraction from the text layer) and once with it ON (must be exact).
   Line items: the visual table reader's rows against the XML's invoice lines (matched one to one by amount).

Which extractor runs: `invoice_lab.pipeline.extract` (receipt extractor + invoice reader + normalize + XML) when the
receipt extractor is available, else the invoice reader (`extract_invoice_fields`) + `normalize_result` + the XML
reader: the JSON records which ("engine").

Matching rules: dates and currency exact; amounts as numbers, ignoring the sign (credit notes print -218,48 where
the XML says 218.48); names and numbers case-insensitive with whitespace collapsed. A field whose label is null is
not scored. Run: .venv/bin/python experiments/eval_invoices.py [--n-synthetic 150]
"""
import argparse, json, statistics, sys, time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

from invoice_lab.core import data_dir
from invoice_lab.fields import Result
from invoice_lab.ocr import read_document
from invoice_lab.normalize import normalize_result, normalize_amount
from invoice_lab.invoice import extract_invoice_fields
from invoice_lab.einvoice import read_einvoice, read_einvoice_items, cross_check
from invoice_lab.synthetic import spec_for, render_pdf, labels_of

OUT = Path(__file__).parent/'invoice_eval.json'
AMOUNTS = ('subtotal', 'tax', 'total')
ZMAP = {'invoice_number': 'invoice_number', 'date': 'issue_date', 'due_date': 'due_date', 'vendor': ('seller', 'name'),
        'customer': ('buyer', 'name'), 'currency': 'currency', 'subtotal': 'net_total', 'tax': 'tax_total', 'total': 'grand_total'}
SFIELDS = ('invoice_number', 'date', 'due_date', 'vendor', 'vendor_address', 'customer', 'currency', 'subtotal', 'tax', 'total')

def same(field, got, want):
    if got is None or want is None: return got == want
    if field in AMOUNTS:
        try: return abs(Decimal(got)) == abs(Decimal(want))
        except Exception: return False
    if field in ('date', 'due_date', 'currency'): return got == want
    return ' '.join(got.split()).casefold() == ' '.join(want.split()).casefold()

def printed(field, value, text):
    "Is the XML's `value` printed anywhere on the page (in any of the usual forms)?"
    flat = ''.join(text.split()).casefold()
    if field in AMOUNTS:
        d = abs(Decimal(value)).quantize(Decimal('0.01'))
        forms = {f'{d:,.2f}', f'{d:.2f}', f'{d:,.2f}'.replace(',', ' ')}
        forms |= {f.translate(str.maketrans(',.', '.,')) for f in forms}
    elif field in ('date', 'due_date'):
        y, m, dd = value.split('-')
        forms = {value, f'{dd}.{m}.{y}', f'{dd}/{m}/{y}', f'{dd}.{m}.{y[2:]}', f'{y}{m}{dd}'}
    else: forms = {value}
    return any(''.join(f.split()).casefold() in flat for f in forms)

def match_items(got, want):
    "Rows of `got` matched to `want` one to one by equal amount (ignoring sign) or description (the XML's line totals are gross in some files): (matched, descriptions equal among them)"
    key = lambda v: abs(Decimal(v)) if v not in (None, '') else None
    desc = lambda s: ' '.join(s.split()).casefold()
    left, matched, same_desc = list(want), 0, 0
    for g in got:
        try: a = key(g.amount)
        except Exception: continue
        for w in left:
            if (w.amount is not None and key(w.amount) == a) or (desc(w.description) and desc(g.description).startswith(desc(w.description)[:12])):
                left.remove(w); matched += 1
                same_desc += ' '.join(g.description.split()).casefold() == ' '.join(w.description.split()).casefold()
                break
    return matched, same_desc

def pipeline_available():
    try:
        import invoice_lab.fields as ex, invoice_lab.pipeline  # noqa: F401
        return hasattr(ex, 'extract_fields')
    except ImportError: return False

ERRORS = []

def run(src, use_xml, engine):
    "(Result, ms spent after reading) for one PDF; a document that raises is recorded in ERRORS and scores as nothing found"
    try: return _run(src, use_xml, engine)
    except Exception as e:
        ERRORS.append(f'{getattr(src, "name", "bytes")}: {type(e).__name__}: {e}')
        return Result(source='error', pages=1), 0.

def _run(src, use_xml, engine):
    if engine == 'pipeline':
        from invoice_lab.pipeline import extract
        r = extract(src, use_xml=use_xml)
        return r, sum(v for k, v in r.timings_ms.items() if k != 'read')
    data = src if isinstance(src, bytes) else Path(src).read_bytes()
    doc = read_document(data, name='x.pdf')
    t0 = time.perf_counter()
    fields, items = extract_invoice_fields(doc)
    r = normalize_result(Result(source='x.pdf', pages=len(doc.pages), fields=fields, line_items=items), doc)
    if use_xml and (x := read_einvoice(data)):
        r.checks += cross_check(r.fields, x)
        r.fields.update({k: f for k, f in x.items() if k in r.fields})
    return r, (time.perf_counter() - t0)*1000

def table(title, rows, cols):
    print(f'\n{title}')
    print('  '.join(f'{c:>14}' if i else f'{c:<16}' for i, c in enumerate(cols)))
    for r in rows: print('  '.join(f'{v:>14}' if i else f'{v:<16}' for i, v in enumerate(r)))

def synthetic(n, engine):
    ok, cnt, per_lang = Counter(), Counter(), defaultdict(Counter)
    items_exact = rows_found = rows_true = rows_ok = 0
    ms = []
    for k in range(1000, 1000 + n):
        spec = spec_for(k); lab = labels_of(spec); lang = spec['lang']
        r, t = run(render_pdf(spec), False, engine); ms.append(t/max(1, r.pages))
        for f in SFIELDS:
            if lab[f] is None and r.value(f) is None: continue
            good = same(f, r.value(f), lab[f])
            cnt[f] += 1; ok[f] += good; per_lang[lang]['n'] += 1; per_lang[lang]['ok'] += good
        want = [(i['description'], i['quantity'], i['unit_price'], i['amount']) for i in lab['line_items']]
        got = [(i.description, i.quantity, i.unit_price, i.amount) for i in r.line_items]
        items_exact += want == got; rows_true += len(want); rows_found += len(got); rows_ok += len(set(want) & set(got))
    acc = {f: round(ok[f]/cnt[f], 4) for f in SFIELDS if cnt[f]}
    res = dict(kind='synthetic (our own reportlab invoices; not real documents)', n_docs=n, seeds=[1000, 1000 + n - 1],
               accuracy=acc, n_scored=dict(cnt), per_language={l: round(c['ok']/c['n'], 4) for l, c in sorted(per_lang.items())},
               line_items=dict(docs_all_rows_exact=round(items_exact/n, 4), row_precision=round(rows_ok/max(1, rows_found), 4),
                               row_recall=round(rows_ok/max(1, rows_true), 4)),
               ms_per_page_median=round(statistics.median(ms), 2))
    return res

def synthetic_ocr(n, engine):
    "The same synthetic invoices rasterised at 150 dpi and read by OCR (rapidocr): a stand-in for scans. Table layout skipped (multi-page)"
    import pymupdf
    ok, cnt, per_lang, ms = Counter(), Counter(), defaultdict(Counter), []
    k = 3000
    while len(ms) < n:
        spec = spec_for(k); k += 1
        if spec['layout'] == 'table': continue
        lab = labels_of(spec)
        png = pymupdf.open(stream=render_pdf(spec))[0].get_pixmap(dpi=150).tobytes('png')
        t0 = time.perf_counter()
        r, _ = run(png, False, engine) if engine == 'pipeline' else run_image(png)
        ms.append((time.perf_counter() - t0)*1000)
        for f in SFIELDS:
            if lab[f] is None and r.value(f) is None: continue
            good = same(f, r.value(f), lab[f]); cnt[f] += 1; ok[f] += good
            per_lang[spec['lang']]['n'] += 1; per_lang[spec['lang']]['ok'] += good
    return dict(kind='synthetic, rasterised at 150 dpi and OCRed with rapidocr (classic + twocol layouts)', n_docs=n,
                accuracy={f: round(ok[f]/cnt[f], 4) for f in SFIELDS if cnt[f]}, n_scored=dict(cnt),
                per_language={l: round(c['ok']/c['n'], 4) for l, c in sorted(per_lang.items())},
                note='OCR output comes from the on-disk OCR cache when present, so no timing is reported here')

def run_image(png):
    from invoice_lab.ocr import load_document
    doc = load_document(png, name='x.png')
    fields, items = extract_invoice_fields(doc)
    return normalize_result(Result(source='x.png', pages=len(doc.pages), fields=fields, line_items=items), doc), 0.

def zugferd(engine):
    pdfs = sorted((data_dir()/'zugferd'/'test').glob('*.pdf'))
    out = {}
    for use_xml in (False, True):
        ok, cnt, ms, misses, disagree, items = Counter(), Counter(), [], defaultdict(list), {}, Counter()
        for p in pdfs:
            lab = json.loads(Path(str(p)[:-4] + '.fields.json').read_text())
            r, t = run(p, use_xml, engine); ms.append(t/max(1, r.pages))
            for f, key in ZMAP.items():
                want = lab[key[0]].get(key[1]) if isinstance(key, tuple) else lab[key]
                if want is None: continue
                if f in ('date', 'due_date'): want = f'{want[:4]}-{want[4:6]}-{want[6:]}'
                good = same(f, r.value(f), want); cnt[f] += 1; ok[f] += good
                if not good: misses[f].append(p.stem)
            if not use_xml and (want_items := read_einvoice_items(p)):
                m, d = match_items(r.line_items, want_items)
                items.update(docs=1, xml_rows=len(want_items), found_rows=len(r.line_items), matched=m, same_description=d)
            if use_xml:
                bad = [c for c in r.checks if c.name.startswith('xml_matches_page_') and not c.ok]
                if bad:
                    text = read_document(p).text
                    disagree[p.stem] = [dict(field=c.name[17:], detail=c.detail, xml_value_printed=printed(c.name[17:], r.value(c.name[17:]), text))
                                        for c in bad]
        acc = {f: round(ok[f]/cnt[f], 4) for f in ZMAP if cnt[f]}
        scored = sum(cnt.values())
        out['xml_on' if use_xml else 'xml_off'] = dict(
            accuracy=acc, n_scored=dict(cnt), micro=round(sum(ok.values())/scored, 4),
            ms_per_page_median=round(statistics.median(ms), 2), misses=dict(misses) if not use_xml else {},
            **({} if use_xml else {'line_items_vs_xml': dict(items, row_recall=round(items['matched']/max(1, items['xml_rows']), 4),
                                                             row_precision=round(items['matched']/max(1, items['found_rows']), 4),
                                                             description_equal=round(items['same_description']/max(1, items['matched']), 4))}),
            **({'page_vs_xml_disagreements': disagree} if use_xml else {}))
    out.update(kind='real: ZUGFeRD/Factur-X public sample invoices (DE/FR), labels from the embedded XML', n_docs=len(pdfs),
               note='49 files, ~39 distinct invoices; in 5 the XML disagrees with the printed page, so visual extraction '
                    'cannot reach 1.0 there. The label lexicon was extended while looking at these files: '
                    'treat xml_off as an in-sample figure, not a held-out estimate.')
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n-synthetic', type=int, default=150)
    ap.add_argument('--engine', choices=['auto', 'pipeline', 'invoice-reader'], default='auto',
                    help='auto: the pipeline when the receipt extractor is available, else the invoice reader alone')
    ap.add_argument('--out', type=Path, default=OUT, help='JSON to write')
    ap.add_argument('--n-ocr', type=int, default=20, help='synthetic invoices to rasterise and OCR (0: skip; ~5-8 s each on 2 cores)')
    a = ap.parse_args()
    engine = a.engine if a.engine != 'auto' else 'pipeline' if pipeline_available() else 'invoice-reader'
    t0 = time.time()
    syn, real = synthetic(a.n_synthetic, engine), zugferd(engine)
    ocr = synthetic_ocr(a.n_ocr, engine) if a.n_ocr else None
    res = dict(engine=engine, errors=ERRORS, synthetic=syn, synthetic_ocr=ocr, zugferd=real, seconds=round(time.time() - t0, 1),
               command=' '.join(['.venv/bin/python', 'experiments/eval_invoices.py'] + sys.argv[1:]))
    on = real['xml_on']
    res['zugferd']['xml_disagrees_with_page'] = sorted(s for s, d in on['page_vs_xml_disagreements'].items()
                                                      if any(not x['xml_value_printed'] for x in d))
    a.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + '\n')
    table(f'SYNTHETIC ({a.n_synthetic} own reportlab invoices, engine {engine}): accuracy per field',
          [(f, f"{v:.3f}", syn['n_scored'][f]) for f, v in syn['accuracy'].items()], ('field', 'accuracy', 'n'))
    print('per language:', syn['per_language'], '| line items:', syn['line_items'], '| median ms/page:', syn['ms_per_page_median'])
    if ocr:
        table(f'SYNTHETIC, OCRed ({a.n_ocr} own invoices rasterised at 150 dpi, rapidocr): accuracy per field',
              [(f, f"{v:.3f}", ocr['n_scored'][f]) for f, v in ocr['accuracy'].items()], ('field', 'accuracy', 'n'))
        print('per language:', ocr['per_language'])
    off, on = real['xml_off'], real['xml_on']
    table(f'REAL ZUGFeRD ({real["n_docs"]} PDFs, engine {engine}): accuracy per field',
          [(f, f"{off['accuracy'][f]:.3f}", f"{on['accuracy'][f]:.3f}", off['n_scored'][f]) for f in ZMAP],
          ('field', 'visual (xml off)', 'xml on', 'n'))
    print(f"micro: visual {off['micro']:.3f}, xml on {on['micro']:.3f} | median ms/page: visual {off['ms_per_page_median']}, xml on {on['ms_per_page_median']}")
    li = off['line_items_vs_xml']
    print(f"line items (visual table reader vs the XML's lines, rows matched by amount or description, {li['docs']} docs, {li['xml_rows']} XML rows): "
          f"recall {li['row_recall']:.3f}, precision {li['row_precision']:.3f}, description equal {li['description_equal']:.3f} of matched")
    dis = on['page_vs_xml_disagreements']
    real = {s: d for s, d in dis.items() if any(not x['xml_value_printed'] for x in d)}
    print(f"files with a failed xml_matches_page_* check: {len(dis)}; in {len(real)} of them an XML value is printed nowhere on the page "
          "(the page contradicts the XML or does not show that value: XML∉PAGE); the others are visual-extraction errors the check caught:")
    for stem, d in dis.items():
        print(f'  {"XML∉PAGE" if stem in real else "visual  "} {stem}: ' +
              '; '.join(f"{x['field']}: {x['detail']}{'' if x['xml_value_printed'] else ' [xml value not on page]'}" for x in d))
    if ERRORS: print(f'{len(ERRORS)} documents raised (scored as nothing found):', *ERRORS[:10], sep='\n  ')
    print(f'wrote {a.out}')

if __name__ == '__main__': main()
