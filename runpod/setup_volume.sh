#!/usr/bin/env bash
# Once per network volume, on any pod, after build_wheelhouse.sh: creates the GPU venv from the wheelhouse, offline and
# exactly as locked (pip install --no-index --find-links -r requirements-gpu.lock, then the fork's wheel --no-deps),
# installs the project checkout into it with the invoice-lab Jupyter kernel, points every cache at the volume, downloads the TILT weights and prepares the OCR models
# once, and records the versions in $WORKSPACE/STACK.txt. Safe to re-run.
#   WITH_PADDLE_GPU=1  also create $PADDLE_VENV with native paddlepaddle-gpu (a second venv: its CUDA pins clash with torch 2.6)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"
die() { echo "setup_volume: FAILED: $*" >&2; exit 1; }
log() { echo "setup_volume: $(date -u +%T) $*"; }

[ -d "$WORKSPACE" ] || die "$WORKSPACE does not exist: attach the network volume"
[ -f "$HERE/requirements-gpu.lock" ] || die "no $HERE/requirements-gpu.lock: run runpod/lock.sh"
fork_whl=$(compgen -G "$WHEELHOUSE/vllm-*.whl" | head -1) || true
[ -n "$fork_whl" ] || die "no fork wheel in $WHEELHOUSE: run runpod/build_wheelhouse.sh first"
[ -f "$INVOICE_LAB_REPO/settings.ini" ] || die "no project checkout at $INVOICE_LAB_REPO: git clone it there first"
mkdir -p "$HF_HOME" "$PADDLE_PDX_CACHE_HOME" "$PIP_CACHE_DIR" "$XDG_CACHE_HOME" "$INVOICE_LAB_CACHE" "$WORKSPACE/logs"

log "venv $INVOICE_LAB_VENV from $WHEELHOUSE (offline), exactly requirements-gpu.lock"
python3 -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null || die "python3 is $(python3 -V 2>&1), the lock is for CPython 3.11: use an image with Python 3.11"
[ -x "$INVOICE_LAB_VENV/bin/python" ] || python3 -m venv "$INVOICE_LAB_VENV"
pip_off=("$INVOICE_LAB_VENV/bin/pip" install -q --no-index --find-links "$WHEELHOUSE")
"${pip_off[@]}" -r "$HERE/requirements-gpu.lock"
"${pip_off[@]}" --no-deps "$fork_whl"                                        # its requirements are in the lock
"${pip_off[@]}" --no-deps --force-reinstall -c "$HERE/requirements-gpu.lock" opencv-python-headless   # cv2 from headless, not paddlex's opencv-contrib-python
"${pip_off[@]}" --no-deps --no-build-isolation -e "$INVOICE_LAB_REPO"           # the pod's checkout (Serverless: the worker image, runpod/Dockerfile)
if "$INVOICE_LAB_VENV/bin/pip" show -q onnxruntime 2>/dev/null; then die "CPU onnxruntime got into $INVOICE_LAB_VENV: it shares onnxruntime/ with onnxruntime-gpu"; fi
"$INVOICE_LAB_VENV/bin/python" -m ipykernel install --sys-prefix --name invoice-lab --display-name "invoice-lab (GPU)" >/dev/null

log "TILT weights -> $INVOICE_LAB_TILT_MODEL"
HF_HUB_OFFLINE=0 "$INVOICE_LAB_VENV/bin/python" - "$INVOICE_LAB_TILT_MODEL" <<'PY'
import sys
from huggingface_hub import snapshot_download
snapshot_download('Snowflake/snowflake-arctic-tilt-v1.3', local_dir=sys.argv[1])
PY

log "OCR engines (model files built or fetched once into the volume's caches)"
HF_HUB_OFFLINE=0 "$INVOICE_LAB_VENV/bin/python" - <<'PY'
from invoice_lab.ocr import engine_names, get_engine
for name in ('rapidocr', 'paddleocr'):
    if name in engine_names(): get_engine(name); print('ready:', name)
    else: print('not available in this invoice_lab version:', name)
PY

if [ "${WITH_PADDLE_GPU:-0}" = 1 ]; then
  [ -d "$WHEELHOUSE/paddle" ] || die "no $WHEELHOUSE/paddle: run WITH_PADDLE_GPU=1 runpod/build_wheelhouse.sh"
  log "second venv $PADDLE_VENV (native paddlepaddle-gpu)"
  [ -x "$PADDLE_VENV/bin/python" ] || python3 -m venv "$PADDLE_VENV"
  "$PADDLE_VENV/bin/pip" install -q --no-index --find-links "$WHEELHOUSE/paddle" paddlepaddle-gpu paddleocr
fi

log "versions -> $WORKSPACE/STACK.txt"
{
  echo "# written by runpod/setup_volume.sh $(date -u +%FT%TZ)"
  echo "gpu: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1 || echo none)"
  echo "fork wheel: $(basename "$fork_whl")"
  echo "fork commit: $(git -C "$WORKSPACE/src/arctic-tilt" rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "invoice_lab: $(git -C "$INVOICE_LAB_REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "tilt weights: $INVOICE_LAB_TILT_MODEL ($(du -sh "$INVOICE_LAB_TILT_MODEL" | cut -f1))"
  "$INVOICE_LAB_VENV/bin/python" -V
  "$INVOICE_LAB_VENV/bin/pip" freeze --exclude-editable
} > "$WORKSPACE/STACK.txt.tmp"
mv "$WORKSPACE/STACK.txt.tmp" "$WORKSPACE/STACK.txt"
log "done; every pod start: bash $HERE/bootstrap.sh"
