"""`invoice-lab eval run` as CI runs it: the papermill evaluation notebook on a fixed 20-receipt slice of
SROIE train (ground-truth OCR lines), 5-fold cross-validated with fold models trained in the run, beside
the naive baseline measured on the same folds; the notebook's own checks (every document and field
scored, better than the baseline) must pass; then `invoice-lab eval report` reads the run back from MLflow."""
import json, os, subprocess, sys
from pathlib import Path
import pytest

BIN = Path(sys.executable).parent/'invoice-lab'
NAME = 'sroie-train-boxes-cpu-cv5-n20'
ENV = {**os.environ, 'MLFLOW_DISABLE_TELEMETRY': 'true', 'DO_NOT_TRACK': 'true'}

def cli(*args):
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=900, env=ENV)

@pytest.fixture(scope='module')
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp('eval')
    uri = f'sqlite:///{out}/mlflow.db'
    p = cli('eval', 'run', '--dataset', 'sroie', '--split', 'train', '--ocr', 'boxes', '--folds', '5', '--limit', '20',
            '--sprint', 'ci', '--tracking-uri', uri, '--out-dir', out, '--no-record')
    assert p.returncode == 0, p.stderr[-3000:]
    return out, uri, p.stdout, json.loads((out/f'{NAME}.metrics.json').read_text())

def test_notebook_and_files_written(run):
    out, _, stdout, m = run
    assert m['run'] == NAME and m['run_id'] in stdout and 'micro' in stdout
    assert 0 < (out/f'{NAME}.ipynb').stat().st_size < 2_000_000
    arts = out/'artifacts'/NAME
    assert (arts/'f1_by_field.png').exists() and len(list(arts.glob('worst_*.png'))) == 3
    rows = [json.loads(l) for l in (arts/'predictions.jsonl').read_text().splitlines()]
    assert len(rows) == 20*4 and sorted({r['fold'] for r in rows}) == [0, 1, 2, 3, 4]

def test_cross_validated_model_beats_the_baseline_of_the_same_run(run):
    *_, m = run
    assert m['params']['n_docs'] == 20 and m['params']['folds'] == 5 and m['errors'] == []
    ours, base = m['metrics'], m['baseline']
    assert {'vendor', 'vendor_address', 'date', 'total', 'micro'} == set(ours) == set(base)
    assert ours['micro']['f1'] >= base['micro']['f1'] + 0.15, (ours['micro'], base['micro'])
    assert ours['total']['f1'] > base['total']['f1'] and ours['vendor']['f1'] > base['vendor']['f1']
    assert ours['micro']['f1'] >= 0.6 and ours['date']['f1'] >= 0.8, ours
    assert ours['micro']['strict_f1'] <= ours['micro']['f1']
    assert m['timings']['train_s_per_fold'] > 0 and m['timings']['median_ms_predict'] > 0

def test_logged_to_mlflow_and_reported(run):
    out, uri, _, m = run
    from mlflow import MlflowClient
    client = MlflowClient(uri)
    r = client.get_run(m['run_id'])
    assert r.data.tags['sprint'] == 'ci' and r.data.tags['ocr'] == 'boxes' and r.data.tags['git_commit']
    assert r.data.metrics['f1_micro'] == pytest.approx(m['metrics']['micro']['f1'])
    assert r.data.metrics['baseline_f1_micro'] == pytest.approx(m['baseline']['micro']['f1'])
    assert {f'{NAME}.ipynb', 'f1_by_field.png', 'predictions.jsonl'} <= {a.path for a in client.list_artifacts(m['run_id'])}
    p = cli('eval', 'report', '--tracking-uri', uri, '--markdown', out/'report.md')
    assert p.returncode == 0, p.stderr[-2000:]
    row = next(l for l in (out/'report.md').read_text().splitlines() if l.startswith('| ci '))
    assert f"{m['metrics']['micro']['f1']:.3f}" in row, row
