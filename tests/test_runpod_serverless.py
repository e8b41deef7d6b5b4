"""runpod/serverless/handler.py on CPU: the runpod SDK's local test mode on the sample receipt, the handler's input/error paths,
and the environment it sets in Python for a worker with the volume at /runpod-volume (the same as runpod/env.sh)."""
import ast, base64, json, os, re, subprocess, sys
from pathlib import Path
import pytest
from invoice_lab.contract import FIELDS, Result

ROOT = Path(__file__).resolve().parents[1]
SL = ROOT/'runpod'/'serverless'
RECEIPT = ROOT/'invoice_lab'/'assets'/'samples'/'receipt.jpg'
sys.path.insert(0, str(SL))
from handler import handler  # noqa: E402


def test_local_test_mode_prints_the_contract():
    "The documented command, run from runpod/serverless/: one job, result printed, exit 0"
    job = {'input': {'path': '../../invoice_lab/assets/samples/receipt.jpg'}}
    r = subprocess.run([sys.executable, 'handler.py', '--test_input', json.dumps(job)], cwd=SL,
                       capture_output=True, text=True, timeout=300, env={**os.environ, 'RUNPOD_WEBHOOK_GET_JOB': ''})
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    m = re.search(r'Job result: (\{.*\})\s*$', out, re.M)
    assert m, out[-3000:]
    res = Result.model_validate(ast.literal_eval(m.group(1))['output'])
    assert res.source == 'receipt.jpg' and res.pages == 1 and list(res.fields) == list(FIELDS)
    found = {k: f for k, f in res.fields.items() if f is not None}
    assert 'total' in found and found['total'].box and set(res.timings_ms) >= {'read', 'ocr', 'extract'}


def test_test_input_json_is_a_valid_job():
    job = json.loads((SL/'test_input.json').read_text())
    assert (SL/job['input']['path']).resolve() == RECEIPT


def test_document_b64_matches_path():
    by_path = handler({'input': {'path': str(RECEIPT)}})
    by_b64 = handler({'input': {'document_b64': base64.b64encode(RECEIPT.read_bytes()).decode(), 'name': 'receipt.jpg'}})
    assert 'error' not in by_b64 and by_b64['fields'] == by_path['fields'] and by_b64['source'] == 'receipt.jpg'


def test_fields_and_pages():
    inp = {'document_b64': base64.b64encode(RECEIPT.read_bytes()).decode(), 'name': 'receipt.jpg'}
    out = handler({'input': {**inp, 'fields': ['total', 'date']}})
    assert {k for k, f in out['fields'].items() if f is not None} <= {'total', 'date'} and out['fields']['total']
    assert handler({'input': {**inp, 'pages': 1}})['pages'] == 1
    pdf = ROOT/'invoice_lab'/'assets'/'samples'/'invoice.pdf'
    two = subprocess.run([sys.executable, '-c', f"import pymupdf; d = pymupdf.open({str(pdf)!r}); d.insert_pdf(pymupdf.open({str(pdf)!r})); "
                          "import sys; sys.stdout.buffer.write(d.tobytes())"], capture_output=True, check=True).stdout
    err = handler({'input': {'document_b64': base64.b64encode(two).decode(), 'name': 'two.pdf', 'pages': 1}})
    assert err['error'].startswith('too_many_pages: the PDF has 2 pages, over the limit of 1'), err


def test_volume_env_is_env_sh():
    "What the worker sets in Python equals what runpod/env.sh exports on a pod with the same volume"
    from handler import volume_env
    want = volume_env('/runpod-volume')
    keep = ' '.join(want)
    r = subprocess.run(['env', '-i', 'bash', '-c', f'WORKSPACE=/runpod-volume; source {ROOT}/runpod/env.sh; for k in {keep}; do echo "$k=${{!k}}"; done'],
                       capture_output=True, text=True, check=True)
    assert dict(l.split('=', 1) for l in r.stdout.splitlines()) == want


def test_worker_sets_the_volume_env(tmp_path):
    "With a volume mounted, `python handler.py` gets the paths without a shell; the endpoint's own env wins"
    code = 'import os, handler; print(os.environ["HF_HOME"], os.environ["INVOICE_LAB_TILT_MODEL"], os.environ["HF_HUB_OFFLINE"], os.environ["INVOICE_LAB_OCR_DEVICE"])'
    env = {k: v for k, v in os.environ.items() if k not in ('HF_HOME', 'INVOICE_LAB_TILT_MODEL', 'HF_HUB_OFFLINE')}
    r = subprocess.run([sys.executable, '-c', code], cwd=SL, capture_output=True, text=True,
                       env={**env, 'INVOICE_LAB_VOLUME': str(tmp_path), 'INVOICE_LAB_OCR_DEVICE': 'cpu'})
    assert r.stdout.split() == [f'{tmp_path}/.cache/huggingface', f'{tmp_path}/models/snowflake-arctic-tilt-v1.3', '1', 'cpu'], r.stderr
    r = subprocess.run([sys.executable, '-c', code], cwd=SL, capture_output=True, text=True, env={**env, 'INVOICE_LAB_VOLUME': str(tmp_path/'none')})
    assert r.returncode != 0 and "KeyError: 'HF_HOME'" in r.stderr   # no volume: nothing set


@pytest.mark.parametrize('inp, error', [
    ({}, 'bad_input: give "document_b64"'),
    ({'path': '/runpod-volume/nope.pdf'}, 'not_found: no file /runpod-volume/nope.pdf'),
    ({'document_b64': 'not base64!', 'name': 'x.pdf'}, 'bad_input: document_b64 is not valid base64'),
    ({'document_b64': base64.b64encode(b'%PDF-1.7 broken').decode(), 'name': 'x.pdf'}, 'corrupt: '),
    ({'path': str(RECEIPT), 'fields': ['totl']}, "bad_input: unknown fields ['totl']"),
    ({'path': str(RECEIPT), 'pages': 'all'}, "bad_input: invalid literal for int() with base 10: 'all'"),
    ({'path': str(RECEIPT), 'extractor': 'nope'}, "bad_input: unknown extractor 'nope'"),
    ({'path': str(RECEIPT), 'extractor': 'tilt'}, 'engine_unavailable: Arctic-TILT needs'),
])
def test_errors_fail_the_job(inp, error):
    out = handler({'input': inp})
    assert set(out) == {'error'} and out['error'].startswith(error), out
