"""Every id the API takes can always be named again (read, erased): control characters are
refused in each id field and in subjects, with the field named; an amount of 0 or less and a
date outside 1990-2100 are refused; HTML a client sends is sanitised, never mailed as given.
Through chalice.test.Client on moto, the real app."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest

from chalicelib.bootstrap import bootstrap
from chalicelib.services import tenancy

from .build import reminder
from .conftest import bearer, ses_sent, sqs_bodies, sqs_event
from .fakes import FakeContext

# C0 (NUL, TAB, LF, CR, ESC), DEL, C1 (NEL, CSI), and the line and paragraph separators
CONTROLS = ["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9b", "\u2028", "\u2029"]


@pytest.fixture
def key(aws) -> str:
    return tenancy.create_tenant(bootstrap(), "Acme")[1]


def post(client, key, path, payload):
    import json

    return client.http.post(path, headers=bearer(key), body=json.dumps(payload))


def batch(*reminders, batch_id="batch-0001", **kw):
    return {"batch_id": batch_id, "reminders": list(reminders), **kw}


def refused(r, field: str) -> str:
    assert r.status_code == 422, r.body
    err = r.json_body
    assert err["field"] == field, err
    return err["message"]


@pytest.mark.parametrize("ch", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_a_customer_id_with_a_control_character_is_refused(client, key, ch):
    r = post(client, key, "/v1/batches", batch(reminder(f"C{ch}1")))
    assert "control characters" in refused(r, "reminders.0.customer")
    assert ses_sent() == []


@pytest.mark.parametrize("ch", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_an_invoice_id_with_a_control_character_is_refused(client, key, ch):
    r = post(client, key, "/v1/batches", batch(reminder(invoices=("INV-1", f"INV{ch}2"))))
    refused(r, "reminders.0.invoices.1")
    r = post(client, key, "/v1/customers/C1/disputes",
             {"invoice": f"INV{ch}2", "reason": "wrong price"})
    refused(r, "invoice")


@pytest.mark.parametrize("ch", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_a_subject_with_a_control_character_is_refused(client, key, ch):
    r = post(client, key, "/v1/batches", batch(reminder(subject=f"Reminder{ch}Bcc: x@y.z")))
    refused(r, "reminders.0.subject")


@pytest.mark.parametrize(("name", "value"), [("amount", 0), ("amount", -5.0),
                                             ("interest", -1.0), ("compensation", -40.0)])
def test_amounts_of_zero_or_less_are_refused(client, key, name, value):
    r = post(client, key, "/v1/batches", batch(reminder(**{name: value})))
    refused(r, f"reminders.0.{name}")


@pytest.mark.parametrize("day", ["1989-12-31", "2101-01-01", "0001-01-01", "9999-12-31"])
def test_a_promise_dated_outside_1990_to_2100_is_refused(client, key, day):
    r = post(client, key, "/v1/customers/C1/promises", {"amount": 100.0, "date": day})
    assert "outside 1990-01-01 to 2100-12-31" in refused(r, "date")
    r = post(client, key, "/v1/customers/C1/promises", {"amount": 0, "date": "2026-12-31"})
    refused(r, "amount")


def test_a_send_window_that_is_not_one_is_refused(client, key):
    window = {"time_zone": "Mars/Olympus", "start": "09:00", "end": "17:00", "country": "GB"}
    r = post(client, key, "/v1/batches", batch(reminder(), send_window=window))
    refused(r, "send_window.time_zone")
    window.update(time_zone="Europe/London", start="17:00", end="09:00")
    r = post(client, key, "/v1/batches", batch(reminder(), send_window=window))
    refused(r, "send_window.end")


def test_html_a_client_sends_is_sanitised_before_it_is_mailed(client, key, app, aws,
                                                              tmp_path):
    html = ('<p onclick="steal()">Please pay <b>now</b>.<script>alert(1)</script>'
            '<img src="https://evil.example/pixel.gif" onerror="x()">'
            '<a href="javascript:steal()">here</a> or '
            '<a href="https://pay.example/inv-1">online</a></p><style>p{display:none}</style>'
            '<table border="1"><tr><td style="text-align:right">1,000.00</td>'
            '<td style="background:url(https://evil.example)">x</td></tr></table>')
    r = post(client, key, "/v1/batches", batch(reminder(html=html)))
    assert r.status_code == 202, r.body
    result = app.handler_map["send_worker"](sqs_event(sqs_bodies(
        aws["CREDITDESK_SEND_QUEUE_URL"])), FakeContext())
    assert result == {"batchItemFailures": []}
    assert len(ses_sent()) == 1
    [eml] = (tmp_path / "outbox").rglob("*.eml")  # the copy of what went to SES
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    mailed = msg.get_body(("html",)).get_content()
    assert '<p>Please pay <b>now</b>.<a rel="noopener">here</a> or <a href="https://' \
           'pay.example/inv-1" rel="noopener">online</a></p>' in mailed
    assert '<td style="text-align:right">1,000.00</td><td>x</td>' in mailed
    for bad in ("script", "onclick", "onerror", "<img", "javascript:", "<style",
                "evil.example"):
        assert bad not in mailed


def test_the_ids_that_pass_can_be_read_back(client, key):
    odd = "Müller & Söhne GmbH/Köln #1"  # printable, non-ASCII, URL-hostile: accepted
    r = post(client, key, "/v1/customers/" + _quote(odd) + "/notes", {"text": "called"})
    assert r.status_code == 201, r.body
    r = client.http.get("/v1/customers/" + _quote(odd) + "/history", headers=bearer(key))
    assert [e["customer"] for e in r.json_body["items"]] == [odd]
    assert dt.date.fromisoformat(r.json_body["items"][0]["at"][:10])


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
