"""RunPod Serverless worker: the invoice_lab pipeline, one document per job, models and caches on the network volume.

Job input, either the document itself or a file on the volume:
    {"document_b64": "<base64>", "name": "receipt.jpg", "fields": ["total", "date"], "pages": 50}
    {"path": "/runpod-volume/inbox/receipt.jpg"}
`fields` (default: all) limits the fields reported, `pages` is the most pages a document may have (default 50, as
the API), and "ocr" (auto, rapidocr, paddleocr, ...), "extractor" (cpu, tilt) and "use_xml" (default true) are optional.
Output: the result contract (`Result` as JSON). A document that cannot be read fails the job with
{"error": "<code>: <message>"} (codes as in invoice_lab.core: corrupt, unsupported, too_large, ...).

Environment: Serverless mounts the network volume at /runpod-volume (`INVOICE_LAB_VOLUME` to change it), and a
worker runs `python handler.py` without a shell, so the variables runpod/env.sh gives a pod are set here, in Python,
before invoice_lab is imported; whatever the endpoint's own env sets wins.

Local runs on CPU, from runpod/serverless/ (the runpod SDK's local modes):
    python handler.py --test_input '{"input": {"path": "../../invoice_lab/assets/samples/receipt.jpg"}}'
    python handler.py --rp_serve_api --rp_api_host 127.0.0.1 --rp_api_port 8010   # /run, /runsync, /status like RunPod
"""
import base64, binascii, os
from pathlib import Path

VOLUME = os.environ.get('INVOICE_LAB_VOLUME', '/runpod-volume')
MAX_PAGES = 50


def volume_env(volume: str) -> dict:
    "What runpod/env.sh exports on a pod whose volume is at `volume` (tests/test_runpod_serverless.py keeps the two equal)"
    c = f'{volume}/.cache'
    return {'WORKSPACE': volume, 'INVOICE_LAB_TILT_MODEL': f'{volume}/models/snowflake-arctic-tilt-v1.3',
            'INVOICE_LAB_DATA': f'{volume}/data', 'HF_HOME': f'{c}/huggingface', 'PADDLE_PDX_CACHE_HOME': f'{c}/paddlex',
            'XDG_CACHE_HOME': f'{c}/xdg', 'INVOICE_LAB_CACHE': f'{c}/invoice_lab', 'HF_HUB_OFFLINE': '1',
            'PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK': 'True', 'VLLM_ATTENTION_BACKEND': 'XFORMERS', 'INVOICE_LAB_OCR_DEVICE': 'gpu:0'}


if Path(VOLUME).is_dir():
    for k, v in volume_env(VOLUME).items(): os.environ.setdefault(k, v)

import runpod  # noqa: E402  (after the environment: HF_HOME etc. are read at import time)
from invoice_lab.core import InvoiceLabError  # noqa: E402
from invoice_lab.pipeline import extract  # noqa: E402


def handler(job: dict) -> dict:
    "One job → the result contract of its document, or {'error': 'code: message'}"
    inp = job.get('input') or {}
    try:
        opts = dict(ocr=inp.get('ocr', 'auto'), extractor=inp.get('extractor', 'cpu'), use_xml=bool(inp.get('use_xml', True)),
                    fields=inp.get('fields'), max_pages=int(inp.get('pages') or MAX_PAGES))
        if inp.get('document_b64'):
            data = base64.b64decode(inp['document_b64'], validate=True)
            res = extract(data, name=inp.get('name') or 'upload', **opts)
        elif inp.get('path'):
            p = Path(inp['path'])
            if not p.is_file(): return {'error': f'not_found: no file {p}'}
            res = extract(p, **opts)
        else: return {'error': 'bad_input: give "document_b64" (and "name"), or "path" of a file on the volume'}
    except binascii.Error: return {'error': 'bad_input: document_b64 is not valid base64'}
    except InvoiceLabError as e: return {'error': f'{e.code}: {e}'}
    except (ValueError, TypeError) as e: return {'error': f'bad_input: {e}'}   # unknown OCR engine, extractor or field
    return res.model_dump(mode='json')


if __name__ == '__main__':
    runpod.serverless.start({'handler': handler})
