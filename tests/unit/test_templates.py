"""Reminder templates: placeholders, HTML escaping, unknown placeholders, language choice,
money and dates in the customer's language."""

import datetime as dt

import pytest

from creditdesk.domain.templates import (
    DEFAULT_TEMPLATES,
    PLACEHOLDERS,
    Line,
    Template,
    mail_locale,
    pick,
    render,
    template_problems,
    unknown_placeholders,
)

LINES = [Line("INV-1", "2026-05-01", "2026-05-31", 30, 1234.5, "PO-77"),
         Line("CN-<2>", "2026-06-01", "2026-06-01", 29, -34.5)]
VALUES = {"customer_name": "Smith & <Sons>", "currency": "EUR", "amount": 1200.0,
          "company_name": "Acme"}


def test_placeholders_match_ignoring_case_spaces_and_underscores():
    t = Template("t", "en", "{Customer Name} owes {currency} {AMOUNT}", "Hi {customer_name}")
    r = render(t, VALUES, LINES)
    # "{currency} {amount}" (templates written before amounts had their sign) reads once
    assert r.subject == "Smith & <Sons> owes €1,200.00"
    assert r.text == "Hi Smith & <Sons>"


def test_html_escapes_values_and_the_template_text():
    t = Template("t", "en", "s", "<b>Dear</b> {customer_name}\n\n{invoice_table}")
    r = render(t, VALUES, LINES)
    assert "&lt;b&gt;Dear&lt;/b&gt; Smith &amp; &lt;Sons&gt;" in r.html
    assert "CN-&lt;2&gt;" in r.html
    assert "<script" not in r.html and "<Sons>" not in r.html
    assert "<table" in r.html  # the invoice table itself is markup


def test_the_text_table_lines_up_and_shows_credit_notes():
    t = Template("t", "en", "s", "{invoice_table}")
    text = render(t, VALUES, LINES).text
    assert text.splitlines()[0].split() == ["Invoice", "Reference", "Date", "Due", "Status",
                                            "Amount"]
    assert text.splitlines()[1].split() == ["INV-1", "PO-77", "1", "May", "2026", "31", "May",
                                            "2026", "30", "days", "overdue", "€1,234.50"]
    assert text.splitlines()[2].split()[7:] == ["credit", "note", "-€34.50"]
    widths = {len(line) for line in text.splitlines()}
    assert len(widths) == 1  # the amounts are right-aligned


def test_invoices_not_yet_due_are_listed_apart_and_not_asked_for():
    t = Template("t", "en", "s", "{invoice_table}")
    lines = [*LINES, Line("INV-9", "2026-06-20", "2026-07-03", -3, 500.0)]
    text = render(t, VALUES, lines).text
    head, soon = text.split("Falling due soon (not included above): €500.00")
    assert "INV-9" not in head and "due in 3 days" in soon
    assert "Falling due soon" not in render(t, VALUES, lines, claim_all=True).text


def test_a_subject_never_keeps_a_line_break():
    t = Template("t", "en", "Re: {customer_name}", "b")
    r = render(t, {"customer_name": "Evil\r\nBcc: x@y.z"}, [])
    assert "\n" not in r.subject and "\r" not in r.subject


def test_an_unknown_placeholder_is_reported_with_the_template_name_and_left_visible():
    t = Template("first_reminder", "de", "{betrag}", "Hallo {customer_name} {Kunde Nr}")
    problems = template_problems(t)
    assert [c for c, _ in problems] == ["Subject", "Body"]
    assert "template 'first_reminder' (de): unknown placeholder {betrag}" in problems[0][1]
    assert render(t, VALUES, []).subject == "{betrag}"


def test_doubled_braces_are_literal_braces():
    t = Template("t", "en", "{{not a placeholder}}", "x")
    assert unknown_placeholders(t.subject) == []
    assert render(t, VALUES, []).subject == "{not a placeholder}"


