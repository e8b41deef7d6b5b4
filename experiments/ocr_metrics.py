"""Metrics shared by the OCR experiments: word recall and box-aligned character error rate against SROIE ground truth.
SROIE's ground truth is transcribed in upper case whatever the print, so both compare upper-cased text."""
from collections import Counter
from rapidfuzz.distance import Levenshtein
from invoice_lab.core import Box

def word_recall(gt_words, ocr_words) -> tuple[int, int]:
    "(found, total): ground-truth tokens found among the OCR tokens, as multisets, exact match up to case"
    g, o = Counter(w.text.upper() for w in gt_words), Counter(w.text.upper() for w in ocr_words)
    return sum((g & o).values()), sum(g.values())

def _inter(a:Box, b:Box) -> float:
    return max(0., min(a.x1, b.x1) - max(a.x0, b.x0)) * max(0., min(a.y1, b.y1) - max(a.y0, b.y0))

def char_errors(gt_page, ocr_words) -> tuple[int, int]:
    """(edits, gt chars): each OCR word goes to the ground-truth line its box overlaps most (≥ half its area);
    a line's OCR text (its words left to right) is compared to the GT line by edit distance; OCR words on no
    GT line count as insertions"""
    lines = gt_page.lines
    assigned = [[] for _ in lines]
    extra = 0
    for w in ocr_words:
        ov = [_inter(w.box, l.box) for l in lines]
        k = max(range(len(lines)), key=ov.__getitem__) if lines else -1
        if k >= 0 and ov[k] >= 0.5*max(w.box.width*w.box.height, 1e-9): assigned[k].append(w)
        else: extra += len(w.text)
    edits = sum(Levenshtein.distance(l.text.upper(), ' '.join(w.text for w in sorted(a, key=lambda w: w.box.x0)).upper())
                for l, a in zip(lines, assigned))
    return edits + extra, sum(len(l.text) for l in lines)
