"Data-driven checks of the `boxes` engine over every SROIE train receipt (fast: no OCR)"
from collections import Counter
from pathlib import Path
from PIL import Image
from invoice_lab.core import data_dir
from invoice_lab.ocr import load_document, boxes_path

TRAIN = data_dir()/'sroie'/'train'

def gt_lines(p: Path) -> list[str]:
    "The non-empty TEXT fields of a boxes.txt, read independently of the reader under test"
    out = []
    for ln in p.read_bytes().decode('utf-8', 'replace').splitlines():
        parts = ln.split(',', 8)
        if len(parts) == 9 and parts[8].split(): out.append(' '.join(parts[8].split()))
    return out

def test_every_receipt_reads_its_ground_truth():
    files = sorted(TRAIN.glob('*.jpg'))
    assert len(files) == 626
    for f in files:
        doc = load_document(f, engine='boxes')
        page = doc.pages[0]
        want = gt_lines(boxes_path(f))
        got = [l.text for l in page.lines]
        # one line per non-empty ground-truth line, same texts (reading order may differ from the file's)
        assert Counter(got) == Counter(want), f
        assert [w.line for w in page.words] == sorted(w.line for w in page.words), f
        assert {w.line for w in page.words} == set(range(len(got))), f
        w, h = Image.open(f).size
        assert (page.width, page.height) == (w, h), f
        # boxes lie on the page (a few ground-truth quads overshoot the edge by some pixels)
        for wd in page.words:
            assert -5 <= wd.box.x0 <= wd.box.x1 <= w + 5 and -5 <= wd.box.y0 <= wd.box.y1 <= h + 5, (f, wd)

def test_reading_order_is_top_to_bottom():
    doc = load_document(TRAIN/'X00016469612.jpg', engine='boxes')
    tops = [l.box.cy for l in doc.pages[0].lines]
    # a line may only come before one that starts higher if the two share a row (overlap vertically)
    lines = doc.pages[0].lines
    for a, b in zip(lines, lines[1:]):
        assert b.box.cy >= a.box.cy or min(a.box.y1, b.box.y1) - max(a.box.y0, b.box.y0) > 0, (a.text, b.text)
    assert tops[0] == min(tops)
