"""The shipped CPU field model on real SROIE receipts (ground-truth OCR lines, engine='boxes').

These 30 receipts are part of the data the shipped model was trained on: the thresholds only catch a broken
model file, features that drifted from the ones it was trained with, or lost evidence. The honest accuracy
is the cross-validated one in experiments/cv_sroie.json (experiments/cv_sroie.py).
"""

import pytest

from invoice_lab.contract import loose, strict
from invoice_lab.datasets import load_examples
from invoice_lab.fields import CPU_FIELDS, DEFAULT_MODEL, FieldModel, extract_fields, load_default_model
from invoice_lab.ocr import load_document

@pytest.fixture(scope='module')
def sample():
    ex = load_examples('sroie', 'train')[::21][:30]
    return [(e, load_document(e.path, engine='boxes')) for e in ex]

@pytest.fixture(scope='module')
def predicted(sample):
    model = load_default_model()
    return [(e, doc, extract_fields(doc, model)) for e, doc in sample]

def test_model_file_is_small_and_in_the_package():
    assert DEFAULT_MODEL.exists() and DEFAULT_MODEL.parent.parent.name == 'assets'
    assert DEFAULT_MODEL.stat().st_size < 5_000_000
    m = FieldModel.load(DEFAULT_MODEL)
    assert set(m.models) == set(CPU_FIELDS) and {'boxes', 'rapidocr'} <= set(m.meta['ocr'])

def test_accuracy_on_seen_receipts(predicted):
    out = predicted
    acc = {f: sum(loose(got[f].raw if got[f] else None) == loose(e.labels[f]) for e, _, got in out if e.labels[f])/
              sum(1 for e, _, _ in out if e.labels[f]) for f in CPU_FIELDS}
    floors = {'vendor': .85, 'vendor_address': .75, 'date': .95, 'total': .9}
    assert all(acc[f] >= floors[f] for f in CPU_FIELDS), acc

def test_evidence(predicted):
    "Every field's raw text is printed on its page, its box lies on the page, its confidence is a probability"
    out = predicted
    for e, doc, got in out:
        for f, fl in got.items():
            assert fl is not None and fl.value is None and fl.source == 'receipt'
            pg = doc.pages[fl.page]
            assert loose(fl.raw) in loose(pg.text.replace('\n', ' ')), (e.id, f, fl.raw)
            x0, y0, x1, y1 = fl.box
            assert 0 <= x0 < x1 <= pg.width + 1 and 0 <= y0 < y1 <= pg.height + 1, (e.id, f, fl.box)
            assert 0 <= fl.confidence <= 1
            assert fl.raw == strict(fl.raw), 'raw joins words and lines with single spaces'
