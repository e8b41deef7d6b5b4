"""Fuzz the API in-process: schemathesis over the OpenAPI schema, then our own hostile documents (broken and crafted
PDFs, e-invoice XML attacks, odd images, odd multipart; `tests/hostile.py`). Counts every case and every 5xx.

    nice -n 10 .venv/bin/python experiments/fuzz_api.py --schema 800 --hostile 1500   # -> experiments/fuzz_api.json
"""
import argparse, json, sys, time
from collections import Counter
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tests'))
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from hostile import hostile_request
from invoice_lab.api import ApiSettings, create_app

KEY = 'fuzz-key'
SETTINGS = ApiSettings(api_key=KEY, max_bytes=2_000_000, max_pages=5, workers=2)   # the default 120 s time limit


def server_error(status: int, body: bytes) -> bool:
    "A 5xx, except the documented 503 for an OCR engine this machine lacks"
    if status < 500: return False
    try: return not (status == 503 and json.loads(body)['error']['code'] == 'engine_unavailable')
    except (ValueError, KeyError, TypeError): return True


class Tally:
    "Statuses and server errors of the cases run so far"
    def __init__(self): self.status, self.errors, self.n = Counter(), [], 0
    def add(self, source: str, status: int, body: bytes, what: str):
        self.n += 1; self.status[f'{source} {status}'] += 1
        if server_error(status, body): self.errors.append({'source': source, 'status': status, 'case': what[:300], 'body': body[:300].decode(errors='replace')})


def fuzz_hostile(client, n: int, tally: Tally, rng_seed: int = 0, chunk: int = 250):
    "`n` requests drawn from `hostile_request`, in runs of `chunk` with their own seeds"
    start = tally.n
    for k in range(1000):
        todo = n - (tally.n - start)
        if todo <= 0: break
        @seed(rng_seed * 1000 + k)
        @settings(max_examples=min(chunk, todo), deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(hostile_request())
        def one(req):
            r = client.request(**{**req, 'headers': {**req['headers'], 'X-API-Key': KEY}})
            tally.add('hostile', r.status_code, r.content, f"{req['url']} {req['params']} {req['headers']} {req['content'][:120]!r}")
        one()


def fuzz_schema(app, n: int, tally: Tally, rng_seed: int = 0):
    "About `n` schemathesis cases, spread over the operations of the OpenAPI schema (valid and invalid data)"
    schemathesis.serializer.alias(['application/pdf', 'image/tiff', 'image/bmp'], 'application/octet-stream')
    schema = schemathesis.openapi.from_asgi('/openapi.json', app, headers={'X-API-Key': KEY})
    ops = [r.ok() for r in schema.get_all_operations()]
    for op in ops:
        for mode in ('positive', 'negative'):
            strategy = op.as_strategy(generation_mode=schemathesis.GenerationMode(mode))
            @seed(rng_seed)
            @settings(max_examples=max(1, n // (2 * len(ops))), deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(strategy)
            def one(case):
                r = case.call(headers={'X-API-Key': KEY}, timeout=600)   # the server's own limit (120 s) decides, not the client
                tally.add(f'schema-{mode}', r.status_code, r.content, f'{case.method} {case.path} {case.query} {str(case.body)[:120]}')
            try: one()
            except Unsatisfiable: pass  # no invalid input exists for an operation without parameters (GET /healthz)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--schema', type=int, default=800, help='schemathesis cases (about)')
    ap.add_argument('--hostile', type=int, default=1500, help='hostile-document cases')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', default=str(ROOT/'experiments'/'fuzz_api.json'))
    a = ap.parse_args()
    app, tally, t0 = create_app(SETTINGS, warm=False), Tally(), time.perf_counter()
    with TestClient(app, raise_server_exceptions=False) as client:
        if a.schema: fuzz_schema(app, a.schema, tally, a.seed)
        n_schema = tally.n
        if a.hostile: fuzz_hostile(client, a.hostile, tally, a.seed)
    res = {'cases': tally.n, 'schema_cases': n_schema, 'hostile_cases': tally.n - n_schema, 'server_errors': len(tally.errors),
           'seconds': round(time.perf_counter() - t0, 1), 'seed': a.seed, 'statuses': dict(sorted(tally.status.items())),
           'errors': tally.errors[:50]}
    Path(a.out).write_text(json.dumps(res, indent=1) + '\n')
    print(f"{'source status':28}{'count':>8}")
    for k, v in res['statuses'].items(): print(f'{k:28}{v:8}')
    print(f"cases {res['cases']} (schema {n_schema}, hostile {res['hostile_cases']}), server errors {res['server_errors']}, "
          f"{res['seconds']} s -> {a.out}")
    return 1 if tally.errors else 0


if __name__ == '__main__': sys.exit(main())
