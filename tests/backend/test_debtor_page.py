"""The debtor's own page through the real Chalice app (``chalice.test.Client``) on the fakes:
links (forged, expired, revoked alike), tenancy, CSRF, rate limits, escaping, headers, and
what each action leaves in the history."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import urlencode

import pytest

from chalicelib.bootstrap import use
from chalicelib.services import debtor, erasure, keys, links, snapshots, tenancy, tombstones
from creditdesk.api.models import SnapshotIn
from tests.builders import customer, days_before, invoice

from .build import snapshot
from .conftest import bearer

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def web(fake, tmp_path):
    from app import app
    from chalice.test import Client

    with use(fake), Client(app, project_dir=str(tmp_path)) as c:
        yield c


def ledger(deps, tenant, custs, invs, settings=None):
    snap = snapshot(custs, invs, {"Company Name": "Acme <Supplies>",
                                  "Controller Email": "cc@acme.example", **(settings or {})})
    raw = json.dumps(snap).encode()
    out = snapshots.put_snapshot(deps, tenant, SnapshotIn.model_validate(snap), raw)
    assert out.status != "rejected", out


@pytest.fixture
def acme(fake):
    tenant, key = tenancy.create_tenant(fake, "Acme")
    ledger(fake, tenant, [customer("C1", Name="<script>alert(1)</script>"), customer("C2")],
           [invoice("INV-1", 1200.0, days_before(20), "C1"),
            invoice("INV-2", 300.0, days_before(-10), "C1"),
            invoice("SECRET-9", 999.0, days_before(20), "C2")])
    return tenant, key


def page(web, token, **kw):
    return web.http.get(f"/p/{token}", **kw)


def csrf(html: str, form: str) -> str:
    m = re.search(rf'name="form" value="{form}"><input type="hidden" name="csrf" '
                  r'value="([0-9a-f]+)"', html)
    assert m, f"no CSRF token for {form}"
    return m[1]


def post(web, token, fields):
    return web.http.post(f"/p/{token}", headers=FORM, body=urlencode(fields))


def test_a_link_shows_the_company_and_only_its_customers_open_items(web, fake, acme):
    token = links.issue(fake, acme[0], "C1", "b1")
    r = page(web, token)
    assert r.status_code == 200
    html = r.body.decode()
    assert "INV-1" in html and "INV-2" in html
    assert "SECRET-9" not in html and "C2 Ltd" not in html
    assert "Acme &lt;Supplies&gt;" in html


def test_a_customer_name_like_script_is_escaped(web, fake, acme):
    html = page(web, links.issue(fake, acme[0], "C1", "b1")).body.decode()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_every_answer_carries_the_security_headers(web, fake, acme):
    token = links.issue(fake, acme[0], "C1", "b1")
    for r in (page(web, token), page(web, "forged"), post(web, token, {"form": "x"})):
        h = r.headers
        assert h["X-Frame-Options"] == "DENY"
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "no-referrer"
        assert h["Cache-Control"] == "no-store"
        csp = h["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "form-action 'self'" in csp
        assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+'", csp)
        assert "script-src" not in csp  # none: default-src 'none' covers it
    body = page(web, token).body.decode()
    assert "<script" not in body and "http://" not in body and "https://" not in body


def test_forged_expired_and_revoked_links_all_get_the_same_404(web, fake, acme):
    tenant = acme[0]
    old = links.issue(fake, tenant, "C1", "b1")
    revoked_by_newer = old
    newer = links.issue(fake, tenant, "C1", "b2")  # a later mail revokes the earlier link
    by_controller = links.issue(fake, tenant, "C2", "b2")
    r = web.http.delete("/v1/customers/C2/links", headers=bearer(acme[1]))
    assert r.status_code == 200 and r.json_body == {"customer": "C2", "revoked": True}
    forged = f"{tenant}-{'A' * 43}"
    answers = [page(web, t) for t in (revoked_by_newer, by_controller, forged, "x", tenant)]
    fake.clock.t += dt.timedelta(days=31)  # past Page Link Days (30)
    answers.append(page(web, newer))
    assert {a.status_code for a in answers} == {404}
    assert len({a.body for a in answers}) == 1
    assert len({tuple(sorted(a.headers.items())) for a in answers}) == 1


def test_a_link_of_the_same_batch_stays_valid_and_the_expiry_is_the_tenant_setting(
        web, fake, acme):
    a = links.issue(fake, acme[0], "C1", "b1")
    b = links.issue(fake, acme[0], "C1", "b1")  # a second currency's mail in one batch
    assert page(web, a).status_code == page(web, b).status_code == 200
    fake.clock.t += dt.timedelta(minutes=1)  # a later snapshot
    ledger(fake, acme[0], [customer("C1")], [invoice("INV-1", 10.0, days_before(20), "C1")],
           {"Page Link Days": 3})
    short = links.issue(fake, acme[0], "C1", "b2",
                        links.link_days(tenancy.profile(fake, acme[0])))
    fake.clock.t += dt.timedelta(days=3, seconds=1)
    assert page(web, short).status_code == 404


def test_another_tenants_token_cannot_see_this_tenants_customer(web, fake, acme):
    other, _ = tenancy.create_tenant(fake, "Other")
    ledger(fake, other, [customer("C1", Name="Other's C1")],
           [invoice("OTHER-1", 5.0, days_before(5), "C1")])
    mine = links.issue(fake, acme[0], "C1", "b1")
    theirs = links.issue(fake, other, "C1", "b1")
    assert "OTHER-1" not in page(web, mine).body.decode()
    assert "INV-1" not in page(web, theirs).body.decode()
    # the secret under another tenant's prefix is another token: not found
    swapped = f"{other}-{mine.split('-', 1)[1]}"
    assert page(web, swapped).status_code == 404


def test_a_form_without_or_with_a_wrong_csrf_token_is_refused(web, fake, acme):
    token = links.issue(fake, acme[0], "C1", "b1")
    other = links.issue(fake, acme[0], "C2", "b1")
    other_csrf = csrf(page(web, other).body.decode(), "message")
    for fields in ({"form": "message", "message": "hi"},
                   {"form": "message", "message": "hi", "csrf": "0" * 64},
                   {"form": "message", "message": "hi", "csrf": other_csrf},
                   {"form": "promise", "amount": "1", "date": "2026-07-01",
                    "csrf": csrf(page(web, token).body.decode(), "message")}):
        assert post(web, token, fields).status_code == 403
    assert fake.store.query_all(keys.customer_pk(acme[0], "C1"), prefix="H#") == []


def test_each_action_lands_in_the_history_with_its_time(web, fake, acme):
    tenant = acme[0]
    token = links.issue(fake, tenant, "C1", "b1")
    html = page(web, token).body.decode()
    r = post(web, token, {"form": "promise", "amount": "500", "date": "2026-07-15",
                          "csrf": csrf(html, "promise")})
    assert r.status_code == 303 and r.headers["Location"] == f"{token}?done=promise"
    assert post(web, token, {"form": "dispute", "invoice": "INV-1", "reason": "wrong_amount",
                             "text": "<b>billed twice</b>",
                             "csrf": csrf(html, "dispute")}).status_code == 303
    assert post(web, token, {"form": "plan", "instalments": "4", "currency": "EUR",
                             "start": "2026-07-31", "csrf": csrf(html, "plan")}).status_code == 303
    assert post(web, token, {"form": "message", "message": "Call me",
                             "csrf": csrf(html, "message")}).status_code == 303
    events = {e["type"]: e for e in fake.store.query_all(keys.customer_pk(tenant, "C1"),
                                                          prefix="H#")}
    assert set(events) == {"promise", "dispute", "plan", "note"}
    assert events["promise"]["amount"] == 500 and events["promise"]["date"] == "2026-07-15"
    assert events["dispute"]["invoice"] == "INV-1"
    assert events["dispute"]["note"] == "wrong_amount: <b>billed twice</b>"
    assert events["plan"]["amount"] == 1500.0 and "4 monthly instalments" in events["plan"]["note"]
    assert all(e["at"] == keys.stamp(fake.clock.now()) for e in events.values())
    shown = web.http.get(f"/p/{token}?done=dispute").body.decode()
    assert "your dispute is recorded" in shown
    answers = shown.split('id="answers"', 1)[1].split("</ul>", 1)[0]
    assert sorted(line.split(": ", 1)[1] for line in re.findall(r"<li>(.*?)</li>", answers)
                  ) == ["you asked for a payment plan (€1,500.00)", "you disputed invoice INV-1",
                        "you left a message", "you promised €500.00 by 15 Jul 2026"]
    assert re.search(r'data-invoice="INV-1">.*?disputed</td>', shown)  # shown at once
    # the dispute was mailed to the controller at once
    mails = [m for _, m in fake.mailer.sent if m.to == "cc@acme.example"]
    assert len(mails) == 1 and "INV-1" in mails[0].subject
    # the daily summary lists all four, once
    assert debtor.send_summary(fake, tenant, fake.clock.now().date()) not in (
        "already sent", "nothing to summarise", "no controller e-mail")
    again = debtor.send_summary(fake, tenant, fake.clock.now().date())
    assert again == "already sent"
    summary = [m for _, m in fake.mailer.sent if m.to == "cc@acme.example"][-1]
    assert "4 action(s)" in summary.subject and "left a message" in summary.text


def test_a_dispute_of_another_customers_invoice_is_refused(web, fake, acme):
    token = links.issue(fake, acme[0], "C1", "b1")
    html = page(web, token).body.decode()
    r = post(web, token, {"form": "dispute", "invoice": "SECRET-9", "reason": "other",
                          "text": "x", "csrf": csrf(html, "dispute")})
    assert r.status_code == 422
    assert "choose one of your open invoices" in r.body.decode()
    assert "SECRET-9" not in r.body.decode().replace('value="SECRET-9"', "")
    assert fake.store.query_all(keys.customer_pk(acme[0], "C2"), prefix="H#") == []


def test_bad_values_are_refused_with_the_field(web, fake, acme):
    token = links.issue(fake, acme[0], "C1", "b1")
    html = page(web, token).body.decode()
    for fields, said in (
        ({"form": "promise", "amount": "500", "date": "2020-01-01"}, "date: choose a day"),
        ({"form": "promise", "amount": "-5", "date": "2026-07-10"}, "amount: give an amount"),
        ({"form": "promise", "amount": "abc", "date": "2026-07-10"}, "not valid"),
        ({"form": "plan", "instalments": "13", "currency": "EUR", "start": "2026-07-10"},
         "instalments: choose 2 to 12"),
        ({"form": "plan", "instalments": "3", "currency": "USD", "start": "2026-07-10"},
         "currency: choose"),
        ({"form": "dispute", "invoice": "INV-1", "reason": "because", "text": "x"},
         "reason: choose"),
    ):
        r = post(web, token, {**fields, "csrf": csrf(html, fields["form"])})
        assert r.status_code == 422, fields
        assert said in r.body.decode(), fields
    assert fake.store.query_all(keys.customer_pk(acme[0], "C1"), prefix="H#") == []


def test_the_rate_limit_counts_per_link_and_per_address(web, fake, acme):
    token = links.issue(fake, acme[0], "C1", "b1")
    codes = [page(web, token).status_code for _ in range(links.TOKEN_LIMIT + 1)]
    assert codes[:-1] == [200] * links.TOKEN_LIMIT and codes[-1] == 429
    other = links.issue(fake, acme[0], "C2", "b1")
    assert page(web, other).status_code == 200  # another link still works
    forged = [page(web, f"{acme[0]}-{i:043d}").status_code
              for i in range(links.ADDRESS_LIMIT)]
    assert forged[-1] == 429 and 404 in forged  # the address is spent, forged ones included
    fake.clock.t += dt.timedelta(seconds=links.RATE_WINDOW)
    assert page(web, token).status_code == 200  # the next window


def test_an_erased_customers_links_die_with_it(web, fake, acme):
    token = links.issue(fake, acme[0], "C1", "b1")
    out = erasure.erase_customer(fake, acme[0], "C1")
    assert out.erased["page_links_deleted"] == 1
    assert page(web, token).status_code == 404
    assert not [k for k in fake.store.items if k[1].startswith("LINK#")]


@pytest.mark.parametrize("form", ["promise", "dispute", "plan", "message"])
def test_a_form_sent_while_the_customer_is_erased_stores_nothing_and_gets_the_404(
        web, fake, acme, monkeypatch, form):
    """The erasure lands after the link was read (its tombstone is written first): the
    answer is the 404 of a dead link, no event is stored and no mail goes."""
    fields = {"promise": {"amount": "500", "date": "2026-07-15"},
              "dispute": {"invoice": "INV-1", "reason": "wrong_amount", "text": "twice"},
              "plan": {"instalments": "4", "currency": "EUR", "start": "2026-07-31"},
              "message": {"message": "Call me"}}[form]
    token = links.issue(fake, acme[0], "C1", "b1")
    html = page(web, token).body.decode()
    real = links.resolve

    def resolve_then_erase(deps, tok):
        link = real(deps, tok)
        tombstones.bury(deps, acme[0], "C1")
        return link

    monkeypatch.setattr(links, "resolve", resolve_then_erase)
    r = post(web, token, {"form": form, **fields, "csrf": csrf(html, form)})
    assert r.status_code == 404 and "does not work" in r.body.decode()
    assert fake.store.query_all(keys.customer_pk(acme[0], "C1"), prefix="H#") == []
    assert not [m for _, m in fake.mailer.sent if m.to == "cc@acme.example"]


def test_the_page_speaks_the_customers_language(web, fake):
    tenant, _ = tenancy.create_tenant(fake, "Acme")
    ledger(fake, tenant, [customer("D1", Language="de"), customer("F1", Language="fr")],
           [invoice("R-1", 1234.5, days_before(20), "D1", Currency="EUR"),
            invoice("F-1", 1234.5, days_before(20), "F1", Currency="EUR")])
    de = page(web, links.issue(fake, tenant, "D1", "b")).body.decode()
    fr = page(web, links.issue(fake, tenant, "F1", "b")).body.decode()
    assert 'lang="de"' in de and "Zahlung zusagen" in de and "1.234,50" in de
    assert 'lang="fr"' in fr and "Contester une facture" in fr and "1\u202f234,50" in fr


def test_every_field_has_a_label(web, fake, acme):
    html = page(web, links.issue(fake, acme[0], "C1", "b1")).body.decode()
    ids = re.findall(r'<(?:input|select|textarea) id="([^"]+)"', html)
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    assert ids and set(ids) <= labelled
    hidden = re.findall(r'<input type="hidden"', html)
    assert len(re.findall(r"<(?:input|select|textarea)", html)) == len(ids) + len(hidden)


def _send_with_page(fake, tenant, rems, monkeypatch=None, before_send=None):
    """Submit ``rems`` as one batch and run the send worker with a PAGE_URL set; the mails."""
    from dataclasses import replace

    from chalicelib.services import batches, sending
    from creditdesk.api.models import BatchIn
    from tests.backend.fakes import FakeContext

    fake.config = replace(fake.config, page_url="https://pay.example/api")
    batches.submit_part(fake, tenant, BatchIn.model_validate(
        {"batch_id": "batch-0001", "reminders": rems, "part": 1, "parts": 1}))
    run = sending.start(fake, FakeContext())
    if before_send is not None:
        real = fake.mailer.send

        def send(mail):
            before_send(mail)
            return real(mail)

        monkeypatch.setattr(fake.mailer, "send", send)
    for body in fake.queue.take("send"):
        sending.process(run, body)
    return [m for _, m in fake.mailer.sent]


def test_the_backend_puts_a_link_in_each_reminder_it_sends(fake, acme):
    from .build import reminder

    (mail,) = _send_with_page(fake, acme[0], [reminder(
        "C1", text="Pay.\n{pay_link}\nThanks", html="<html><body><p>Pay.</p></body></html>")])
    url = re.search(r"https://pay\.example/api/p/(\S+)", mail.text)
    assert url and "Pay.\nhttps://pay.example/api/p/" in mail.text
    assert f'href="https://pay.example/api/p/{url[1]}"' in mail.html
    assert mail.html.endswith("</p></body></html>")
    assert links.resolve(fake, url[1]).customer == "C1"
    assert fake.store.get(keys.tenant_pk(acme[0]), f"LINK#{links.token_hash(url[1])}")
    assert not [v for k, v in fake.store.items.items() if url[1] in json.dumps(v, default=str)]


def test_the_links_of_one_batchs_mails_to_a_customer_all_work_and_an_older_one_not(
        fake, acme):
    from .build import reminder

    old = links.issue(fake, acme[0], "C1", "batch-0000")
    mails = _send_with_page(fake, acme[0], [
        reminder("C1", currency="EUR", invoices=("INV-1",)),
        reminder("C1", currency="USD", invoices=("INV-2",)),
        reminder("C2", invoices=("INV-3",))])
    tokens = [re.search(r"/p/(\S+)", m.text)[1] for m in mails]
    assert len(set(tokens)) == 3
    assert [links.resolve(fake, t).customer for t in tokens] == ["C1", "C1", "C2"]
    assert links.resolve(fake, old) is None  # revoked by the later batch


def test_a_customer_erased_just_before_its_send_gets_no_mail_and_keeps_no_link(
        fake, acme, monkeypatch):
    from .build import reminder

    def erase_c2_once(mail):  # while C1's mail goes, C2 (same chunk, next) is erased
        if mail.to == "ap@c1.example.com":
            erasure.erase_customer(fake, acme[0], "C2")

    mails = _send_with_page(fake, acme[0], [reminder("C1"), reminder("C2")], monkeypatch,
                            erase_c2_once)
    assert [m.to for m in mails] == ["ap@c1.example.com"]
    left = [v for k, v in fake.store.items.items() if k[1].startswith("LINK")
            and v.get("customer") == "C2"]
    assert left == []
    assert fake.store.get(keys.tenant_pk(acme[0]), f"LINKS#{keys.customer_hash(acme[0], 'C2')}"
                          ) is None


def test_a_reminder_sent_without_a_page_url_has_no_link(fake, acme):
    from chalicelib.services import sending
    from creditdesk.api.models import ReminderIn

    from .build import reminder

    r = ReminderIn.model_validate(reminder("C1"))
    assert sending.with_link(sending.start(fake), r, None) == (r.text, r.html)
    assert not [k for k in fake.store.items if k[1].startswith("LINK")]


def test_another_tenants_key_cannot_revoke_this_tenants_links(web, fake, acme):
    token = links.issue(fake, acme[0], "C1", "b1")
    _, other_key = tenancy.create_tenant(fake, "Other")
    r = web.http.delete("/v1/customers/C1/links", headers=bearer(other_key))
    assert r.status_code == 200 and r.json_body["revoked"] is False
    assert page(web, token).status_code == 200


def test_the_backends_own_cycle_no_longer_chases_what_the_page_answered(web, fake, acme):
    from chalicelib.services import ledgers

    tenant = acme[0]
    day = fake.clock.now().date()
    before, _ = ledgers.compute_reminders(fake, tenant, day)
    assert {r.customer for r in before} == {"C1", "C2"}
    assert [r.invoices for r in before if r.customer == "C1"] == [["INV-1"]]
    token = links.issue(fake, tenant, "C2", "b1")
    html = page(web, token).body.decode()
    assert post(web, token, {"form": "dispute", "invoice": "SECRET-9", "reason": "quality",
                             "text": "broken", "csrf": csrf(html, "dispute")}).status_code == 303
    c1 = links.issue(fake, tenant, "C1", "b1")
    html = page(web, c1).body.decode()
    assert post(web, c1, {"form": "promise", "amount": "1200", "date": "2026-07-20",
                          "csrf": csrf(html, "promise")}).status_code == 303
    after, _ = ledgers.compute_reminders(fake, tenant, day)
    assert after == []  # C1 promised (paused to 20 July), C2's only invoice is disputed


def test_text_from_the_page_never_starts_a_cell_like_a_formula(web, fake, acme):
    token = links.issue(fake, acme[0], "C1", "b1")
    html = page(web, token).body.decode()
    hostile = '=HYPERLINK("http://evil.example","x")'
    assert post(web, token, {"form": "message", "message": hostile,
                             "csrf": csrf(html, "message")}).status_code == 303
    assert post(web, token, {"form": "dispute", "invoice": "INV-1", "reason": "other",
                             "text": hostile, "csrf": csrf(html, "dispute")}).status_code == 303
    notes = [e["note"] for e in fake.store.query_all(keys.customer_pk(acme[0], "C1"),
                                                      prefix="H#")]
    assert len(notes) == 2 and all(n[0] not in "=+-@\t\r" and hostile in n for n in notes)


# What a browser sends when the link is followed: API Gateway (and Chalice's test client)
# answer a binary body only to an Accept header that takes it (*/* does).
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_the_page_offers_its_statement_as_a_pdf_download(web, fake, acme):
    token = links.issue(fake, acme[0], "C1", "b1")
    html = page(web, token).body.decode()
    assert f'href="{token}/statement?kind=open-items&amp;currency=EUR"' in html
    assert f'href="{token}/statement?kind=activity&amp;currency=EUR"' in html
    for kind, title in (("open-items", "Statement of open items"),
                        ("activity", "Statement of account")):
        r = web.http.get(f"/p/{token}/statement?kind={kind}&currency=EUR", headers=BROWSER)
        assert r.status_code == 200
        h = r.headers
        assert h["Content-Type"] == "application/pdf"
        assert h["Content-Disposition"] == (
            f'attachment; filename="statement-C1-EUR-{kind}-2026-06-30.pdf"')
        assert h["Cache-Control"] == "no-store" and h["X-Content-Type-Options"] == "nosniff"
        assert r.body[:5] == b"%PDF-"
        text = pdf_text(r.body)
        assert title in text and "INV-1" in text and "INV-2" in text
        assert "1,500.00" in text  # the closing balance: 1,200 + 300
        assert "SECRET-9" not in text and "999.00" not in text  # C2's invoice
        assert "<script>alert(1)</script>" in text  # the name as text, in a PDF
    activity = pdf_text(web.http.get(f"/p/{token}/statement?kind=activity&currency=EUR",
                                     headers=BROWSER).body)
    assert "2026-03-30 to 2026-06-30" in activity  # the last three months


def test_the_download_follows_the_links_rules_and_answers_404_for_what_is_not_there(
        web, fake, acme):
    token = links.issue(fake, acme[0], "C1", "b1")
    gone = page(web, "forged")
    answers = [web.http.get(f"/p/{t}/statement?kind=open-items&currency=EUR", headers=BROWSER)
               for t in ("forged", f"{acme[0]}-{'A' * 43}")]
    answers += [web.http.get(f"/p/{token}/statement?{q}", headers=BROWSER) for q in (
        "kind=open-items&currency=USD", "kind=everything&currency=EUR", "kind=open-items")]
    links.issue(fake, acme[0], "C1", "b2")  # a newer link revokes this one
    answers.append(web.http.get(f"/p/{token}/statement?kind=open-items&currency=EUR",
                                headers=BROWSER))
    assert {a.status_code for a in answers} == {404}
    assert {a.body for a in answers} == {gone.body}
    c2 = links.issue(fake, acme[0], "C2", "b3")
    erasure.erase_customer(fake, acme[0], "C2")  # an erased customer's links die with it
    assert web.http.get(f"/p/{c2}/statement?kind=open-items&currency=EUR",
                        headers=BROWSER).status_code == 404
