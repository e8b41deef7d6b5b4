"""The line-item check of `normalize.run_checks` can fail: a mutant that always reports `ok` (or checks the wrong target) is caught."""
import pytest
from invoice_lab.contract import FIELDS, Field, LineItem, Result
from invoice_lab.normalize import run_checks


def result(amounts, **values) -> Result:
    fields = {k: None for k in FIELDS}
    fields.update({k: Field(raw=v, value=v, confidence=0.9) for k, v in values.items()})
    return Result(source='t.pdf', pages=1, fields=fields, line_items=[LineItem(description=f'item {i}', amount=a) for i, a in enumerate(amounts)])


def line_check(res):
    return {c.name: c for c in run_checks(res)}


@pytest.mark.parametrize('amounts, ok', [(['4.00', '6.00'], True), (['4.00', '5.00'], False), (['10.01'], True), (['10.02'], False)])
def test_sum_against_subtotal(amounts, ok):
    res = result(amounts, subtotal='10.00', tax='1.90', total='11.90')
    c = line_check(res)['line_items_sum_equals_subtotal']
    assert c.ok is ok, c.detail
    assert (res.fields['subtotal'].confidence < 0.9) is not ok
    assert 'line_items_sum_equals_total' not in line_check(res)


@pytest.mark.parametrize('amounts, ok', [(['2.50', '2.50'], True), (['2.50', '2.60'], False)])
def test_sum_against_total_without_subtotal_or_tax(amounts, ok):
    c = line_check(result(amounts, total='5.00'))['line_items_sum_equals_total']
    assert c.ok is ok and c.detail == f"2 line items sum to {sum(map(float, amounts)):.2f}; total 5.00"


def test_no_check_without_a_target():
    "With a tax but no subtotal, the items (net) cannot be compared with the total (gross)"
    assert not [n for n in line_check(result(['1.00'], tax='0.19', total='1.19')) if n.startswith('line_items')]
