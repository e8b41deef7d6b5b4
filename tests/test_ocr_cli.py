"The `invoice-lab ocr` console script, run for real as a subprocess"
import json, subprocess, sys
from pathlib import Path
from invoice_lab.core import data_dir

EXE = Path(sys.executable).with_name('invoice-lab')
RECEIPT = data_dir()/'sroie'/'train'/'X00016469612.jpg'

def run(*args):
    return subprocess.run([str(EXE), 'ocr', *map(str, args)], capture_output=True, text=True, timeout=300)

def test_text_table_of_words_with_boxes():
    r = run(RECEIPT, '--engine', 'boxes')
    assert r.returncode == 0, r.stderr
    rows = [l.split('\t') for l in r.stdout.splitlines()]
    assert rows[0] == ['page', 'line', 'x0', 'y0', 'x1', 'y1', 'conf', 'text']
    assert rows[1] == ['0', '0', '72', '25', '140.38', '64', '1.00', 'TAN']
    assert any(r[-1] == 'TD01167104' for r in rows)

def test_json_is_the_document(tmp_path):
    import pymupdf
    pdf = pymupdf.open(); pdf.new_page(width=200, height=100).insert_text((20, 50), 'Invoice 42', fontsize=10)
    (tmp_path/'inv.pdf').write_bytes(pdf.tobytes())
    r = run(tmp_path/'inv.pdf', '--format', 'json')
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc['kind'], doc['pages'][0]['unit']) == ('pdf', 'pt')
    assert [w['text'] for w in doc['pages'][0]['words']] == ['Invoice', '42']

def test_bad_input_is_one_line_on_stderr(tmp_path):
    (tmp_path/'empty.pdf').write_bytes(b'')
    r = run(tmp_path/'empty.pdf')
    assert r.returncode == 1 and r.stdout == ''
    assert r.stderr.strip() == f'{tmp_path/"empty.pdf"}: empty: {tmp_path/"empty.pdf"} is empty (0 bytes)'
    r = run(tmp_path/'missing.jpg')
    assert r.returncode == 1 and 'not_found' in r.stderr
