"The installed console script: the entry point a user types."
import json, subprocess, sys
from pathlib import Path

BIN = Path(sys.executable).parent/'invoice-lab'

def test_console_script_lists_the_contract_fields():
    out = subprocess.run([str(BIN), 'fields'], capture_output=True, text=True, check=True).stdout.split()
    from invoice_lab.contract import FIELDS
    assert out == list(FIELDS)

def test_unknown_command_fails_with_usage():
    res = subprocess.run([str(BIN), 'no-such-command'], capture_output=True, text=True)
    assert res.returncode != 0 and 'No such command' in res.stderr
