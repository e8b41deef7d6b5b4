"""OCR benchmark: speed, memory and accuracy of each engine on a fixed seeded sample of SROIE train receipts,
plus the PDF text layer of a generated digital invoice page.

    nice -n 10 .venv/bin/python experiments/bench_ocr.py [--n 100] [--seed 0] [--threads 2] [--engines rapidocr,paddleocr,tesseract,pdf-text]
    nice -n 10 .venv/bin/python experiments/bench_ocr.py --engines rapidocr:before,rapidocr   # a rapidocr setting of SETTINGS vs the default

`rapidocr:<name>` runs rapidocr with the engine settings, orientation step and threads of `SETTINGS[name]`
(`before` = the settings of issue 11's baseline: no orientation step, detector at limit_side_len 736/min,
recognition batches of 6 padded to 320 px; `main` = the engine before lines were read one at a time in threads); plain `rapidocr` is the package default. Compare rows of one run, not old JSON.

Each engine runs in its own subprocess, one after the other (so peak RSS is per engine and at most one
worker runs), with `INVOICE_LAB_OCR_THREADS` threads. Seconds per page = `load_document(path, engine, cache=False)`
(decode + OCR + layout), after one warm-up page that loads the models; CPU s = the CPU time that took (all
threads, tesseract's child process included), a number that contention on a shared machine inflates far less. Accuracy against the ground-truth lines
of `<id>.boxes.txt` (see ocr_metrics.py): word recall (upper-cased tokens, as multisets) and a box-aligned
character error rate. Prints a table and writes experiments/ocr_benchmark.json. The CPU may be shared with
other work: the load average is recorded next to the timings.
"""
import argparse, json, os, random, resource, statistics, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from ocr_metrics import word_recall, char_errors

HERE = Path(__file__).parent

BEFORE = {'Global.text_score': 0.5, 'Global.use_cls': False, 'Global.max_side_len': 2000, 'Det.box_thresh': 0.5,
          'Det.unclip_ratio': 1.6, 'Det.limit_type': 'min', 'Det.limit_side_len': 736, 'Rec.rec_batch_num': 6,
          'Rec.rec_img_shape': [3, 48, 320]}
MAIN = {'Rec.rec_img_shape': [3, 48, 160], 'Rec.rec_batch_num': 6}
"The engine settings on main before the recogniser change (batches of 6 padded to the widest, at least 160 px)"
SETTINGS = {
    'before': dict(params=BEFORE, orient=False, legacy=True),
    'before+orient': dict(params=BEFORE, orient=True, legacy=True),
    'det960max': dict(params={**BEFORE, 'Det.limit_type': 'max', 'Det.limit_side_len': 960}, orient=False, legacy=True),
    'det1280max': dict(params={**BEFORE, 'Det.limit_type': 'max', 'Det.limit_side_len': 1280}, orient=False, legacy=True),
    'rec_batch16': dict(params={**BEFORE, 'Rec.rec_batch_num': 16}, orient=False, legacy=True),
    'arena': dict(params={**BEFORE, 'EngineConfig.onnxruntime.enable_cpu_mem_arena': True}, orient=False, legacy=True),
    'main': dict(params=MAIN, orient=True, legacy=True),
    'main-no-orient': dict(params=MAIN, orient=False, legacy=True),
    'after': dict(params={}, orient=True),
    'full-size-det': dict(params={'line_px': None}, orient=True),
    'line_px48': dict(params={'line_px': 48}, orient=True),
    'line_px32': dict(params={'line_px': 32}, orient=True),
    'after-no-orient': dict(params={}, orient=False),
    '1thread': dict(params=BEFORE, orient=False, threads=1, legacy=True),
    'rec_w160': dict(params={**BEFORE, 'Rec.rec_img_shape': [3, 48, 160]}, orient=False, legacy=True),
    'rec_w160_1thread': dict(params={**BEFORE, 'Rec.rec_img_shape': [3, 48, 160]}, orient=False, threads=1, legacy=True),
    'main+b1': dict(params={**MAIN, 'Rec.rec_batch_num': 1}, orient=True, legacy=True),
    'main+b1w64': dict(params={**MAIN, 'Rec.rec_batch_num': 1, 'Rec.rec_img_shape': [3, 48, 64]}, orient=True, legacy=True),
    'after+b3': dict(params={'Rec.rec_batch_num': 3}, orient=True),
    'after+w160': dict(params={'Rec.rec_img_shape': [3, 48, 160]}, orient=True),
    'onnxruntime': dict(params={}, orient=True, backend='onnxruntime'),
    'openvino': dict(params={}, orient=True, backend='openvino'),
    'int8': dict(params={}, orient=True, backend='int8'),
    'openvino+b4': dict(params={'Rec.rec_batch_num': 4}, orient=True, backend='openvino'),
}
"""Named rapidocr settings tried against each other (engine params, orientation step on/off, OCR threads, `backend`: `INVOICE_LAB_OCR_BACKEND`; `legacy`: every
session on all threads and rapidocr's own batched recogniser, as the engine was before lines were read one at a time in threads)"""

