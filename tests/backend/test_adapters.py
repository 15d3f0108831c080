"""The DynamoDB adapter's batched operations, on moto in-process."""

from __future__ import annotations

import datetime as dt

from chalicelib.bootstrap import bootstrap


def test_put_absent_writes_only_the_free_keys_in_transactions_of_100(aws):
    store = bootstrap().store
    assert store.put({"pk": "T#a", "sk": "CLAIM#k3", "owner": "earlier"})
    items = [{"pk": "T#a", "sk": f"CLAIM#k{i}", "owner": "now"} for i in range(150)]
    written = store.put_absent(items)
    assert [i["sk"] for i in written] == [f"CLAIM#k{i}" for i in range(150) if i != 3]
    assert store.get("T#a", "CLAIM#k3")["owner"] == "earlier"  # untouched
    assert store.get("T#a", "CLAIM#k149")["owner"] == "now"
    assert store.put_absent(items) == []  # every key taken now: nothing written


def test_put_absent_with_several_taken_keys_in_one_transaction(aws):
    store = bootstrap().store
    store.put_many([{"pk": "T#a", "sk": f"CLAIM#k{i}", "owner": "earlier"} for i in (0, 4, 7)])
    items = [{"pk": "T#a", "sk": f"CLAIM#k{i}", "owner": "now"} for i in range(8)]
    assert [i["sk"][-1] for i in store.put_absent(items)] == list("12356")


def _mail(**kw):
    from chalicelib.services.ports import Mail

    base = {"sender": "reminders@acme.example", "sender_name": "Acme – Zürich GmbH",
            "to": "ap@customer.example", "cc": ("cfo@customer.example",),
            "reply_to": "ar@acme.example", "subject": "Zahlungserinnerung: € 1.234,00 überfällig",
            "text": "Sehr geehrte Damen und Herren,\n\nbitte zahlen Sie. Grüße\n",
            "html": "<p>Bitte zahlen Sie &amp; danke.</p>",
            "tags": (("tenant", "t1"), ("key", "k" * 90))}
    return Mail(**{**base, **kw})


def test_the_outbox_copy_is_a_mail_any_client_reads_back_exactly():
    import datetime as dt
    import email
    from email import policy

    from chalicelib.adapters.ses import eml

    mail = _mail()
    when = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
    raw = eml(mail, "0100018c-abcdef-000000", when)
    assert all(len(line) <= 998 for line in raw.splitlines())  # RFC 5322 line limit
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == mail.subject
    assert msg["From"].addresses[0].display_name == mail.sender_name
    assert msg["From"].addresses[0].addr_spec == mail.sender
    assert (msg["To"], msg["Cc"], msg["Reply-To"]) == (mail.to, mail.cc[0], mail.reply_to)
    assert str(msg["Message-ID"]).strip() == "<0100018c-abcdef-000000@email.amazonses.com>"
    assert not [h for h in msg if h.casefold().startswith("x-creditdesk")]
    assert msg.get_body(("plain",)).get_content() == mail.text
    assert msg.get_body(("html",)).get_content().strip() == mail.html


def test_a_sent_message_carries_its_trace_in_ses_tags_and_lands_under_its_reminders_name(
        aws, tmp_path):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from chalicelib.adapters import aws as clients
    from chalicelib.adapters.ses import SesMailer

    requests = []  # what goes to SES, as sent (moto keeps no message tags to read back)
    clients.client("sesv2", "send").meta.events.register(
        "before-parameter-build.sesv2.SendEmail", lambda params, **kw: requests.append(params))
    mailer = SesMailer("creditdesk", str(tmp_path / "box"))
    mailer.verify_identity("ar@acme.example")
    mailer.verify_identity("ar@acme.example")  # again: already there, no error
    mail = _mail(sender="ar@acme.example", file_name="C_1~0a1b2c3d-EUR-level2.eml")
    first, second = mailer.send(mail), mailer.send(mail)
    names = sorted(p.name for p in (tmp_path / "box").iterdir())
    assert names == ["C_1~0a1b2c3d-EUR-level2-2.eml", "C_1~0a1b2c3d-EUR-level2.eml"]
    raw = (tmp_path / "box" / "C_1~0a1b2c3d-EUR-level2.eml").read_bytes()
    assert f"<{first}@".encode() in raw and b"X-Creditdesk" not in raw
    assert f"<{second}@".encode() in (tmp_path / "box" / names[0]).read_bytes()
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-2"].sent_messages
    assert sent[-1].source.endswith("<ar@acme.example>")
    body = requests[-1]
    assert body["EmailTags"] == [{"Name": "tenant", "Value": "t1"},
                                 {"Name": "key", "Value": "k" * 90}]
    assert "Headers" not in body["Content"]["Simple"]


def test_the_outbox_copy_refuses_cr_or_lf_in_any_header():
    import datetime as dt

    import pytest

    from chalicelib.adapters.ses import eml

    when = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    for bad in ({"subject": "Hello\r\nBcc: all@example.com"}, {"sender_name": "A\nB"},
                {"to": "a@example.com\nBcc: x@example.com"}, {"tags": (("key", "a\rb"),)}):
        with pytest.raises(ValueError, match="CR or LF"):
            eml(_mail(**bad), "id", when)


