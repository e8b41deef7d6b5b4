# shellcheck shell=bash
# Where everything lives on a pod: sourced by every runpod/*.sh and by JupyterLab terminals (bootstrap adds it to ~/.bashrc).
# Pods mount the network volume at /workspace. Serverless workers (/runpod-volume) run `python handler.py` without a shell:
# serverless/handler.py sets the same variables in Python (tests/test_runpod_serverless.py keeps the two equal).
: "${WORKSPACE:=/workspace}"
export WORKSPACE
export INVOICE_LAB_REPO="${INVOICE_LAB_REPO:-$WORKSPACE/invoice_lab}"      # the git checkout
export INVOICE_LAB_VENV="${INVOICE_LAB_VENV:-$WORKSPACE/venv-tilt}"        # torch 2.6 + the TILT fork + onnxruntime-gpu + invoice_lab
export PADDLE_VENV="${PADDLE_VENV:-$WORKSPACE/venv-paddle}"                # optional: native paddlepaddle-gpu (clashes with torch 2.6)
export TILT_REPO="${TILT_REPO:-https://github.com/Snowflake-Labs/arctic-tilt}"   # the Arctic-TILT fork of vLLM 0.8.3
export TILT_COMMIT="${TILT_COMMIT:-4aff3bb99ffd9b33aaa40bbcff721edda0d898bf}"      # the commit lock.sh and build_wheelhouse.sh use
export WHEELHOUSE="${WHEELHOUSE:-$WORKSPACE/wheelhouse-gpu}"
export INVOICE_LAB_TILT_MODEL="${INVOICE_LAB_TILT_MODEL:-$WORKSPACE/models/snowflake-arctic-tilt-v1.3}"
export INVOICE_LAB_DATA="${INVOICE_LAB_DATA:-$WORKSPACE/data}"
# Every cache on the volume, so nothing is downloaded twice and the container disk stays small.
export HF_HOME="$WORKSPACE/.cache/huggingface"
export PADDLE_PDX_CACHE_HOME="$WORKSPACE/.cache/paddlex"
export PIP_CACHE_DIR="$WORKSPACE/.cache/pip"
export XDG_CACHE_HOME="$WORKSPACE/.cache/xdg"
export INVOICE_LAB_CACHE="$WORKSPACE/.cache/invoice_lab"
export MLFLOW_TRACKING_URI="${MLFLOW_TRACKING_URI:-sqlite:///$WORKSPACE/mlflow.db}"
# Offline at run time: the weights and models are on the volume (setup_volume.sh sets these to 0 while downloading).
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}"
export PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK=True
export VLLM_ATTENTION_BACKEND=XFORMERS
export INVOICE_LAB_OCR_DEVICE="${INVOICE_LAB_OCR_DEVICE:-gpu:0}"   # rapidocr / PaddleOCR on onnxruntime-gpu (bootstrap checks CUDA)
export JUPYTER_PORT="${JUPYTER_PORT:-8888}"
export INVOICE_LAB_API_PORT="${INVOICE_LAB_API_PORT:-8000}"

# The project's runtime requirements for the GPU venv: settings.ini's, minus `onnxruntime` (onnxruntime-gpu replaces it).
invoice_lab_requirements() {
  python3 - "$1/settings.ini" <<'PY'
import configparser, re, sys
c = configparser.ConfigParser(); c.read(sys.argv[1]); d = c['DEFAULT']
for r in (d['requirements'] + ' ' + d.get('pod_requirements', '')).split():
    if re.split(r'[<>=!~;\[]', r)[0].lower() != 'onnxruntime': print(r)
PY
}
