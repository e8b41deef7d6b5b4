"""`invoice-lab eval run` as CI runs it: the papermill evaluation notebook on a fixed 20-receipt slice of
SROIE train (ground-truth OCR lines, the shipped model), metrics asserted in a sane range so a broken
pipeline fails here; then `invoice-lab eval report` reads the run back from MLflow."""
import json, os, subprocess, sys
from pathlib import Path
import pytest

BIN = Path(sys.executable).parent/'invoice-lab'
NAME = 'sroie-train-boxes-cpu-shipped-n20'
ENV = {**os.environ, 'MLFLOW_DISABLE_TELEMETRY': 'true', 'DO_NOT_TRACK': 'true'}

def cli(*args):
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=900, env=ENV)

@pytest.fixture(scope='module')
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp('eval')
    uri = f'sqlite:///{out}/mlflow.db'
    p = cli('eval', 'run', '--dataset', 'sroie', '--split', 'train', '--ocr', 'boxes', '--folds', '0', '--limit', '20',
            '--sprint', 'ci', '--tracking-uri', uri, '--out-dir', out, '--no-record')
    assert p.returncode == 0, p.stderr[-3000:]
    return out, uri, p.stdout, json.loads((out/f'{NAME}.metrics.json').read_text())

def test_notebook_and_files_written(run):
    out, _, stdout, m = run
    assert m['run'] == NAME and m['run_id'] in stdout and 'micro' in stdout
    assert 0 < (out/f'{NAME}.ipynb').stat().st_size < 2_000_000
    arts = out/'artifacts'/NAME
    assert (arts/'f1_by_field.png').exists() and len(list(arts.glob('worst_*.png'))) == 3
    assert len((arts/'predictions.jsonl').read_text().splitlines()) == 20*4

def test_metrics_in_sane_range(run):
    *_, m = run
    assert m['params']['n_docs'] == 20 and m['errors'] == []
    loose, strict = m['metrics']['loose'], m['metrics']['strict']
    assert {'vendor', 'vendor_address', 'date', 'total', 'micro'} <= set(loose)
    assert loose['micro']['f1'] >= 0.75, loose['micro']
    assert loose['date']['f1'] >= 0.85 and loose['total']['f1'] >= 0.8, (loose['date'], loose['total'])
    assert strict['micro']['f1'] <= loose['micro']['f1']
    assert loose['date']['value_acc'] >= 0.85, loose['date']
    assert 0 < m['timings']['median_ms_extract'] < 5000

def test_logged_to_mlflow_and_reported(run):
    out, uri, _, m = run
    from mlflow import MlflowClient
    client = MlflowClient(uri)
    r = client.get_run(m['run_id'])
    assert r.data.tags['sprint'] == 'ci' and r.data.tags['ocr'] == 'boxes' and r.data.tags['git_commit']
    assert r.data.metrics['loose_f1_micro'] == pytest.approx(m['metrics']['loose']['micro']['f1'])
    assert {f'{NAME}.ipynb', 'f1_by_field.png', 'predictions.jsonl'} <= {a.path for a in client.list_artifacts(m['run_id'])}
    p = cli('eval', 'report', '--tracking-uri', uri, '--markdown', out/'report.md')
    assert p.returncode == 0, p.stderr[-2000:]
    row = next(l for l in (out/'report.md').read_text().splitlines() if l.startswith('| ci '))
    assert f"{m['metrics']['loose']['micro']['f1']:.3f}" in row, row
