"""The GPU stack's checks in one Python process (bootstrap.sh, every pod start): torch with CUDA, onnxruntime-gpu with a
working CUDAExecutionProvider (and no CPU onnxruntime beside it), the Arctic-TILT fork, invoice_lab. Prints one
`ok ...` line per check; the first failure prints `FAILED: <what>: <how to fix>` and exits 1.
`--cpu`: only the invoice_lab import (the CPU dry run)."""
import sys, time


def ok(msg): print(f'ok  {msg}', flush=True)


def fail(what, e, fix=''):
    last = (f'{type(e).__name__}: {e}' if isinstance(e, BaseException) else str(e)).strip().splitlines()[-1]
    print(f'FAILED: {what}: {last}' + (f' -- {fix}' if fix else ''), flush=True)
    sys.exit(1)


def check_torch():
    try:
        import torch
        assert torch.cuda.is_available(), 'torch sees no CUDA device'
    except Exception as e: fail('torch + CUDA check failed', e)
    ok(f'torch {torch.__version__} CUDA {torch.version.cuda}')


def check_onnxruntime():
    "onnxruntime-gpu alone in its folder, and a session that really runs on the GPU (the provider list names CUDA even when cuDNN cannot load)"
    try:
        from importlib.metadata import distributions
        from pathlib import Path
        import onnxruntime as ort
        site = Path(ort.__file__).parent.parent
        owners = sorted({d.metadata['Name'].lower() for d in distributions(path=[str(site)]) if d.metadata['Name'].lower().startswith('onnxruntime')})
    except Exception as e: fail('onnxruntime is not importable', e, 'reinstall the venv from runpod/requirements-gpu.lock (runpod/setup_volume.sh)')
    if owners != ['onnxruntime-gpu']:
        fail('onnxruntime/ does not come from onnxruntime-gpu alone', f'installed in {site}: {", ".join(owners)}',
             'the CPU build shares the folder: reinstall the venv from runpod/requirements-gpu.lock (runpod/setup_volume.sh)')
    try:
        import rapidocr
        from invoice_lab.ocr import ocr_device
        dev = ocr_device()
        assert dev != 'cpu', 'INVOICE_LAB_OCR_DEVICE is cpu on a GPU pod (runpod/env.sh sets gpu:0)'
        model = Path(rapidocr.__file__).parent/'models'/'PP-OCRv6_rec_small.onnx'
        sess = ort.InferenceSession(str(model), providers=[('CUDAExecutionProvider', {'device_id': int(dev[4:])})])
        assert sess.get_providers()[0] == 'CUDAExecutionProvider', f'the session fell back to {sess.get_providers()}: CUDA/cuDNN did not load'
    except Exception as e:
        fail('onnxruntime has no working CUDAExecutionProvider', e, "OCR would run on the CPU; check torch's nvidia-* wheels and `pip show onnxruntime-gpu`")
    ok(f'onnxruntime-gpu {ort.__version__} CUDAExecutionProvider on {dev}')


def check_fork():
    try:
        import vllm, vllm.multimodal.tilt_processor, vllm.tilt.scheduler  # noqa: F401
    except Exception as e:
        fail('the Arctic-TILT vLLM fork is not importable', e, 'run runpod/build_wheelhouse.sh, then runpod/setup_volume.sh')
    ok(f'vLLM fork {vllm.__version__}')


def check_invoice_lab():
    try:
        import invoice_lab, invoice_lab.tilt  # noqa: F401
    except Exception as e:
        fail('import invoice_lab failed', e, 'run runpod/setup_volume.sh (installs the checkout into the venv)')
    ok(f'invoice_lab {invoice_lab.__version__}')


if __name__ == '__main__':
    t0 = time.perf_counter()
    checks = [check_invoice_lab] if '--cpu' in sys.argv else [check_torch, check_onnxruntime, check_fork, check_invoice_lab]
    for c in checks: c()
    ok(f'imports took {time.perf_counter() - t0:.1f} s in one process')
