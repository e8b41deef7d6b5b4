#!/usr/bin/env bash
# Checks requirements-gpu.lock the way a pod would install it, without installing anything: `pip install --dry-run`
# into a fresh CPython 3.11 venv (linux x86_64) must pick exactly the locked packages, onnxruntime-gpu and no CPU onnxruntime.
#   PYTHON  a CPython 3.11 (default python3.11); needs PyPI, not a GPU
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON=${PYTHON:-python3.11}
die() { echo "check_lock: FAILED: $*" >&2; exit 1; }
"$PYTHON" -c 'import sys, platform; assert sys.version_info[:2] == (3, 11) and platform.machine() == "x86_64", sys.version' \
  || die "$PYTHON is not CPython 3.11 on x86_64"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --dry-run --ignore-installed --report "$tmp/report.json" -r "$HERE/requirements-gpu.lock" \
  2>"$tmp/pip.log" || { cat "$tmp/pip.log" >&2; die "pip could not resolve the lock"; }
"$tmp/venv/bin/python" - "$tmp/report.json" "$HERE/requirements-gpu.lock" <<'PY'
import json, re, sys
norm = lambda n: re.sub(r'[-_.]+', '-', n.lower())
inst = {norm(i['metadata']['name']): i['metadata']['version'] for i in json.load(open(sys.argv[1]))['install']}
lock = dict(l.split(';')[0].strip().split('==') for l in open(sys.argv[2]) if '==' in l and not l.startswith('#'))
lock = {norm(k.split('[')[0]): v for k, v in lock.items()}
diff = {k: (lock.get(k), inst.get(k)) for k in lock.keys() | inst.keys() if lock.get(k) != inst.get(k)}
print(f'pip --dry-run would install {len(inst)} packages; the lock pins {len(lock)}; differences: {diff or "none"}')
print(f"onnxruntime-gpu {inst.get('onnxruntime-gpu')}, CPU onnxruntime {inst.get('onnxruntime', 'not installed')}, "
      f"torch {inst.get('torch')}, pymupdf {inst.get('pymupdf')}, transformers {inst.get('transformers')}")
sys.exit(1 if diff or 'onnxruntime' in inst or 'onnxruntime-gpu' not in inst else 0)
PY
