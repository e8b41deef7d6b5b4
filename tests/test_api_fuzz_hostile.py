"""A small run of the fuzz in `experiments/fuzz_api.py` (which runs thousands): 100 hostile requests, none may give a 5xx."""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'experiments'))
from fastapi.testclient import TestClient
from fuzz_api import SETTINGS, Tally, fuzz_hostile
from invoice_lab.api import create_app


def test_hostile_documents_give_no_server_error(tmp_path, monkeypatch):
    monkeypatch.setenv('INVOICE_LAB_CACHE', str(tmp_path))
    tally = Tally()
    with TestClient(create_app(SETTINGS, warm=False), raise_server_exceptions=False) as c: fuzz_hostile(c, 100, tally, rng_seed=7)
    assert tally.n == 100 and tally.errors == [], tally.errors[:3]
    assert len({k.split()[1] for k in tally.status}) >= 3, tally.status   # the cases reach several outcomes, not one error path