def test_the_customers_language_is_picked_then_english_then_any():
    ts = [Template("r", "en", "E", ""), Template("r", "de", "D", ""),
          Template("only_fr", "fr", "F", "")]
    assert pick(ts, "R", "de").subject == "D"
    assert pick(ts, "r", "es").subject == "E"
    assert pick(ts, "only_fr", "de").subject == "F"
    assert pick(ts, "missing", "en") is None


def test_the_built_in_templates_use_only_known_placeholders():
    for t in DEFAULT_TEMPLATES:
        assert template_problems(t) == [], t.name
    assert "invoice_table" in PLACEHOLDERS


def test_no_reference_column_when_no_invoice_has_one():
    t = Template("t", "en", "s", "{invoice_table}")
    text = render(t, VALUES, [Line("INV-1", "2026-05-01", "2026-05-31", 3, 10.0)]).text
    assert text.splitlines()[0].split() == ["Invoice", "Date", "Due", "Status", "Amount"]


def test_german_mail_has_german_dates_amounts_and_words():
    t = pick(DEFAULT_TEMPLATES, "first_reminder", "de")
    values = dict(VALUES, amount=1234.56, as_of=dt.date(2026, 6, 30), contact_name="Anna Beck",
                  account_number="K-100", payment_details="IBAN DE02 1203 0000 0000 2020 51",
                  phone="+49 30 1234567")
    r = render(t, values, LINES, locale=mail_locale("de", "DE"))
    assert r.text.startswith("Guten Tag Anna Beck,")
    assert "1.234,56 €" in r.text and "1.234,56 €" in r.subject
    table = r.text.splitlines()
    head = next(i for i, line in enumerate(table) if line.startswith("Rechnung"))
    assert table[head].split() == ["Rechnung", "Referenz", "Datum", "Fällig", "Status", "Betrag"]
    assert table[head + 1].split() == ["INV-1", "PO-77", "01.05.2026", "31.05.2026", "30",
                                       "Tage", "überfällig", "1.234,50", "€"]
    assert "Bitte überweisen Sie auf:\nIBAN DE02 1203 0000 0000 2020 51" in r.text
    assert "+49 30 1234567" in r.text and "K-100" in r.text
    assert "Falls Sie bereits bezahlt haben" in r.text
    assert "1.234,50 €" in r.html and "01.05.2026" in r.html


def test_french_amounts_and_the_fallback_greeting():
    t = pick(DEFAULT_TEMPLATES, "second_reminder", "fr")
    r = render(t, dict(VALUES, amount=1234.56), LINES, locale=mail_locale("fr", "GB"))
    assert r.text.startswith("Madame, Monsieur,")
    assert "1 234,56 €" in r.text


def test_the_greeting_falls_back_to_the_accounts_team_and_html_escapes_the_contact():
    t = pick(DEFAULT_TEMPLATES, "first_reminder", "en")
    assert render(t, VALUES, LINES).text.startswith(
        "Dear Accounts team at Smith & <Sons>,")
    r = render(t, dict(VALUES, contact_name="<b>Jo</b>"), LINES)
    assert r.text.startswith("Dear <b>Jo</b>,")
    assert "Dear &lt;b&gt;Jo&lt;/b&gt;," in r.html and "<b>Jo" not in r.html


def test_payment_details_keep_their_lines_in_html_and_vanish_when_blank():
    t = pick(DEFAULT_TEMPLATES, "courtesy", "en")
    r = render(t, dict(VALUES, payment_details="Bank: Lloyds\nSort code 30-00-00 & co"), LINES)
    assert "Please pay to:<br>\nBank: Lloyds<br>\nSort code 30-00-00 &amp; co" in r.html
    plain = render(t, VALUES, LINES).text
    assert "Please pay to" not in plain and "\n\n\n" not in plain
    assert "Questions? Reply to this e-mail." in plain


