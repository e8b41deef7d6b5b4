"""Issue 12 for `invoice-lab batch` and `extract`: a file name that is not UTF-8, kill -9 of the main process, a full disk,
an output that cannot be written, paths that are not files. Each must end in a clear result, never a traceback or orphans."""
import errno, json, os, signal, subprocess, sys, time
from pathlib import Path
import pandas as pd, pymupdf, pytest
from hostile import xml_bomb_pdf
from invoice_lab import batch

CLI = Path(sys.executable).parent/'invoice-lab'
BAD = b'bad\xffname.pdf'


def text_pdf(path, text='ACME Ltd\nInvoice INV-7\nTotal 12.50'):
    pdf = pymupdf.open(); pdf.new_page(width=300, height=400).insert_text((30, 50), text)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f: f.write(pdf.tobytes())


def cli(*args, env=None, **kw):
    env = {**os.environ, **(env or {}), 'PYTHONDONTWRITEBYTECODE': '1'}
    return subprocess.run([str(CLI), *map(str, args)], capture_output=True, env=env, timeout=600, **kw)


def test_batch_goes_on_past_a_name_that_is_not_utf8(tmp_path):
    inp, out = tmp_path/'in', tmp_path/'out'
    text_pdf(os.path.join(os.fsencode(inp), BAD))
    for i in range(2): text_pdf(inp/f'ok{i}.pdf')
    (inp/'bomb.pdf').write_bytes(xml_bomb_pdf(150))
    r = cli('batch', inp, '--out', out, '--workers', '1', '--ocr', 'pdf-text', '--no-progress', env={'INVOICE_LAB_CACHE': tmp_path/'c'})
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    recs = [json.loads(l) for l in (out/'results.jsonl').read_text('utf-8').splitlines()]
    assert sorted(x['source'] for x in recs) == ['bad\\xffname.pdf', 'ok0.pdf', 'ok1.pdf']
    assert all(x['fields']['total']['value'] == '12.50' for x in recs)
    assert sorted(pd.read_csv(out/'results.csv').source) == ['bad\\xffname.pdf', 'ok0.pdf', 'ok1.pdf']
    assert len(pd.read_excel(out/'results.xlsx')) == 3
    errs = [json.loads(l) for l in (out/'errors.jsonl').read_text('utf-8').splitlines()]
    assert [(e['source'], e['error']) for e in errs] == [('bomb.pdf', 'too_large')], errs
    again = cli('batch', inp, '--out', out, '--workers', '1', '--no-progress')
    assert again.returncode == 0 and b'4 already done' in again.stdout, again.stdout + again.stderr


def test_extract_reads_a_name_that_is_not_utf8(tmp_path):
    "The same valid PDF that the CLI called `corrupt`: read, with its name shown as \\xff"
    p = os.path.join(os.fsencode(tmp_path), BAD)
    text_pdf(p)
    r = cli('extract', os.fsdecode(p), '--ocr', 'pdf-text')
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res['source'] == 'bad\\xffname.pdf' and res['fields']['total']['value'] == '12.50'


def children(pid: int) -> list[int]:
    out = []
    for d in Path('/proc').iterdir():
        if d.name.isdigit():
            try: stat = (d/'stat').read_text()
            except OSError: continue
            if int(stat.rsplit(')', 1)[1].split()[1]) == pid: out.append(int(d.name))
    return out


def alive(pid: int) -> bool:
    try: return (Path('/proc')/str(pid)/'stat').read_text().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError: return False


def test_workers_die_with_the_main_process(tmp_path):
    "kill -9 of the batch process alone (not its group): its worker processes must not live on"
    inp = tmp_path/'in'
    for i in range(40): text_pdf(inp/f'd{i:02d}.pdf')
    proc = subprocess.Popen([str(CLI), 'batch', str(inp), '--out', str(tmp_path/'out'), '--workers', '2', '--ocr', 'pdf-text',
                             '--no-progress'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, 'INVOICE_LAB_CACHE': str(tmp_path/'c')})
    workers = []
    try:
        for _ in range(600):
            workers = [p for p in children(proc.pid) if 'spawn_main' in Path(f'/proc/{p}/cmdline').read_bytes().decode(errors='replace')]
            if len(workers) == 2 or proc.poll() is not None: break
            time.sleep(0.1)
        assert len(workers) == 2 and proc.poll() is None, 'the batch ended before it could be killed'
        os.kill(proc.pid, signal.SIGKILL); proc.wait()
        for _ in range(100):
            if not any(alive(p) for p in workers): break
            time.sleep(0.1)
        assert not [p for p in workers if alive(p)], 'worker processes outlived the killed batch'
    finally:
        for p in workers:
            if alive(p): os.kill(p, signal.SIGKILL)


