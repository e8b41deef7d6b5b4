"The bundled receipt photo end to end: the fields it prints, and none it does not."
import json
from invoice_lab import extract
from invoice_lab.synthetic import SAMPLES

def test_sample_receipt_has_its_fields_and_no_invented_invoice_number():
    res = extract(SAMPLES/'receipt.jpg')
    truth = json.loads((SAMPLES/'receipt.json').read_text())
    assert res.value('total') == truth['total'] and res.fields['vendor'].raw == truth['company']
    assert res.value('date') == '2018-09-02'
    # `NO 6,` opens the address line: the address claims it, so it is not an invoice number
    assert res.fields['invoice_number'] is None
