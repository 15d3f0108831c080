"""Statements by mail on the Statement Day, through the app's handlers on moto in-process:
the hourly tick, the work queue, SES (raw MIME with the PDF attached, read back with pypdf),
the claims, suppression, erasure and the history."""

from __future__ import annotations

import datetime as dt
import email
import io

import pytest
from pypdf import PdfReader

from chalicelib.bootstrap import bootstrap, use
from chalicelib.services import erasure, history, statements, tenancy
from tests.builders import customer, invoice

from .build import snapshot
from .conftest import bearer, body, ses_sent, sqs_bodies, sqs_event
from .fakes import FakeClock, FakeContext

SENDER = "reminders@creditdesk.example"
UTC = dt.UTC
# Statement Day 5: in July 2026 the 5th is a Sunday, so the statements of June go on Monday
# the 6th, inside the Send Window (09:00-17:00 London = 08:00-16:00 UTC).
SUNDAY_5 = dt.datetime(2026, 7, 5, 10, 0, tzinfo=UTC)
MONDAY_6_EARLY = dt.datetime(2026, 7, 6, 7, 0, tzinfo=UTC)  # 08:00 London: window closed
MONDAY_6 = dt.datetime(2026, 7, 6, 9, 0, tzinfo=UTC)  # 10:00 London


def ledger(settings=None):
    custs = [customer("C1", Name="Zoë Müller GmbH", Language="de"),
             customer("C2", Name="Paid Up Ltd"),
             customer("C3", Name="Gone Ltd"),
             customer("C4", Name="Bounced Ltd", Email="bad@c4.example.com"),
             customer("C5", Name="Left Alone Ltd", **{"Do Not Chase": "Yes"})]
    invs = [invoice("INV-1", 1234.5, dt.date(2026, 6, 20), "C1", Currency="EUR"),
            invoice("INV-2", 300.0, dt.date(2026, 6, 25), "C1", Currency="GBP"),
            invoice("INV-3", 99.0, dt.date(2026, 8, 1), "C1", Currency="EUR",
                    **{"Invoice Date": dt.date(2026, 7, 2)}),  # after the period
            invoice("INV-4", 500.0, dt.date(2026, 5, 10), "C2", Paid=True,
                    **{"Settled Date": dt.date(2026, 5, 20)}),
            invoice("INV-5", 70.0, dt.date(2026, 6, 10), "C3"),
            invoice("INV-6", 80.0, dt.date(2026, 6, 10), "C4"),
            invoice("INV-7", 90.0, dt.date(2026, 6, 10), "C5")]
    return snapshot(custs, invs, {
        "Sender Email": SENDER, "Reply To": "ar@acme.example", "Company Name": "Acme Ltd",
        "Time Zone": "Europe/London", "Send Window": "09:00-17:00", "Country": "GB",
        "Statement Day": 5, "As Of Date": "", **(settings or {})})


@pytest.fixture
def acme(aws, client):
    tenant, key = tenancy.create_tenant(bootstrap(), "Acme")
    r = client.http.post("/v1/ledger", headers=bearer(key), body=body(ledger()))
    assert r.status_code in (200, 201), r.body
    return tenant, key


def scheduled(client):
    return client.events.generate_cw_event("aws.events", "Scheduled Event", {}, [])


def tick_and_work(client, app, aws, now):
    """The hourly tick at ``now``, then the work worker on what it enqueued."""
    with use(bootstrap(clock=FakeClock(now))):
        due = client.lambda_.invoke("tick", scheduled(client)).payload
        work = sqs_bodies(aws["CREDITDESK_WORK_QUEUE_URL"])
        if work:
            assert app.handler_map["work_worker"](sqs_event(work), FakeContext()) == {
                "batchItemFailures": []}
    return due, work


def statement_mails():
    return [m for m in ses_sent() if hasattr(m, "raw_data")]


def pdf_of(raw: str) -> tuple[email.message.Message, str, str]:
    msg = email.message_from_bytes(raw.encode("utf-8"))
    parts = [p for p in msg.walk() if p.get_content_type() == "application/pdf"]
    assert len(parts) == 1
    text = "\n".join(page.extract_text() for page in
                     PdfReader(io.BytesIO(parts[0].get_payload(decode=True))).pages)
    plain = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    return msg, text, plain.get_payload(decode=True).decode()


