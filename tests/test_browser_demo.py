"""The demo page in a real headless Chromium: upload the bundled samples, see the fields and the boxes drawn over the page."""
import json, os, socket, subprocess, sys, time
from pathlib import Path
import pytest
from playwright.sync_api import expect, sync_playwright
from invoice_lab.api import wait_ready

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT/'invoice_lab'/'assets'/'samples'
CHROMIUM = '/usr/bin/chromium'
ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run']
KEY = 'demo-key-123'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    port = free_port()
    env = {**os.environ, 'INVOICE_LAB_API_KEY': KEY, 'INVOICE_LAB_CACHE': str(tmp_path_factory.mktemp('cache'))}
    cli = Path(sys.executable).parent/'invoice-lab'
    proc = subprocess.Popen([str(cli), 'serve', '--host', '127.0.0.1', '--port', str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f'http://127.0.0.1:{port}'
    try:
        wait_ready(url, 180, proc)
        yield url
    finally:
        proc.terminate()
        try: proc.wait(10)
        except subprocess.TimeoutExpired: proc.kill()


@pytest.fixture(scope='module')
def browser():
    assert Path(CHROMIUM).exists(), 'install Debian chromium (make sysdeps)'
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def open_page(browser, url, key=KEY):
    page = browser.new_page(viewport={'width': 1400, 'height': 1000}, accept_downloads=True)
    page.goto(url + '/')
    if key: page.fill('#key', key)
    return page


def boxes_inside_image(page) -> list[dict]:
    "Geometry of each drawn field box and of the page image, in CSS pixels"
    return page.evaluate("""() => {
        const img = document.querySelector('#page-img').getBoundingClientRect();
        return [...document.querySelectorAll('#overlay .box')].map(b => {
            const r = b.getBoundingClientRect();
            return {field: b.dataset.field, w: r.width, h: r.height,
                    inside: r.left >= img.left - 1 && r.top >= img.top - 1 && r.right <= img.right + 1 && r.bottom <= img.bottom + 1,
                    imgW: img.width, imgH: img.height};
        });
    }""")


def test_receipt_fields_and_overlay(server, browser, tmp_path):
    page = open_page(browser, server)
    page.set_input_files('#file', str(SAMPLES/'receipt.jpg'))
    expect(page.locator('#status')).to_contain_text('fields found', timeout=120_000)
    found = page.locator('#fields tbody tr.found')
    assert found.count() >= 3
    total = page.locator('#fields tbody tr[data-field="total"] td.value')
    expect(total).to_contain_text(json.loads((SAMPLES/'receipt.json').read_text())['total'])
    expect(page.locator('#fields tbody tr[data-field="total"] td.confidence')).to_contain_text('0.')
    boxes = boxes_inside_image(page)
    assert len(boxes) >= 3, boxes
    assert all(b['w'] > 3 and b['h'] > 3 and b['inside'] for b in boxes), boxes
    assert boxes[0]['imgW'] > 200 and boxes[0]['imgH'] > 200
    assert {b['field'] for b in boxes} <= {r.get_attribute('data-field') for r in found.all()}
    shot = tmp_path/'demo_page.png'   # never the tracked experiments/demo_page.png
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    with page.expect_download() as dl:
        page.click('#dl-json')
    got = json.loads(Path(dl.value.path()).read_text())
    assert got['source'] == 'receipt.jpg' and set(got['fields']) >= {'vendor', 'date', 'total'}
    with page.expect_download() as dl:
        page.click('#dl-csv')
    lines = Path(dl.value.path()).read_text().splitlines()
    assert lines[0].startswith('field,value,raw') and any(l.startswith('total,') for l in lines)
    page.close()


def test_pdf_invoice(server, browser):
    page = open_page(browser, server)
    page.set_input_files('#file', str(SAMPLES/'invoice.pdf'))
    expect(page.locator('#status')).to_contain_text('fields found', timeout=120_000)
    assert page.locator('#fields tbody tr.found').count() >= 4
    boxes = boxes_inside_image(page)
    assert boxes and all(b['inside'] for b in boxes), boxes
    page.close()


def test_errors_are_shown(server, browser, tmp_path):
    page = open_page(browser, server, key='wrong')
    page.set_input_files('#file', str(SAMPLES/'receipt.jpg'))
    expect(page.locator('#status.error')).to_contain_text('401 unauthorized')
    page.fill('#key', KEY)
    (tmp_path/'notes.pdf').write_text('not really a PDF')
    page.set_input_files('#file', str(tmp_path/'notes.pdf'))
    expect(page.locator('#status.error')).to_contain_text('415 unsupported')
    assert page.locator('#right').is_hidden()
    page.close()


def test_multi_page_pdf_pager(server, browser):
    "A 2-page invoice: a pager appears, and page 2 shows exactly the boxes of the fields found on page 2"
    page = open_page(browser, server)
    page.set_input_files('#file', str(ROOT/'tests'/'fixtures'/'invoices'/'synth_0010.pdf'))
    expect(page.locator('#status')).to_contain_text('in 2 page(s)', timeout=120_000)
    assert page.locator('#pager button').count() == 2
    page.click('#pager button:nth-child(2)')
    expect(page.locator('#pager button.on')).to_have_text('page 2')
    on_p2 = page.evaluate("Object.entries(result.fields).filter(([k, f]) => f && f.box && f.page === 1).map(([k]) => k)")
    drawn = page.evaluate("[...document.querySelectorAll('#overlay .box')].flatMap(b => b.dataset.fields.split(' '))")
    assert on_p2 and sorted(drawn) == sorted(on_p2), (drawn, on_p2)
    page.close()
