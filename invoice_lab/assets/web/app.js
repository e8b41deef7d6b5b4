// invoice_lab demo page: upload a document, show the page with field boxes and the fields table.
'use strict';
const $ = (s) => document.querySelector(s);
const COLORS = ['#2f6fde', '#e03131', '#2f9e44', '#ae3ec9', '#f76707', '#1098ad', '#c2255c', '#5c940d', '#8d5524', '#495057'];
let file = null, result = null, shown = -1;

function headers(type) {
  const h = {'Content-Type': type || 'application/octet-stream'};
  const key = $('#key').value.trim();
  if (key) h['X-API-Key'] = key;
  return h;
}

async function post(path) {
  const r = await fetch(path, {method: 'POST', body: file, headers: headers(file.type)});
  if (!r.ok) {
    let msg = r.status + ' ' + r.statusText;
    try { const e = (await r.json()).error; msg = `${r.status} ${e.code}: ${e.message}`; } catch (_) {}
    throw new Error(msg);
  }
  return r;
}

function status(text, error) { const s = $('#status'); s.textContent = text; s.className = error ? 'error' : ''; }

async function run(f) {
  file = f; result = null; shown = -1;
  $('#right').hidden = true; $('#pager').hidden = true; $('#overlay').replaceChildren(); $('#page-img').removeAttribute('src');
  status(`Reading ${f.name} …`);
  try {
    const q = 'name=' + encodeURIComponent(f.name);
    result = await (await post('/v1/extract?' + q)).json();
    showFields();
    const first = Object.values(result.fields).find((v) => v && v.box);
    await showPage(first ? first.page : 0);
    const found = Object.values(result.fields).filter(Boolean).length;
    status(`${found} of ${Object.keys(result.fields).length} fields found in ${result.pages} page(s).`);
  } catch (e) { status(e.message, true); }
}

async function showPage(i) {
  const r = await post(`/v1/render?page=${i}`);
  const w = +r.headers.get('X-Page-Width'), h = +r.headers.get('X-Page-Height');
  const img = $('#page-img');
  if (img.src) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await r.blob());
  await img.decode();
  shown = i;
  drawBoxes(w, h);
  pager();
}

function drawBoxes(w, h) {
  // One box per distinct rectangle: fields read from the same words (total and currency) share it and its label.
  const groups = new Map();
  Object.entries(result.fields).forEach(([name, f], k) => {
    if (!f || !f.box || f.page !== shown) return;
    const key = f.box.map((v) => Math.round(v)).join(',');
    if (!groups.has(key)) groups.set(key, {box: f.box, names: [], color: COLORS[k % COLORS.length], raw: f.raw});
    groups.get(key).names.push(name);
  });
  const boxes = [...groups.values()].map(({box, names, color, raw}) => {
    const [x0, y0, x1, y1] = box, d = document.createElement('div');
    d.className = 'box'; d.dataset.field = names[0]; d.dataset.fields = names.join(' '); d.title = `${names.join(', ')}: ${raw}`;
    d.style.cssText = `--c:${color};left:${100 * x0 / w}%;top:${100 * y0 / h}%;` +
                      `width:${100 * (x1 - x0) / w}%;height:${100 * (y1 - y0) / h}%`;
    const label = document.createElement('span'); label.textContent = names.join(' · '); d.append(label);
    return d;
  });
  $('#overlay').replaceChildren(...boxes);
}

function pager() {
  const nav = $('#pager');
  nav.hidden = result.pages < 2;
  nav.replaceChildren(...Array.from({length: result.pages}, (_, i) => {
    const b = document.createElement('button');
    b.type = 'button'; b.textContent = `page ${i + 1}`; b.className = i === shown ? 'on' : '';
    b.onclick = () => showPage(i).catch((e) => status(e.message, true));
    return b;
  }));
}

function cell(text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; }

function showFields() {
  $('#doc-name').textContent = result.source;
  const rows = Object.entries(result.fields).map(([name, f], k) => {
    const tr = document.createElement('tr');
    tr.dataset.field = name;
    const td = cell(name, 'field'); td.style.setProperty('--c', COLORS[k % COLORS.length]); tr.append(td);
    if (!f) { tr.append(cell('not found', 'missing'), cell(''), cell(''), cell('')); return tr; }
    tr.classList.add('found');
    const conf = cell('', 'confidence');
    conf.innerHTML = `<span class="conf"><i style="width:${Math.round(100 * f.confidence)}%"></i></span>`;
    conf.append(f.confidence.toFixed(2));
    tr.append(cell((f.value ?? '') + (f.currency && f.value ? ' ' + f.currency : ''), 'value'), cell(f.raw, 'raw'), conf,
              cell(String(f.page + 1)));
    return tr;
  });
  $('#fields tbody').replaceChildren(...rows);
  $('#checks').replaceChildren(...result.checks.map((c) => {
    const li = document.createElement('li'); li.className = c.ok ? 'ok' : 'bad';
    li.textContent = `${c.ok ? '✓' : '✗'} ${c.name}${c.detail ? ': ' + c.detail : ''}`; return li;
  }));
  $('#timings').textContent = 'ms: ' + Object.entries(result.timings_ms).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ');
  $('#right').hidden = false;
}

function download(name, type, text) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], {type})); a.download = name; a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

const csvCell = (v) => (v == null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
function toCSV(r) {
  const head = ['field', 'value', 'raw', 'currency', 'confidence', 'page', 'x0', 'y0', 'x1', 'y1'];
  const rows = Object.entries(r.fields).map(([n, f]) => f
    ? [n, f.value, f.raw, f.currency, f.confidence, f.page + 1, ...(f.box || ['', '', '', ''])] : [n]);
  return [head, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}
const stem = () => (result.source || 'result').replace(/\.[^.]*$/, '');

$('#dl-json').onclick = () => download(stem() + '.json', 'application/json', JSON.stringify(result, null, 2));
$('#dl-csv').onclick = () => download(stem() + '.csv', 'text/csv', toCSV(result));
$('#file').onchange = (e) => e.target.files[0] && run(e.target.files[0]);
const drop = $('#drop');
['dragenter', 'dragover'].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add('over'); }));
['dragleave', 'drop'].forEach((t) => drop.addEventListener(t, () => drop.classList.remove('over')));
drop.addEventListener('drop', (e) => { e.preventDefault(); if (e.dataTransfer.files[0]) run(e.dataTransfer.files[0]); });