def test_the_statement_day_mails_one_pdf_per_customer_and_currency_with_a_balance(
        client, app, aws, acme):
    tenant, key = acme
    deps = bootstrap()
    history.suppress(deps, tenant, "bad@c4.example.com", "hard bounce", "m0",
                     "2026-06-01T00:00:00Z")
    erasure.erase_customer(deps, tenant, "C3")
    # the 5th is a Sunday: nothing; Monday before the window opens: nothing
    assert tick_and_work(client, app, aws, SUNDAY_5) == ([], [])
    assert tick_and_work(client, app, aws, MONDAY_6_EARLY) == ([], [])
    assert statement_mails() == []
    due, work = tick_and_work(client, app, aws, MONDAY_6)
    assert due == [tenant] and len(work) == 1
    mails = statement_mails()
    # C1 in EUR and GBP; C2 owes nothing, C3 is erased, C4's address is suppressed, C5 is
    # marked Do Not Chase
    assert len(mails) == 2
    by_currency = {}
    for m in mails:
        msg, text, plain = pdf_of(m.raw_data)
        assert msg["From"].endswith(f"<{SENDER}>") and msg["To"] == "ap@c1.example.com"
        assert msg["Reply-To"] == "ar@acme.example"
        assert "Zoë Müller GmbH" in text and "Statement of open items" in text
        by_currency["EUR" if "EUR" in text.split("Currency", 1)[1][:12] else "GBP"] = (
            text, plain, msg)
    eur_text, eur_plain, eur_msg = by_currency["EUR"]
    assert "1,234.50" in eur_text and "INV-1" in eur_text and "INV-3" not in eur_text
    assert "300.00" in by_currency["GBP"][0] and "INV-2" in by_currency["GBP"][0]
    # the mail in the customer's language (German), naming the balance
    assert "Kontoauszug" in str(email.header.make_header(email.header.decode_header(
        eur_msg["Subject"])))
    assert "1.234,50" in eur_plain and "30. Juni 2026" in eur_plain
    name = eur_msg.get_payload()[1].get_filename()
    assert name == "C1-EUR-statement-2026-06.pdf"
    # the history holds each statement sent, with its message id
    events = client.http.get("/v1/customers/C1/history", headers=bearer(key)).json_body
    sent = [e for e in events["items"] if e["type"] == "statement"]
    assert sorted(e["currency"] for e in sent) == ["EUR", "GBP"]
    assert {e["message_id"] for e in sent} == {m.id for m in mails}
    assert {e["amount"] for e in sent} == {1234.5, 300.0}
    for c in ("C2", "C3", "C4", "C5"):
        items = client.http.get(f"/v1/customers/{c}/history", headers=bearer(key)).json_body
        assert not [e for e in items["items"] if e["type"] == "statement"]
    # later ticks this month: done
    assert tick_and_work(client, app, aws, MONDAY_6 + dt.timedelta(hours=2)) == ([], [])


def test_a_second_run_the_same_day_sends_nothing(client, app, aws, acme):
    tenant, _ = acme
    deps = bootstrap(clock=FakeClock(MONDAY_6))
    first = statements.send_statements(deps, tenant, MONDAY_6.date())
    again = statements.send_statements(deps, tenant, MONDAY_6.date())
    # C1 in EUR and GBP, C3, C4 (nothing erased or suppressed here); C2 owes nothing
    assert sorted(first.sent) == ["stmt-2026-06-C1-EUR", "stmt-2026-06-C1-GBP",
                                  "stmt-2026-06-C3-EUR", "stmt-2026-06-C4-EUR"]
    assert again.sent == [] and len(again.skipped) == 5
    assert again.skipped[-1] == "stmt-2026-06-C5-EUR: Do Not Chase"
    assert all(s.endswith("already sent") for s in again.skipped[:-1])
    assert len(statement_mails()) == 4
    assert statements.due(tenancy.profile(deps, tenant), MONDAY_6) is None


