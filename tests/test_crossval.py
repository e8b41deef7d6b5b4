"""The cross-validation harness cannot leak: a fold's model never trains on the documents it predicts (nor on
another copy of them), the predictions scored are the fold model's, and grouped documents share a fold.
Real data (`INVOICE_LAB_DATA`), small slices."""
import json
from collections import defaultdict
import pytest
from invoice_lab.contract import Field, Result, loose
from invoice_lab.crossval import run_cv, run_lodo
from invoice_lab.datasets import assign_folds, load_docs, load_examples

RESCANNED = [('X51006328919', 'X51006329395'), ('X51007103641', 'X51007103643')]   # same labels, different bytes

@pytest.fixture(scope='module')
def sroie():
    return load_examples('sroie')

@pytest.fixture(scope='module')
def slice_(sroie):
    "20 receipts plus both re-scanned pairs and two identical-image pairs: duplicates the folds must keep together"
    by_sha = defaultdict(list)
    for e in sroie: by_sha[e.sha256].append(e)
    dup_ids = {i for pair in RESCANNED for i in pair} | {e.id for es in list(v for v in by_sha.values() if len(v) > 1)[:2] for e in es}
    ex = sroie[:20] + [e for e in sroie if e.id in dup_ids and e not in sroie[:20]]
    return ex, load_docs(ex)[0]

def spy():
    "A fit that records the ids it trains on; its predictor stamps every field with the number of that fit call"
    seen = []
    def fit(pairs):
        seen.append([d.meta['id'] for d, _ in pairs])
        n = len(seen) - 1
        return lambda doc: Result(source=doc.meta['id'], pages=1, fields={f: Field(raw=f'fit {n}', confidence=.5)
                                                                       for f in ('vendor', 'vendor_address', 'date', 'total')})
    return fit, seen

@pytest.mark.parametrize('k', [2, 5])
def test_fit_never_sees_a_document_of_the_fold_it_predicts(slice_, k):
    ex, docs = slice_
    fit, seen = spy()
    res = run_cv(ex, docs, fit, k=k, train_docs=[docs, docs], baselines={})
    rows = res.frame()
    group = {e.id: e.group for e in ex}
    assert len(seen) == k
    for f, ids in enumerate(seen):
        predicted = set(rows[rows.fold == f].id)
        assert predicted and not predicted & set(ids), f'fold {f} trained on documents it predicts'
        assert not {group[i] for i in predicted} & {group[i] for i in ids}, f'fold {f} trained on a copy of a predicted document'
        assert len(ids) == 2*(len(ex) - len(predicted)), 'every other document, once per reading'
    assert sorted(rows[rows.field == 'total'].id) == sorted(e.id for e in ex)

def test_predictions_are_the_fold_models(slice_):
    ex, docs = slice_
    fit, seen = spy()
    rows = run_cv(ex, docs, fit, k=3, baselines={}).frame()
    assert (rows.raw == [f'fit {f}' for f in rows.fold]).all(), 'a prediction did not come from its fold model'
    assert set(rows.extractor) == {'model'} and set(rows.setting) == {'cv'}

def test_sroie_duplicates_share_a_fold(sroie):
    by_sha, by_labels = defaultdict(set), defaultdict(set)
    for e in sroie:
        by_sha[e.sha256].add(e.id)
        by_labels[tuple(loose(e.labels[f]) for f in sorted(e.labels))].add(e.id)
    dups = [ids for d in (by_sha, by_labels) for ids in d.values() if len(ids) > 1]
    assert len([d for d in by_sha.values() if len(d) > 1]) == 5 and all(set(p) in dups for p in RESCANNED)
    for k, seed in [(5, 0), (5, 1), (10, 2), (2, 3)]:
        fold = assign_folds(sroie, k, seed)
        assert all(len({fold[i] for i in ids}) == 1 for ids in dups), (k, seed)
        assert max(list(fold.values()).count(f) for f in range(k)) - min(list(fold.values()).count(f) for f in range(k)) <= 2

def test_einvoice_groups_never_straddle_folds():
    ex = load_examples('einvoice')
    index = dict(line.split(',')[:2] for line in (ex[0].path.parent.parent/'index.train.csv').read_text().splitlines()[1:])
    groups = defaultdict(set)
    for e in ex: groups[index[e.id]].add(e.id)
    assert len(groups) == 18 and len({e.group for e in ex}) == 18
    assert all(len({e.group for e in ex if e.id in ids}) == 1 for ids in groups.values())
    for k, seed in [(5, 0), (5, 1), (3, 7)]:
        fold = assign_folds(ex, k, seed)
        assert all(len({fold[i] for i in ids}) == 1 for ids in groups.values()), (k, seed)
        assert len(set(fold.values())) == k

def test_lodo_never_trains_on_the_held_out_dataset():
    data = {n: (xs, load_docs(xs)[0]) for n in ('sroie', 'einvoice', 'deepform') for xs in [load_examples(n, limit=3)]}
    fit, seen = spy()
    rows = run_lodo(data, fit, baselines={}).frame()
    for (held, (xs, _)), ids in zip(data.items(), seen):
        assert not set(ids) & {e.id for e in xs} and len(ids) == 6
        assert set(rows[rows.raw == f'fit {seen.index(ids)}'].dataset) == {held}