def sample(n:int, seed:int) -> list[Path]:
    "A fixed seeded sample of SROIE train images"
    from invoice_lab.core import data_dir
    files = sorted((data_dir()/'sroie'/'train').glob('*.jpg'))
    return sorted(random.Random(seed).sample(files, n))

def quantile(xs, q): return sorted(xs)[min(len(xs) - 1, int(q*len(xs)))]

def digital_page() -> tuple[bytes, list[str]]:
    "A one-page digital invoice made with reportlab, and the lines drawn on it"
    import io
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    lines = ['ACME Supplies GmbH', 'Hauptstrasse 12, 10115 Berlin', 'Invoice INV-2026-0042', 'Date: 24.11.2026',
             *[f'{i+1}  Widget type {chr(65 + i % 26)}{i}  {i + 2} x {9.5 + i:.2f}  EUR {(i + 2)*(9.5 + i):.2f}' for i in range(40)],
             'Subtotal EUR 1234.50', 'VAT 19% EUR 234.56', 'Total EUR 1469.06', 'Payable within 14 days to DE89 3704 0044 0532 0130 00']
    buf = io.BytesIO(); c = canvas.Canvas(buf, pagesize=A4)
    for i, t in enumerate(lines): c.setFont('Helvetica', 10); c.drawString(50, 800 - 15*i, t)
    c.save()
    return buf.getvalue(), lines

def peak_rss_mb() -> float:
    "Peak resident memory of this process or its largest child (tesseract runs as one), MB"
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)/1024

def cpu_s() -> float:
    "CPU seconds used so far by this process (all threads) and its finished children (tesseract)"
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

def use_setting(name:str) -> bool:
    "Make `get_engine('rapidocr')` in this process the engine of `SETTINGS[name]`; whether it turns pages upright"
    from invoice_lab import ocr
    s = SETTINGS[name]
    if backend := s.get('backend', 'onnxruntime' if s.get('legacy') else None): os.environ['INVOICE_LAB_OCR_BACKEND'] = backend  # legacy: as it was, on onnxruntime
    if name.startswith('before'):   # as before issue 11: rapidocr's own float64 normalisation, no digit clean-up
        ocr._det_float32, ocr.fix_digits = (lambda: None), (lambda t: t)
    eng = ocr.RapidOCREngine({**s['params'], **({'line_px': None} if s.get('legacy') else {})})
    if s.get('legacy'):
        from rapidocr import RapidOCR
        eng.ocr = RapidOCR(params={**ocr.rapidocr_params(eng.settings), 'Global.log_level': 'warning', 'Global.return_word_box': True,
                                   'EngineConfig.onnxruntime.intra_op_num_threads': ocr.ocr_threads(),
                                   'EngineConfig.onnxruntime.inter_op_num_threads': 1})
    ocr._engine = lambda _: eng
    return s['orient']

def worker(engine:str, n:int, seed:int) -> dict:
    "Run one engine over the sample (or the digital page for pdf-text) in this process"
    from rapidfuzz.distance import Levenshtein
    from invoice_lab.ocr import load_document, read_document
    engine, _, setting = engine.partition(':')
    orient = use_setting(setting) if setting else True
    if engine == 'pdf-text':
        pdf, lines = digital_page()
        read_document(pdf)
        secs, cpus, doc = [], [], None
        for _ in range(50):
            t, c = time.perf_counter(), cpu_s()
            doc = read_document(pdf)
            secs.append(time.perf_counter() - t); cpus.append(cpu_s() - c)
        gt = '\n'.join(' '.join(l.split()) for l in lines)
        from invoice_lab.core import Word, Box
        found, total = word_recall([Word(text=w, box=Box(x0=0, y0=0, x1=1, y1=1)) for w in gt.split()], doc.words)
        from invoice_lab.core import data_dir
        real = []
        for f in sorted((data_dir()/'zugferd'/'test').glob('*.pdf')):
            t = time.perf_counter(); d = read_document(f); real += [(time.perf_counter() - t)/len(d.pages)]*len(d.pages)
        return dict(engine=engine, pages=1, runs=len(secs), words=len(doc.words), secs=secs, cpus=cpus, found=found, total=total,
                    edits=Levenshtein.distance(gt.upper(), doc.text.upper()), chars=len(gt), peak_rss_mb=peak_rss_mb(),
                    zugferd=dict(pages=len(real), median_s=round(statistics.median(real), 4), p90_s=round(quantile(real, 0.9), 4)))
    files = sample(n, seed)
    load_document(files[0], engine=engine, cache=False, orient=orient)
    secs, cpus, found = [], [], dict(found=0, total=0, edits=0, chars=0)
    per_doc = []
    for f in files:
        t, c = time.perf_counter(), cpu_s()
        doc = load_document(f, engine=engine, cache=False, orient=orient)
        secs.append(time.perf_counter() - t); cpus.append(cpu_s() - c)
        gt = load_document(f, engine='boxes')
        fo, to = word_recall(gt.words, doc.words); e, c = char_errors(gt.pages[0], doc.words)
        for k, v in zip(('found', 'total', 'edits', 'chars'), (fo, to, e, c)): found[k] += v
        per_doc.append(dict(id=f.stem, s=round(secs[-1], 3), cpu_s=round(cpus[-1], 3), recall=round(fo/max(to, 1), 3), cer=round(e/max(c, 1), 3)))
    return dict(engine=f'{engine}:{setting}' if setting else engine, pages=len(files), version=doc.meta.get('ocr', ''), secs=secs, cpus=cpus, **found, peak_rss_mb=peak_rss_mb(), per_doc=per_doc)

