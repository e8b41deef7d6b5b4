#!/usr/bin/env bash
# Every pod start (installs nothing), run beside the image's /start.sh (sshd, env for SSH sessions; see
# runpod/pod_template.json): checks the stack on the network volume (torch + CUDA, onnxruntime-gpu with a working
# CUDAExecutionProvider, the TILT fork, invoice_lab: runpod/check_stack.py, one Python process), starts JupyterLab
# with the invoice-lab kernel and the autostop timer, then prints the container's age and "Ready".
# Any failed check exits non-zero with one line saying what is wrong and what to run.
# INVOICE_LAB_BOOTSTRAP_CPU=1: CPU dry run (CI, timing): skips the GPU, torch, onnxruntime, fork, JupyterLab and autostop steps.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
start=$(date +%s%N)
die() { echo "bootstrap: FAILED: $*" >&2; exit 1; }
ok() { echo "bootstrap: ok  $*"; }
cpu_mode() { [ "${INVOICE_LAB_BOOTSTRAP_CPU:-0}" = 1 ]; }

: "${WORKSPACE:=/workspace}"
[ -d "$WORKSPACE" ] || die "$WORKSPACE does not exist: attach the network volume to this pod (mounted at /workspace)"
# shellcheck source=env.sh
source "$HERE/env.sh"
cd "$WORKSPACE"   # imports below must come from the venv, not from the current directory
[ -f "$INVOICE_LAB_VENV/bin/activate" ] || die "no venv at $INVOICE_LAB_VENV: run runpod/setup_volume.sh once on this volume"
set +u
# shellcheck disable=SC1091
source "$INVOICE_LAB_VENV/bin/activate"
set -u
ok "venv $INVOICE_LAB_VENV"

if ! cpu_mode; then
  command -v nvidia-smi >/dev/null || die "nvidia-smi not found: this is not a GPU pod (or the NVIDIA driver is not mounted)"
  gpu=$(nvidia-smi --query-gpu=name,memory.free,memory.total --format=csv,noheader,nounits 2>&1) \
    || die "nvidia-smi failed: $gpu"
  ok "GPU ${gpu%%,*}: $(echo "$gpu" | head -1 | cut -d, -f2 | tr -d ' ') MiB free of $(echo "$gpu" | head -1 | cut -d, -f3 | tr -d ' ') MiB"
fi

if [ ! -f "$INVOICE_LAB_TILT_MODEL/config.json" ] || ! compgen -G "$INVOICE_LAB_TILT_MODEL/*.safetensors" >/dev/null; then
  die "TILT weights missing in $INVOICE_LAB_TILT_MODEL (config.json + *.safetensors): run runpod/setup_volume.sh"
fi
ok "TILT weights $INVOICE_LAB_TILT_MODEL"
stack_args=(); if cpu_mode; then stack_args=(--cpu); fi   # torch, onnxruntime-gpu, the fork, invoice_lab: one process
if out=$(python "$HERE/check_stack.py" "${stack_args[@]}" 2>&1); then st=0; else st=$?; fi
grep '^ok ' <<<"$out" | sed 's/^/bootstrap: /' || true
if [ "$st" != 0 ]; then
  why=$(sed -n 's/^FAILED: //p' <<<"$out" | tail -1)
  die "${why:-runpod/check_stack.py exited $st: $(tail -1 <<<"$out")}"
fi

if ! cpu_mode; then
  jupyter kernelspec list 2>/dev/null | grep -q '^ *invoice-lab ' \
    || die "the invoice-lab Jupyter kernel is not installed in the venv: run runpod/setup_volume.sh"
  token_file="$WORKSPACE/.jupyter_token"
  if [ ! -s "$token_file" ]; then
    (umask 077; python -c 'import secrets; print(secrets.token_hex(24))' > "$token_file.tmp") && mv "$token_file.tmp" "$token_file"
  fi
  token=$(cat "$token_file")
  mkdir -p "$WORKSPACE/logs"
  if ! curl -sf "http://127.0.0.1:$JUPYTER_PORT/api/status?token=$token" >/dev/null 2>&1; then
    nohup jupyter lab --ip=0.0.0.0 --port="$JUPYTER_PORT" --no-browser --allow-root --ServerApp.token="$token" \
      --ServerApp.root_dir="$WORKSPACE" --MappingKernelManager.default_kernel_name=invoice-lab \
      >"$WORKSPACE/logs/jupyter.log" 2>&1 &
    for _ in $(seq 60); do
      curl -sf "http://127.0.0.1:$JUPYTER_PORT/api/status?token=$token" >/dev/null 2>&1 && break
      sleep 0.5
    done
    curl -sf "http://127.0.0.1:$JUPYTER_PORT/api/status?token=$token" >/dev/null 2>&1 \
      || die "JupyterLab did not answer on port $JUPYTER_PORT within 30 s: see $WORKSPACE/logs/jupyter.log"
  fi
  ok "JupyterLab https://${RUNPOD_POD_ID:-localhost}-$JUPYTER_PORT.proxy.runpod.net/lab?token=$token"
  grep -qs "runpod/env.sh" ~/.bashrc || echo "source '$HERE/env.sh' && source '$INVOICE_LAB_VENV/bin/activate'" >> ~/.bashrc
  if [ -n "${RUNPOD_POD_ID:-}" ]; then
    nohup "$HERE/autostop.sh" start >>"$WORKSPACE/logs/autostop.log" 2>&1 &
    ok "autostop: idle ${AUTOSTOP_IDLE_MIN:-30} min / hard ${AUTOSTOP_HARD_MIN:-240} min (cancel: runpod/autostop.sh cancel)"
  else
    echo "bootstrap: note: RUNPOD_POD_ID is not set (not on a pod): autostop not started"
  fi
fi

took=$(( ($(date +%s%N) - start) / 1000000 ))
since=$(ps -o etimes= -p 1 2>/dev/null | tr -d ' ') || since='?'
# PID 1 starts with the container: scheduling and the image pull come before it (`invoice-lab pod status` has the pod's uptime)
echo "bootstrap: checks took ${took} ms; container up ${since} s (not counting scheduling and the image pull)"
echo "Ready"
