"""`invoice-lab batch` killed with SIGKILL mid-run, then rerun: it continues, never duplicates, never loses a finished row."""
import io, json, os, signal, subprocess, sys, time
from pathlib import Path
import pandas as pd
from PIL import Image, ImageDraw

CLI = Path(sys.executable).parent/'invoice-lab'
N_OK, BAD = 12, {'bad/empty.jpg': b'', 'bad/text.pdf': b'not a pdf at all', 'bad/cut.png': b'\x89PNG\r\n\x1a\n\x00\x00'}


def receipt_png(i: int) -> bytes:
    im = Image.new('RGB', (420, 260), 'white')
    d = ImageDraw.Draw(im)
    for k, t in enumerate([f'SHOP NUMBER {i} SDN BHD', f'NO {i}, JALAN MAJU {i}', f'DATE: {i % 28 + 1:02d}/03/2019',
                           f'ITEM A {i}.00', f'TOTAL: {i + 10}.50']):
        d.text((20, 20 + 45 * k), t, fill='black', font_size=20)
    buf = io.BytesIO(); im.save(buf, 'PNG')
    return buf.getvalue()


def lines(p: Path) -> list[bytes]:
    return p.read_bytes().split(b'\n')[:-1] if p.exists() else []


def run(inp, out, env, **kw):
    return subprocess.Popen([str(CLI), 'batch', str(inp), '--out', str(out), '--workers', '2', '--no-progress'], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def test_kill_and_resume(tmp_path):
    inp, out = tmp_path/'in', tmp_path/'out'
    for i in range(N_OK):
        (inp/f'r{i // 10}').mkdir(parents=True, exist_ok=True)
        (inp/f'r{i // 10}'/f'receipt_{i:02d}.png').write_bytes(receipt_png(i))
    for name, data in BAD.items():
        (inp/name).parent.mkdir(exist_ok=True); (inp/name).write_bytes(data)
    env = {**os.environ, 'INVOICE_LAB_CACHE': str(tmp_path/'cache')}

    proc = run(inp, out, env, start_new_session=True)
    deadline = time.time() + 240
    while len(lines(out/"results.jsonl")) < 3:
        assert proc.poll() is None, 'batch ended before it could be killed: ' + proc.stdout.read().decode()
        assert time.time() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = lines(out/'results.jsonl')
    assert 3 <= len(before) < N_OK, len(before)
    with open(out/'results.jsonl', 'ab') as f: f.write(b'{"source": "r0/receipt_99.png", "pages": 1, "fie')

    proc = run(inp, out, env)
    log = proc.communicate(timeout=300)[0].decode()
    assert proc.returncode == 0, log
    assert f'{N_OK + len(BAD)} documents' in log and 'already done' in log, log

    after = lines(out/'results.jsonl')
    assert after[:len(before)] == before, 'a finished row changed or was lost'
    ok = [json.loads(l)['source'] for l in after]
    errs = [json.loads(l) for l in lines(out/'errors.jsonl')]
    assert len(ok) == len(set(ok)) == N_OK, sorted(ok)
    assert sorted(e['source'] for e in errs) == sorted(BAD)
    assert {e['source']: e['error'] for e in errs}['bad/empty.jpg'] == 'empty'
    assert not set(ok) & {e['source'] for e in errs}

    csv = pd.read_csv(out/'results.csv')
    assert sorted(csv.source) == sorted(ok) and 'total' in csv.columns
    assert csv.total.notna().sum() >= N_OK // 2, csv[['source', 'total']]
    assert len(pd.read_excel(out/'results.xlsx')) == N_OK

    proc = run(inp, out, env)
    log = proc.communicate(timeout=120)[0].decode()
    assert f'{N_OK + len(BAD)} already done' in log and lines(out/'results.jsonl') == after, log