def summary(r:dict) -> dict:
    s = r['secs']
    return dict(engine=r['engine'], version=r.get('version', 'pymupdf'), pages=r['pages'], median_s=round(statistics.median(s), 4),
                p90_s=round(quantile(s, 0.9), 4), median_cpu_s=round(statistics.median(r['cpus']), 4), peak_rss_mb=round(r['peak_rss_mb']), word_recall=round(r['found']/r['total'], 4),
                cer=round(r['edits']/r['chars'], 4), gt_words=r['total'], gt_chars=r['chars'],
                **({'zugferd_pdf_pages': r['zugferd']} if 'zugferd' in r else {}))

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=100); ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--engines', default='rapidocr,paddleocr,tesseract,pdf-text')
    ap.add_argument('--worker', default=None, help=argparse.SUPPRESS)
    ap.add_argument('--out', default=str(HERE/'ocr_benchmark.json'))
    a = ap.parse_args()
    if a.worker: print(json.dumps(worker(a.worker, a.n, a.seed))); return
    env = {**os.environ, 'INVOICE_LAB_OCR_THREADS': str(a.threads), 'OMP_NUM_THREADS': str(a.threads)}
    rows, raw = [], {}
    for e in a.engines.split(','):
        load0 = os.getloadavg()[0]; t0 = time.time()
        th = str(SETTINGS.get(e.partition(':')[2], {}).get('threads', a.threads))
        p = subprocess.run([sys.executable, __file__, '--worker', e, '--n', str(a.n), '--seed', str(a.seed)],
                           capture_output=True, text=True, env={**env, 'INVOICE_LAB_OCR_THREADS': th, 'OMP_NUM_THREADS': th})
        if p.returncode: print(f'{e}: failed\n{p.stderr[-2000:]}'); continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        row = summary(r) | dict(wall_s=round(time.time() - t0, 1), loadavg_start=round(load0, 2), loadavg_end=round(os.getloadavg()[0], 2))
        rows.append(row); raw[e] = r.get('per_doc')
        print(f"{e:24} {row['pages']:4} pages  median {row['median_s']:.3f} s  p90 {row['p90_s']:.3f} s  cpu {row['median_cpu_s']:.3f} s  "
              f"RSS {row['peak_rss_mb']} MB  recall {row['word_recall']:.3f}  CER {row['cer']:.3f}  (load {load0:.1f})", flush=True)
    hdr = f"{'engine':24} {'pages':>5} {'median s':>9} {'p90 s':>8} {'CPU s':>7} {'RSS MB':>7} {'recall':>7} {'CER':>6}"
    print('\n' + hdr + '\n' + '-'*len(hdr))
    for r in rows:
        print(f"{r['engine']:24} {r['pages']:5} {r['median_s']:9.3f} {r['p90_s']:8.3f} {r['median_cpu_s']:7.3f} {r['peak_rss_mb']:7} "
              f"{r['word_recall']:7.3f} {r['cer']:6.3f}")
        if z := r.get('zugferd_pdf_pages'):
            print(f"{'  zugferd':24} {z['pages']:5} {z['median_s']:9.3f} {z['p90_s']:8.3f}   (the 49 real digital PDFs, s/page to words)")
    out = dict(command=' '.join(sys.argv), n=a.n, seed=a.seed, threads=a.threads, cpus=os.cpu_count(),
               note='CPU shared with other jobs during the run: see loadavg per engine; sample = sorted seeded random.sample of sroie/train',
               sample=[f.stem for f in sample(a.n, a.seed)], results=rows, per_doc=raw)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(f'written to {a.out}')

if __name__ == '__main__': main()