def test_each_record_is_fsynced(tmp_path, monkeypatch):
    "A record counts as written only once it is on disk: one fsync of the log per record"
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, 'fsync', lambda fd: synced.append(fd) or real(fd))
    with batch.JsonLog(tmp_path/'r.jsonl') as log:
        synced.clear()
        for i in range(3): log.append({'source': f'{i}.pdf'})
        assert synced == [log.f.fileno()] * 3


class FullDisk:
    "A file on a full disk: writes are buffered, flush and close fail with ENOSPC (close still closes)"
    def __init__(self): self.closed = False
    def write(self, b): return len(b)
    def fileno(self): return 0
    def flush(self): raise OSError(errno.ENOSPC, 'No space left on device')
    def close(self):
        if not self.closed: self.closed = True; self.flush()


def test_full_disk_closes_both_logs_and_leaves_no_tmp(tmp_path, monkeypatch):
    inp, out = tmp_path/'in', tmp_path/'out'
    text_pdf(inp/'a.pdf'); (inp/'b.pdf').write_bytes(b'not a pdf')
    logs = []
    class Log(batch.JsonLog):
        def __init__(self, path):
            super().__init__(path); logs.append(self)
            if self.path.name == 'results.jsonl': self.f.close(); self.f = FullDisk()
    monkeypatch.setattr(batch, 'JsonLog', Log)
    with pytest.raises(OSError, match='No space left'):
        batch.run_batch(inp, out, workers=1, ocr='pdf-text', progress=False)
    assert [l.path.name for l in logs] == ['results.jsonl', 'errors.jsonl'] and all(l.f.closed for l in logs)
    assert not list(out.glob('*.tmp'))


def test_tables_leave_no_tmp_when_the_disk_fills(tmp_path, monkeypatch):
    "The workbook's zip is created, then writing into it fails: no results.xlsx.tmp may stay behind"
    from openpyxl.writer.excel import ExcelWriter
    def full(self): raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(ExcelWriter, 'write_data', full)
    with pytest.raises(OSError): batch.write_tables([{'source': 'a.pdf', 'fields': {}}], tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['results.csv']


def test_tables_take_any_text(tmp_path):
    "A lone surrogate or a control character from a broken PDF text layer cannot stop the CSV or the workbook"
    batch.write_tables([{'source': 'x\udcff.pdf', 'fields': {'vendor': {'raw': 'ACME\x07 \udc80Ltd'}}}], tmp_path)
    assert pd.read_csv(tmp_path/'results.csv').vendor[0] == 'ACME \\udc80Ltd'
    assert pd.read_excel(tmp_path/'results.xlsx').source[0] == 'x\\udcff.pdf'


def test_cli_errors_are_one_line(tmp_path):
    "No traceback for an output that cannot be written, nor for inputs that are not regular files"
    (tmp_path/'file').write_text('x')
    os.mkfifo(tmp_path/'fifo.pdf'); (tmp_path/'loop.pdf').symlink_to(tmp_path/'loop.pdf')
    sample = Path(batch.__file__).parent/'assets'/'samples'/'invoice.pdf'
    cases = [(('extract', sample, '--out', tmp_path/'no'/'dir'/'x.jsonl'), 'cannot write'),
             (('batch', tmp_path, '--out', tmp_path/'file'/'out', '--no-progress'), 'error:'),
             (('batch', tmp_path/'missing', '--out', tmp_path/'o', '--no-progress'), 'no such folder'),
             (('extract', tmp_path, '--ocr', 'pdf-text'), 'is a folder'),
             (('extract', tmp_path/'fifo.pdf'), 'not a regular file'),
             (('extract', tmp_path/'loop.pdf'), 'symbolic links')]
    for args, msg in cases:
        r = cli(*args)
        err = r.stderr.decode()
        assert r.returncode == 1 and msg in err and 'Traceback' not in err and len(err.strip().splitlines()) == 1, (args, err)


def test_size_is_checked_before_reading(tmp_path, monkeypatch):
    "A file over the limit is refused from its size: its bytes are never read"
    p = tmp_path/'big.pdf'
    with open(p, 'wb') as f: f.truncate(300_000_000)
    from invoice_lab import ocr
    monkeypatch.setattr(Path, 'read_bytes', lambda self: pytest.fail('read the whole file'))
    with pytest.raises(ocr.DocumentTooLarge, match='300000000 bytes, over the limit'): ocr.read_document(p)