@pytest.mark.parametrize("t", DEFAULT_TEMPLATES, ids=lambda t: f"{t.name}-{t.language}")
def test_every_built_in_level_greets_shows_how_to_pay_and_what_if_already_paid(t):
    # a letter before action prints how to pay in its own section, before the sign-off
    pay = "{before_action}" if t.name == "letter_before_action" else "{how_to_pay}"
    for needed in ("{greeting}", "{account_number}", "{invoice_table}", pay,
                   "{contact_line}"):
        assert needed in t.body, needed
    if t.name == "letter_before_action":
        assert "{how_to_pay}" not in t.body
        assert t.body.index("{before_action}") < t.body.index("{contact_line}")
    paid = {"en": "already paid", "de": "bereits bezahlt", "fr": "déjà réglé"}[t.language]
    assert paid in t.body


def test_built_in_templates_exist_in_english_german_and_french():
    names = {t.name for t in DEFAULT_TEMPLATES}
    for lang in ("en", "de", "fr"):
        assert {t.name for t in DEFAULT_TEMPLATES if t.language == lang} == names


def test_the_locale_takes_the_country_when_babel_knows_the_pair():
    assert mail_locale("en", "GB") == "en_GB"
    assert mail_locale("de", "GB") == "de"
    assert mail_locale("de-AT", "GB") == "de_AT"
    assert mail_locale("xx", "GB") == "en_GB"
    assert pick(DEFAULT_TEMPLATES, "courtesy", "de-AT").language == "de"


@pytest.mark.parametrize("locale", ["en_GB", "en_US", "de_DE", "de_CH", "fr_FR", "nl_NL",
                                    "es_ES", "it_IT", "pl_PL", "sv_SE", "pt_PT", "en_IN"])
def test_money_is_written_exactly_as_babel_writes_it(locale):
    import random

    from babel.numbers import format_currency

    from creditdesk.domain.templates import format_money

    rnd = random.Random(7)
    amounts = [0.0, 0.5, -0.5, 1234.56, -1234.56, 999999.99, 1e9 + 0.01,
               *(round(rnd.uniform(-1e7, 1e7), 2) for _ in range(200))]
    for currency in ("EUR", "GBP", "USD", "JPY", "CHF"):
        for x in amounts:
            want = format_currency(x, currency, locale=locale).replace("\xa0", " ").replace(
                "\u202f", " ")
            assert format_money(x, currency, locale) == want, (x, currency)


@pytest.mark.parametrize("language,extra,claimed,absent", [
    # a business under the Late Payment Act: interest and compensation named
    ("en", {"interest": 12.5, "compensation": 40.0, "total": 1252.5},
     "claim €1,200.00, statutory interest of €12.50 and fixed compensation of €40.00: "
     "€1,252.50 in all.", None),
    # an Individual with a contract rate: interest, never "statutory", no compensation
    ("en", {"interest": 12.5, "compensation": 0.0, "total": 1212.5},
     "claim €1,200.00 and interest of €12.50: €1,212.50 in all.", "statutory"),
    # nothing claimed beyond the debt: no "interest of €0.00"
    ("en", {"interest": 0.0, "compensation": 0.0, "total": 1200.0},
     "We now claim €1,200.00.", "interest"),
    ("de", {"interest": 12.5, "compensation": 0.0, "total": 1212.5},
     "Zinsen von 12,50 €: insgesamt 1.212,50 €", "Pauschale"),
    ("fr", {"interest": 0.0, "compensation": 0.0, "total": 1200.0},
     "Nous vous réclamons 1 200,00 €.", "indemnité"),
])
def test_final_demand_names_only_the_charges_claimed(language, extra, claimed, absent):
    t = pick(DEFAULT_TEMPLATES, "final_demand", language)
    locale = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR"}[language]
    r = render(t, dict(VALUES, **extra), LINES, locale=locale)
    lines = [" ".join(ln.replace("\u202f", " ").replace("\xa0", " ").split())
             for ln in r.text.splitlines()]
    sentence = next((ln for ln in lines if claimed in ln), None)
    assert sentence is not None, r.text
    if absent:
        assert absent not in sentence
