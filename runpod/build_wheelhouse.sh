#!/usr/bin/env bash
# Once per volume: builds a wheel of the Arctic-TILT vLLM fork at TILT_COMMIT and fetches every other wheel of the GPU
# venv, exactly as pinned in requirements-gpu.lock (no resolution: `pip wheel --no-deps`), into $WHEELHOUSE.
# Needs network, a CUDA 12.4 *devel* image (nvcc) and ~1-2 h of compiling; no GPU: a CPU pod is cheaper for this.
# After this, setup_volume.sh and every pod start work offline from the volume.
#   TORCH_CUDA_ARCH_LIST  GPU architectures to compile kernels for (default "8.0 8.6 8.9 9.0": A100; A5000/A40/3090;
#                         L4/L40S/4090; H100); each one adds compile time, a missing one fails with "no kernel image"
#   MAX_JOBS              parallel compile jobs (default: the container's CPU quota, at most one job per 4 GiB of its
#                         memory limit; nproc and /proc/meminfo report the host's, which runs out of memory)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"
export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-8.0 8.6 8.9 9.0}
src="$WORKSPACE/src/arctic-tilt"
build_venv="$WORKSPACE/.build-venv"
die() { echo "build_wheelhouse: FAILED: $*" >&2; exit 1; }
log() { echo "build_wheelhouse: $(date -u +%T) $*"; }

cgroup_cpus() {   # CPUs this container may use: cgroup v2 cpu.max, v1 cfs quota, else nproc
  local q p
  if [ -r "${CGROUP_ROOT:-/sys/fs/cgroup}/cpu.max" ]; then
    read -r q p < "${CGROUP_ROOT:-/sys/fs/cgroup}/cpu.max"
  elif [ -r "${CGROUP_ROOT:-/sys/fs/cgroup}/cpu/cpu.cfs_quota_us" ]; then
    q=$(cat "${CGROUP_ROOT:-/sys/fs/cgroup}/cpu/cpu.cfs_quota_us"); p=$(cat "${CGROUP_ROOT:-/sys/fs/cgroup}/cpu/cpu.cfs_period_us")
  fi
  if [ -n "${q:-}" ] && [ "$q" != max ] && [ "$q" -gt 0 ]; then echo $(( (q + p - 1) / p )); else nproc; fi
}

cgroup_mem_gib() {   # memory this container may use, GiB: cgroup v2 memory.max, v1 limit, else MemTotal
  local m="" host
  host=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) * 1024 ))
  if [ -r "${CGROUP_ROOT:-/sys/fs/cgroup}/memory.max" ]; then m=$(cat "${CGROUP_ROOT:-/sys/fs/cgroup}/memory.max")
  elif [ -r "${CGROUP_ROOT:-/sys/fs/cgroup}/memory/memory.limit_in_bytes" ]; then m=$(cat "${CGROUP_ROOT:-/sys/fs/cgroup}/memory/memory.limit_in_bytes"); fi
  if [ -z "$m" ] || [ "$m" = max ] || [ "$m" -gt "$host" ]; then m=$host; fi
  echo $(( m / 1024 / 1024 / 1024 ))
}

max_jobs() {   # min(CPU quota, memory / 4 GiB), at least 1: nvcc on vLLM's kernels takes ~2-4 GiB a job
  local c m
  c=$(cgroup_cpus); m=$(( $(cgroup_mem_gib) / 4 ))
  (( m < c )) && c=$m
  (( c < 1 )) && c=1
  echo "$c"
}
MAX_JOBS=${MAX_JOBS:-$(max_jobs)}
export MAX_JOBS
[ "${1:-}" = --print-jobs ] && { echo "MAX_JOBS=$MAX_JOBS TORCH_CUDA_ARCH_LIST=$TORCH_CUDA_ARCH_LIST"; exit 0; }

command -v nvcc >/dev/null || die "nvcc not found: use a CUDA 12.4 *devel* image (e.g. runpod/pytorch:*-cuda12.4.1-devel-*) for this one-off build; no GPU needed"
command -v git >/dev/null || die "git not found"
[ -f "$HERE/requirements-gpu.lock" ] || die "no $HERE/requirements-gpu.lock: run runpod/lock.sh"
mkdir -p "$WHEELHOUSE" "$WORKSPACE/src" "$WORKSPACE/logs"

log "fork $TILT_REPO @ $TILT_COMMIT"
[ -d "$src/.git" ] || git clone --filter=blob:none "$TILT_REPO" "$src"
git -C "$src" fetch --quiet origin "$TILT_COMMIT" || true
git -C "$src" checkout --quiet "$TILT_COMMIT" || die "commit $TILT_COMMIT not found in $TILT_REPO"

log "build venv: the fork's build requirements, the lock's versions where it pins them (torch 2.6.0)"
[ -x "$build_venv/bin/python" ] || python3 -m venv "$build_venv"
"$build_venv/bin/pip" install -q --upgrade pip
"$build_venv/bin/pip" install -q -c "$HERE/requirements-gpu.lock" -r "$src/requirements/build.txt"

if compgen -G "$WHEELHOUSE/vllm-*.whl" >/dev/null; then
  log "fork wheel already built: $(basename "$(compgen -G "$WHEELHOUSE/vllm-*.whl" | head -1)")"
else
  log "compiling the fork (arch $TORCH_CUDA_ARCH_LIST, $MAX_JOBS jobs; log: $WORKSPACE/logs/build_fork.log)"
  (cd "$src" && "$build_venv/bin/pip" wheel --no-build-isolation --no-deps -w "$WHEELHOUSE.tmp" . ) \
    >"$WORKSPACE/logs/build_fork.log" 2>&1 || die "fork build failed: see $WORKSPACE/logs/build_fork.log"
  mv "$WHEELHOUSE.tmp"/vllm-*.whl "$WHEELHOUSE/" && rmdir "$WHEELHOUSE.tmp"
fi

log "the rest of the GPU venv, as locked (wheels for linux x86_64 / CPython 3.11; sdists built here)"
"$build_venv/bin/pip" wheel -q --no-deps -w "$WHEELHOUSE" -r "$HERE/requirements-gpu.lock"
# PaddleOCR's optional native engine, for a second venv (paddlepaddle-gpu is on Paddle's own index, cu126 build)
if [ "${WITH_PADDLE_GPU:-0}" = 1 ]; then
  "$build_venv/bin/pip" download -q -d "$WHEELHOUSE/paddle" "paddlepaddle-gpu==${PADDLE_GPU_VERSION:-3.2.0}" paddleocr==3.7.0 \
    -i https://www.paddlepaddle.org.cn/packages/stable/cu126/ --extra-index-url https://pypi.org/simple
fi
log "done: $(find "$WHEELHOUSE" -name '*.whl' | wc -l) wheels, $(du -sh "$WHEELHOUSE" | cut -f1) in $WHEELHOUSE"