def test_the_outbox_copy_keeps_short_lines_as_written_and_encodes_long_ones():
    import datetime as dt
    import email
    from email import policy

    from chalicelib.adapters.ses import eml

    long_html = "<p>" + "Bitte zahlen Sie. " * 80 + "</p>"  # one line of ~1,450 bytes
    raw = eml(_mail(html=long_html), "id", dt.datetime(2026, 11, 24, tzinfo=dt.UTC))
    assert "bitte zahlen Sie. Grüße".encode() in raw  # the text part, readable as written
    assert b"Content-Transfer-Encoding: 8bit" in raw
    assert b"Content-Transfer-Encoding: quoted-printable" in raw  # the long HTML line
    assert all(len(line) <= 998 for line in raw.splitlines())
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg.get_body(("html",)).get_content().strip() == long_html
    assert msg.get_body(("plain",)).get_content() == _mail().text


def _conflicting(store, monkeypatch, times: int):
    """The table's client answers TransactWriteItems with a TransactionConflict ``times``
    times, then as DynamoDB would."""
    from chalicelib.adapters import dynamo

    client = store._ddb
    real = client.transact_write_items
    calls = {"n": 0}

    def transact(**kw):
        calls["n"] += 1
        if calls["n"] <= times:
            raise client.exceptions.TransactionCanceledException(
                {"Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                 "CancellationReasons": [{"Code": "TransactionConflict"}] + [
                     {"Code": "None"}] * (len(kw["TransactItems"]) - 1)},
                "TransactWriteItems")
        return real(**kw)

    monkeypatch.setattr(client, "transact_write_items", transact)
    monkeypatch.setattr(dynamo.time, "sleep", lambda s: None)
    return calls


def test_put_absent_retries_a_conflict_and_gives_up_after_ten(aws, monkeypatch):
    import pytest

    store = bootstrap().store
    store.put({"pk": "T#a", "sk": "CLAIM#k1", "owner": "earlier"})
    items = [{"pk": "T#a", "sk": f"CLAIM#k{i}", "owner": "now"} for i in range(3)]
    with monkeypatch.context() as m:
        calls = _conflicting(store, m, times=9)  # then a taken key: not a conflict
        assert [i["sk"] for i in store.put_absent(items)] == ["CLAIM#k0", "CLAIM#k2"]
        assert calls["n"] == 11
    with monkeypatch.context() as m:
        _conflicting(store, m, times=10)
        with pytest.raises(RuntimeError, match="10 conflicts"):
            store.put_absent([{"pk": "T#a", "sk": "CLAIM#k9", "owner": "now"}])
    assert store.get("T#a", "CLAIM#k9") is None


def test_a_mail_with_an_attachment_goes_as_raw_mime_with_the_file_and_its_headers(
        aws, tmp_path):
    import email
    from email import policy

    import pytest

    from chalicelib.adapters import aws as clients
    from chalicelib.adapters.ses import SesMailer, mime
    from chalicelib.services.ports import Attachment

    requests = []
    clients.client("sesv2", "send").meta.events.register(
        "before-parameter-build.sesv2.SendEmail", lambda params, **kw: requests.append(params))
    mailer = SesMailer("creditdesk", str(tmp_path / "box"))
    mailer.verify_identity("ar@acme.example")
    pdf = b"%PDF-1.4 not really\x00\xff"
    mail = _mail(sender="ar@acme.example", file_name="C1-EUR-statement-2026-06.eml",
                 attachments=(Attachment('C1 "x"/EUR.pdf', "application/pdf", pdf),))
    mid = mailer.send(mail)
    body = requests[-1]
    assert "Simple" not in body["Content"] and "ReplyToAddresses" not in body
    assert body["EmailTags"][0] == {"Name": "tenant", "Value": "t1"}
    assert body["ConfigurationSetName"] == "creditdesk"
    msg = email.message_from_bytes(body["Content"]["Raw"]["Data"], policy=policy.default)
    assert msg.get_content_type() == "multipart/mixed" and "Message-ID" not in msg
    assert (msg["To"], msg["Cc"], msg["Reply-To"]) == (mail.to, mail.cc[0], mail.reply_to)
    assert msg["Subject"] == mail.subject
    assert msg.get_body(("plain",)).get_content() == mail.text
    assert msg.get_body(("html",)).get_content().strip() == mail.html
    [part] = list(msg.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    assert part.get_filename() == "C1__x__EUR.pdf"  # nothing a header could be broken with
    assert part.get_content() == pdf
    copy = (tmp_path / "box" / "C1-EUR-statement-2026-06.eml").read_bytes()
    assert f"<{mid}@".encode() in copy and b"application/pdf" in copy
    with pytest.raises(ValueError, match="CR or LF"):
        mime(_mail(attachments=(Attachment("a\r\nb.pdf", "application/pdf", pdf),)),
             dt.datetime.now(dt.UTC))
