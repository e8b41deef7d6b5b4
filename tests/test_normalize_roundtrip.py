"Round trips: whatever the synthetic invoice generator prints (every language, date format, money style), normalize reads back."
from datetime import date
from decimal import Decimal
from hypothesis import given, settings, strategies as st
from invoice_lab.text import parse_date, date_hints
from invoice_lab.normalize import normalize_amount, document_currency
from invoice_lab.synthetic import LEX, LANGS, fmt_date, fmt_money

langs = st.sampled_from(LANGS)
dates = st.dates(min_value=date(1995, 1, 1), max_value=date(2035, 12, 31))
amounts = st.decimals(min_value=Decimal('-99999999.99'), max_value=Decimal('99999999.99'), places=2, allow_nan=False)

def _currency_formats(lang):
    return [(cur, fmt) for cur in LEX[lang]['currencies'] for fmt in (['%m/%d/%Y', 'long'] if cur == 'USD' else LEX[lang]['dates'])]

@settings(max_examples=400, deadline=None)
@given(lang=langs, d=dates, pick=st.integers(0, 50))
def test_every_printed_date_reads_back(lang, d, pick):
    opts = _currency_formats(lang)
    cur, fmt = opts[pick % len(opts)]
    raw = fmt_date(d, lang, fmt)
    assert parse_date(raw, {'currency': cur})[0] == d.isoformat(), (raw, cur)

@settings(max_examples=400, deadline=None)
@given(lang=langs, a=amounts, pick=st.integers(0, 50), style=st.sampled_from(['symbol', 'code', 'plain']))
def test_every_printed_amount_reads_back(lang, a, pick, style):
    cur = LEX[lang]['currencies'][pick % len(LEX[lang]['currencies'])]
    raw = fmt_money(a, lang, cur, style)
    assert normalize_amount(raw) == (f'{a:.2f}', None if style == 'plain' else cur), raw

def test_ambiguous_dates_follow_the_documents_other_dates_over_currency():
    d = date(2019, 4, 5)
    text = f"Invoice date {fmt_date(d, 'en', '%m/%d/%Y')}\nDue date {fmt_date(date(2019, 4, 19), 'en', '%m/%d/%Y')}"
    hints = date_hints(text, 'EUR')
    assert hints['order'] == 'MDY'
    assert parse_date(fmt_date(d, 'en', '%m/%d/%Y'), hints) == ('2019-04-05', 'ambiguous 04/05/2019: read month-first (other date 04/19/2019 in document)')

def test_document_currency_of_each_language_sample():
    for lang in LANGS:
        for cur in LEX[lang]['currencies']:
            assert document_currency(f"Total {fmt_money(Decimal('1234.5'), lang, cur, 'code')}")[0] == cur
