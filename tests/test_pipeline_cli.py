"`invoice-lab extract` and `invoice-lab demo` as a user runs them: the installed console script, real samples."
import json, subprocess, sys
from pathlib import Path
from invoice_lab.contract import FIELDS, Result
from invoice_lab.synthetic import SAMPLES

BIN = Path(sys.executable).parent/'invoice-lab'
INVOICE, RECEIPT = SAMPLES/'invoice.pdf', SAMPLES/'receipt.jpg'

def run(*args):
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=300)

def test_extract_one_pdf_prints_the_contract_as_pretty_json():
    p = run('extract', INVOICE)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith('{\n  "source": "invoice.pdf"'), p.stdout[:200]
    d = json.loads(p.stdout)
    assert list(d) == ['source', 'pages', 'fields', 'line_items', 'checks', 'timings_ms', 'ocr', 'extractor']
    assert list(d['fields']) == list(FIELDS) and d['ocr'] == 'pdf-text' and d['pages'] == 1
    assert set(d['timings_ms']) == {'read', 'ocr', 'extract', 'normalize'}
    label = json.loads((SAMPLES/'invoice.json').read_text())
    for k in ('total', 'date', 'invoice_number', 'currency'):
        assert d['fields'][k]['value'] == label[k], (k, d['fields'][k], label[k])
    assert d['fields']['total']['currency'] == label['currency']

def test_extract_a_receipt_photo_with_ocr():
    p = run('extract', RECEIPT)
    assert p.returncode == 0, p.stderr
    res = Result.model_validate_json(p.stdout)
    assert res.source == 'receipt.jpg' and res.ocr.startswith('rapidocr') and res.pages == 1
    label = json.loads((SAMPLES/'receipt.json').read_text())
    assert res.value('total') == label['total'], (res.fields['total'], label)

def test_several_documents_to_jsonl_and_failures_reported(tmp_path):
    bad = tmp_path/'notes.txt'; bad.write_text('not a document')
    out = tmp_path/'results.jsonl'
    p = run('extract', INVOICE, bad, tmp_path/'missing.pdf', INVOICE, '--no-xml', '--out', out)
    assert p.returncode == 1
    assert 'notes.txt: unsupported:' in p.stderr and 'missing.pdf: not_found:' in p.stderr, p.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and all(Result.model_validate_json(l).source == 'invoice.pdf' for l in lines)

def test_several_documents_without_out_print_one_object_per_line():
    p = run('extract', INVOICE, INVOICE, '--extractor', 'cpu')
    assert p.returncode == 0, p.stderr
    assert [json.loads(l)['source'] for l in p.stdout.splitlines()] == ['invoice.pdf'] * 2

def test_unknown_extractor_is_refused():
    p = run('extract', INVOICE, '--extractor', 'gpt')
    assert p.returncode != 0 and "unknown extractor 'gpt'" in p.stderr

def test_demo_prints_a_table_and_json_per_sample():
    p = run('demo')
    assert p.returncode == 0, p.stderr
    assert 'receipt.jpg: 1 page(s)' in p.stdout and 'invoice.pdf: 1 page(s)' in p.stdout, p.stdout[:500]
    assert p.stdout.count('{\n  "source": ') == 2 and '"total": {' in p.stdout

def test_unknown_ocr_engine_is_refused_before_any_work():
    p = run('extract', INVOICE, '--ocr', 'easyocr')
    assert p.returncode == 2 and "unknown OCR engine 'easyocr'" in p.stderr and p.stdout == ''
