"""Reminder templates: placeholders, HTML escaping, unknown placeholders, language choice."""

from creditdesk.domain.templates import (
    DEFAULT_TEMPLATES,
    PLACEHOLDERS,
    Line,
    Template,
    pick,
    render,
    template_problems,
    unknown_placeholders,
)

LINES = [Line("INV-1", "2026-05-01", "2026-05-31", 30, 1234.5),
         Line("CN-<2>", "2026-06-01", "2026-06-01", 29, -34.5)]
VALUES = {"customer_name": "Smith & <Sons>", "currency": "EUR", "amount": 1200.0,
          "company_name": "Acme"}


def test_placeholders_match_ignoring_case_spaces_and_underscores():
    t = Template("t", "en", "{Customer Name} owes {currency} {AMOUNT}", "Hi {customer_name}")
    r = render(t, VALUES, LINES)
    assert r.subject == "Smith & <Sons> owes EUR 1,200.00"
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
    assert text.splitlines()[1].split() == ["INV-1", "2026-05-01", "2026-05-31", "30", "days",
                                            "overdue", "1,234.50"]
    assert text.splitlines()[2].split()[3:] == ["credit", "note", "-34.50"]


def test_invoices_not_yet_due_are_listed_apart_and_not_asked_for():
    t = Template("t", "en", "s", "{invoice_table}")
    lines = [*LINES, Line("INV-9", "2026-06-20", "2026-07-03", -3, 500.0)]
    text = render(t, VALUES, lines).text
    head, soon = text.split("Falling due soon (not included above): EUR 500.00")
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
