#!/usr/bin/env bash
# Once per volume, on a GPU pod (needs network, nvcc and ~1-2 h for the kernels): builds a wheel of the
# Arctic-TILT vLLM fork at a pinned commit and downloads every other wheel of the GPU venv into $WHEELHOUSE.
# After this, setup_volume.sh and every pod start work offline from the volume.
#   TILT_COMMIT      the fork's commit to build (default below: the commit this project was written against)
#   TORCH_CUDA_ARCH_LIST  GPU architectures to compile for (default 8.6 = A5000/A40/3090; add 8.0 A100, 8.9 L4/4090)
#   MAX_JOBS         parallel compile jobs (default: nproc; lower it if the build runs out of RAM)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"
TILT_REPO=${TILT_REPO:-https://github.com/Snowflake-Labs/arctic-tilt}
TILT_COMMIT=${TILT_COMMIT:-4aff3bb99ffd9b33aaa40bbcff721edda0d898bf}
export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-8.6}
MAX_JOBS=${MAX_JOBS:-$(nproc)}
export MAX_JOBS
src="$WORKSPACE/src/arctic-tilt"
build_venv="$WORKSPACE/.build-venv"
die() { echo "build_wheelhouse: FAILED: $*" >&2; exit 1; }
log() { echo "build_wheelhouse: $(date -u +%T) $*"; }

command -v nvcc >/dev/null || die "nvcc not found: use a CUDA *devel* image (e.g. runpod/pytorch:*-devel) for this one-off build"
command -v git >/dev/null || die "git not found"
mkdir -p "$WHEELHOUSE" "$WORKSPACE/src" "$WORKSPACE/logs"

log "fork $TILT_REPO @ $TILT_COMMIT"
[ -d "$src/.git" ] || git clone --filter=blob:none "$TILT_REPO" "$src"
git -C "$src" fetch --quiet origin "$TILT_COMMIT" || true
git -C "$src" checkout --quiet "$TILT_COMMIT" || die "commit $TILT_COMMIT not found in $TILT_REPO"

log "build venv with the fork's torch and build requirements"
[ -x "$build_venv/bin/python" ] || python3 -m venv "$build_venv"
"$build_venv/bin/pip" install -q --upgrade pip
"$build_venv/bin/pip" install -q -c "$HERE/constraints-gpu.txt" -r "$src/requirements/build.txt"

if compgen -G "$WHEELHOUSE/vllm-*.whl" >/dev/null; then
  log "fork wheel already built: $(basename "$(compgen -G "$WHEELHOUSE/vllm-*.whl" | head -1)")"
else
  log "compiling the fork (arch $TORCH_CUDA_ARCH_LIST, $MAX_JOBS jobs; log: $WORKSPACE/logs/build_fork.log)"
  (cd "$src" && "$build_venv/bin/pip" wheel --no-build-isolation --no-deps -w "$WHEELHOUSE.tmp" . ) \
    >"$WORKSPACE/logs/build_fork.log" 2>&1 || die "fork build failed: see $WORKSPACE/logs/build_fork.log"
  mv "$WHEELHOUSE.tmp"/vllm-*.whl "$WHEELHOUSE/" && rmdir "$WHEELHOUSE.tmp"
fi
fork_whl=$(compgen -G "$WHEELHOUSE/vllm-*.whl" | head -1)

log "downloading the rest of the GPU stack"
"$build_venv/bin/pip" download -q -d "$WHEELHOUSE" --find-links "$WHEELHOUSE" -c "$HERE/constraints-gpu.txt" \
  "$fork_whl" -r "$HERE/requirements-gpu.txt" -r <(invoice_lab_requirements "$INVOICE_LAB_REPO")
# PaddleOCR's optional native engine, for a second venv (paddlepaddle-gpu is on Paddle's own index, cu126 build)
if [ "${WITH_PADDLE_GPU:-0}" = 1 ]; then
  "$build_venv/bin/pip" download -q -d "$WHEELHOUSE/paddle" "paddlepaddle-gpu==${PADDLE_GPU_VERSION:-3.2.0}" paddleocr==3.7.0 \
    -i https://www.paddlepaddle.org.cn/packages/stable/cu126/ --extra-index-url https://pypi.org/simple
fi
log "done: $(find "$WHEELHOUSE" -name '*.whl' | wc -l) wheels, $(du -sh "$WHEELHOUSE" | cut -f1) in $WHEELHOUSE"
