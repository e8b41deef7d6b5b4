"""runpod/serverless/handler.py on CPU: the runpod SDK's local test mode on the sample receipt, and the handler's input/error paths."""
import ast, base64, json, os, re, subprocess, sys
from pathlib import Path
import pytest
from invoice_lab.fields import FIELDS, Result

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


def test_file_b64_matches_path():
    by_path = handler({'input': {'path': str(RECEIPT)}})
    by_b64 = handler({'input': {'file_b64': base64.b64encode(RECEIPT.read_bytes()).decode(), 'filename': 'receipt.jpg'}})
    assert 'error' not in by_b64 and by_b64['fields'] == by_path['fields'] and by_b64['source'] == 'receipt.jpg'


@pytest.mark.parametrize('inp, error', [
    ({}, 'bad_input: give "path"'),
    ({'path': '/runpod-volume/nope.pdf'}, 'not_found: no file /runpod-volume/nope.pdf'),
    ({'file_b64': 'not base64!', 'filename': 'x.pdf'}, 'bad_input: file_b64 is not valid base64'),
    ({'file_b64': base64.b64encode(b'%PDF-1.7 broken').decode(), 'filename': 'x.pdf'}, 'corrupt: '),
    ({'path': str(RECEIPT), 'extractor': 'nope'}, "bad_input: unknown extractor 'nope'"),
    ({'path': str(RECEIPT), 'extractor': 'tilt'}, 'engine_unavailable: Arctic-TILT needs'),
])
def test_errors_fail_the_job(inp, error):
    out = handler({'input': inp})
    assert set(out) == {'error'} and out['error'].startswith(error), out
