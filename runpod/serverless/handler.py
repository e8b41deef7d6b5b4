"""RunPod Serverless worker: the invoice_lab pipeline, one document per job, models from the network volume.

Job input: {"path": "<file on the volume>"} or {"file_b64": "<base64>", "filename": "receipt.jpg"},
optionally "ocr" (auto, rapidocr, paddleocr, ...), "extractor" (cpu, tilt) and "use_xml" (default true).
Output: the result contract (`invoice_lab.fields.Result` as JSON). A document that cannot be read fails the
job with {"error": "<code>: <message>"} (codes as in invoice_lab.core: corrupt, unsupported, too_large, ...).
The worker image sets WORKSPACE=/runpod-volume and sources runpod/env.sh, so every cache and model is on the volume.

Local test on CPU, from runpod/serverless/ (the runpod SDK's local mode runs one job and prints its result):
    python handler.py --test_input '{"input": {"path": "../../invoice_lab/assets/samples/receipt.jpg"}}'
"""
import base64, binascii
from pathlib import Path
import runpod
from invoice_lab.core import InvoiceLabError
from invoice_lab.pipeline import extract


def handler(job: dict) -> dict:
    "One job → the result contract of its document, or {'error': 'code: message'}"
    inp = job.get('input') or {}
    opts = dict(ocr=inp.get('ocr', 'auto'), extractor=inp.get('extractor', 'cpu'), use_xml=bool(inp.get('use_xml', True)))
    try:
        if inp.get('file_b64'):
            data = base64.b64decode(inp['file_b64'], validate=True)
            res = extract(data, name=inp.get('filename') or 'upload', **opts)
        elif inp.get('path'):
            p = Path(inp['path'])
            if not p.is_file(): return {'error': f'not_found: no file {p}'}
            res = extract(p, **opts)
        else: return {'error': 'bad_input: give "path", or "file_b64" and "filename"'}
    except binascii.Error: return {'error': 'bad_input: file_b64 is not valid base64'}
    except InvoiceLabError as e: return {'error': f'{e.code}: {e}'}
    except ValueError as e: return {'error': f'bad_input: {e}'}   # unknown OCR engine or extractor
    return res.model_dump(mode='json')


if __name__ == '__main__':
    runpod.serverless.start({'handler': handler})