def test_a_statement_that_cannot_be_made_is_skipped_and_sent_by_a_later_run(
        client, app, aws, acme, monkeypatch):
    from creditdesk.documents import pdf

    tenant, _ = acme
    real = pdf.statement_pdf

    def broken(s, company, kind):
        if (s.customer, s.currency) == ("C1", "GBP"):
            raise ValueError("broken")
        return real(s, company, kind)

    monkeypatch.setattr(pdf, "statement_pdf", broken)
    deps = bootstrap(clock=FakeClock(MONDAY_6))
    first = statements.send_statements(deps, tenant, MONDAY_6.date())
    assert "stmt-2026-06-C1-GBP: could not be made (ValueError)" in first.skipped
    assert len(first.sent) == 3
    # not marked done: the next tick (inside the window) starts the run again
    assert statements.due(tenancy.profile(deps, tenant), MONDAY_6) == MONDAY_6.date()
    monkeypatch.setattr(pdf, "statement_pdf", real)
    again = statements.send_statements(deps, tenant, MONDAY_6.date())
    assert again.sent == ["stmt-2026-06-C1-GBP"]  # its claim was given back
    assert len(statement_mails()) == 4


def test_a_holiday_moves_the_run_to_the_next_business_day():
    # 1 January 2027 is a Friday and a bank holiday: the first business day is Monday the 4th
    assert statements.run_day("first business day", 2027, 1, "GB") == dt.date(2027, 1, 4)
    # 25 December 2026 (Friday), Boxing Day moved to Monday the 28th: Tuesday the 29th
    assert statements.run_day(25, 2026, 12, "GB") == dt.date(2026, 12, 29)
    assert statements.run_day(10, 2026, 6, "GB") == dt.date(2026, 6, 10)
    assert statements.run_day(None, 2026, 6, "GB") is None


@pytest.mark.parametrize(("now", "done", "expected"), [
    (dt.datetime(2027, 1, 1, 10, tzinfo=UTC), None, None),  # holiday
    (dt.datetime(2027, 1, 4, 8, 59, tzinfo=UTC), None, None),  # before the window
    (dt.datetime(2027, 1, 4, 9, 0, tzinfo=UTC), None, dt.date(2027, 1, 4)),
    (dt.datetime(2027, 1, 4, 17, 0, tzinfo=UTC), None, None),  # after it
    (dt.datetime(2027, 1, 5, 12, tzinfo=UTC), None, dt.date(2027, 1, 5)),  # missed: later
    (dt.datetime(2027, 1, 5, 12, tzinfo=UTC), "2026-12", None),  # done this month
])
def test_the_statements_are_due_on_the_run_day_inside_the_window(now, done, expected):
    prof = {"snapshot": "v1", "statement_day": "first business day", "time_zone": "UTC",
            "send_window": ["09:00", "17:00:00"], "country": "GB",
            "last_statement_period": done}
    assert statements.due(prof, now) == expected
    assert statements.due({**prof, "statement_day": None}, now) is None


def test_the_mail_text_is_in_the_customers_language_with_the_link():
    for lang, word in (("en", "statement of account"), ("de", "Kontoauszug"),
                       ("fr", "relevé de compte")):
        subject, text, html = statements.mail_text(
            lang, "GB", "Acme <Ltd>", "Zoë", "EUR", 1234.5, dt.date(2026, 6, 1),
            dt.date(2026, 6, 30), "https://pay.example/p/t1")
        assert word.casefold() in (subject + text).casefold()
        assert "https://pay.example/p/t1" in text and 'href="https://pay.example/p/t1"' in html
        assert "Acme &lt;Ltd&gt;" in html and "<Ltd>" not in html
    _, text, _ = statements.mail_text("xx", "GB", "Acme", "Zoë", "GBP", 5, dt.date(2026, 6, 1),
                                      dt.date(2026, 6, 30), "")
    assert "£5.00" in text and "http" not in text


def test_a_statement_event_is_a_history_row_the_workbook_reads_back():
    from creditdesk.api.models import HISTORY_HEADER, EventOut
    from tests.builders import make_ledger

    ev = EventOut(id="stmt-2026-06-C1-EUR", at=MONDAY_6, customer="C1", type="statement",
                  currency="EUR", email="ap@c1.example.com", message_id="m1", amount=1234.5,
                  note="Statement of account June 2026 from Acme Ltd")
    row = ev.history_row("Europe/London")
    at = dict(zip(HISTORY_HEADER, row, strict=True))
    assert (at["Type"], at["Date"], at["Amount"]) == ("Statement", "2026-07-06", 1234.5)
    ledger = make_ledger([customer("C1")], [invoice("INV-1", 10.0, dt.date(2026, 6, 1))],
                         extra={"History": (HISTORY_HEADER, [row])})
    assert not [i for i in ledger.issues if i.sheet == "History"]
    assert list(ledger.history.type) == ["statement"]
