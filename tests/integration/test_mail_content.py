"""What a debtor receives, end to end on real workbook files: the drafts of
``creditdesk remind --drafts`` and the mail the backend app (in process, on moto) sends for
``creditdesk send``. From the workbook's Sender Email, greeting the Contact Name, with the
account number, the Reference column and the Payment Details, German dates and money for a
German customer, no internal header, and a final demand that lists nothing not yet due."""

from __future__ import annotations

import datetime as dt
import email
import json
from email import policy
from pathlib import Path

import pytest

from creditdesk.cli import main as cli
from creditdesk.files.xlsx_write import write_workbook
from tests.builders import AS_OF, customer, days_before, invoice, tables
from tests.support.transports import Wire

HISTORY = ["Date", "Customer", "Type", "Level", "Currency", "Email", "Message Id", "Note"]
KEYS = ("A/B", "A:B", "Zürich 1")
PAY = "Bank: Lloyds, sort code 30-00-00, account 12345678\nQuote the invoice number"


def company_workbook(path: Path) -> Path:
    """Five reminders as of 2026-06-30: DE1 (German, a Contact Name, a Reference) level 2,
    FIN a final demand with an invoice falling due in 3 days, and three awkward keys."""
    custs = [customer("DE1", Name="Beck GmbH", Language="de", **{"Contact Name": "Anna Beck",
                      "Account Number": "K-100"}),
             customer("FIN", Name="Wonka Trading Ltd"),
             *(customer(k, Email=f"ap{i}@keys.example.com") for i, k in enumerate(KEYS))]
    invs = [invoice("DE-1", 1234.56, days_before(10), "DE1", Reference="PO-4711"),
            invoice("F-OLD", 900.0, days_before(40), "FIN", Reference="REF-OLD"),
            invoice("F-SOON", 300.0, AS_OF + dt.timedelta(days=3), "FIN"),
            *(invoice(f"K-{i}", 100.0, days_before(10), k) for i, k in enumerate(KEYS))]
    history = {"History": (HISTORY, [[days_before(10), "FIN", "Reminder", 3, "EUR"]])}
    write_workbook(path, tables(custs, invs, {
        "Company Name": "Acme Supplies Ltd", "Sender Email": "credit.control@acme.example",
        "Reply To": "ar@acme.example", "Payment Details": PAY, "Phone": "+44 20 7946 0000",
        "Late Payment Law": "UK"}, extra=history))
    return path


@pytest.fixture
def workbook(tmp_path) -> Path:
    return company_workbook(tmp_path / "ledger.xlsx")


def _read(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def _body(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def test_remind_writes_one_draft_per_reminder_under_a_safe_unique_name(capsys, workbook,
                                                                        tmp_path):
    drafts = tmp_path / "drafts"
    assert cli.main(["remind", str(workbook), "--drafts", str(drafts)]) == 0
    out = capsys.readouterr().out
    assert f"5 draft(s) written to {drafts}/" in out
    names = sorted(p.name for p in drafts.iterdir())
    assert len(names) == 5 and "DE1-EUR-level2.eml" in names and "FIN-EUR-level4.eml" in names
    odd = [n for n in names if n not in ("DE1-EUR-level2.eml", "FIN-EUR-level4.eml")]
    assert all(n.isascii() and "/" not in n and ":" not in n for n in odd)
    assert {n.split("~")[0] for n in odd} == {"A_B", "Zurich_1"}  # two A_B, told apart
    german = _read(drafts / "DE1-EUR-level2.eml")
    assert german["X-Unsent"] == "1"
    assert german["From"].addresses[0].addr_spec == "credit.control@acme.example"
    text = _body(german)
    assert text.startswith("Guten Tag Anna Beck,")
    assert "1.234,56 €" in text and "20.06.2026" in text and "PO-4711" in text
    assert "K-100" in text and "Quote the invoice number" in text


def test_drafts_with_json_keep_stdout_one_document(capsys, workbook, tmp_path):
    assert cli.main(["remind", str(workbook), "--json", "--drafts", str(tmp_path / "d")]) == 0
    out, err = capsys.readouterr()
    assert len(json.loads(out)["reminders"]) == 5 and "5 draft(s) written" in err


def test_drafts_into_a_file_is_refused_in_one_line(capsys, workbook, tmp_path):
    (tmp_path / "f").write_text("x")
    assert cli.main(["remind", str(workbook), "--drafts", str(tmp_path / "f")]) != 0
    assert "is a file, not a folder" in capsys.readouterr().err


def test_the_mail_the_backend_sends_is_the_companys(capsys, backend_app, monkeypatch,
                                                    workbook):
    monkeypatch.setenv(cli.URL_ENV, backend_app.url)
    monkeypatch.setenv(cli.KEY_ENV, backend_app.new_tenant())
    code = cli.main(["send", str(workbook), "--yes", "--as-of-ok", "--now"],
                    transport=Wire(backend_app.transport()))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Done: 5 sent" in out
    box = backend_app.outbox
    german = _read(box / "DE1-EUR-level2.eml")
    assert german["From"].addresses[0].addr_spec == "credit.control@acme.example"
    assert german["From"].addresses[0].display_name == "Acme Supplies Ltd"
    assert str(german["Reply-To"]) == "ar@acme.example"
    for path in box.glob("*.eml"):
        assert not [h for h in _read(path) if h.casefold().startswith("x-creditdesk")]
    text = _body(german)
    assert text.startswith("Guten Tag Anna Beck,")
    assert "Referenz" in text and "PO-4711" in text and "1.234,56 €" in text
    assert "Bank: Lloyds, sort code 30-00-00" in text and "+44 20 7946 0000" in text
    html = german.get_body(("html",)).get_content()
    assert "PO-4711" in html and "Bank: Lloyds" in html
    final = _read(box / "FIN-EUR-level4.eml")
    assert final["Subject"].startswith("Final demand:")
    body = _body(final)
    assert body.startswith("Dear Accounts team at Wonka Trading Ltd,")
    assert "F-OLD" in body and "REF-OLD" in body and "F-SOON" not in body
    assert "Falling due soon" not in body and "collection agency" in body


def test_drafts_of_a_plan_workbook_read_as_plan_mails(capsys, tmp_path):
    """A workbook with an Active plan (PL-1: I-1 and I-2, 2 x 450.00 monthly from 3 Jul
    2026) and a German customer with another (PL-2: 3 x 200.00 from 10 Jun, none paid: one
    missed): `remind --drafts` writes a courtesy note for the first and a missed-instalment
    reminder for the second, in their languages."""
    from creditdesk.domain.contract import PLANS

    custs = [customer("C1", Name="Wonka Trading Ltd"),
             customer("DE1", Name="Beck GmbH", Language="de",
                      **{"Contact Name": "Anna Beck", "Account Number": "K-100"})]
    invs = [invoice("I-1", 500.0, days_before(60), "C1"),
            invoice("I-2", 400.0, days_before(30), "C1"),
            invoice("D-1", 600.0, days_before(45), "DE1")]
    plans = ([c.header for c in PLANS.columns],
             [["PL-1", "C1", "I-1; I-2", dt.date(2026, 7, 3), "Monthly", 2, "Active", None,
               None],
              ["PL-2", "DE1", "D-1", dt.date(2026, 6, 10), "Monthly", 3, "Active", None,
               None]])
    path = tmp_path / "plans.xlsx"
    write_workbook(path, tables(custs, invs, {
        "Company Name": "Acme Supplies Ltd", "Sender Email": "credit.control@acme.example",
        "Payment Details": PAY}, extra={"Plans": plans}))
    drafts = tmp_path / "drafts"
    assert cli.main(["remind", str(path), "--drafts", str(drafts)]) == 0
    assert "2 draft(s) written" in capsys.readouterr().out
    assert sorted(p.name for p in drafts.iterdir()) == ["C1-EUR-level1.eml",
                                                        "DE1-EUR-level2.eml"]
    note = _read(drafts / "C1-EUR-level1.eml")
    assert note["Subject"] == ("Payment plan PL-1: instalment 1 of 2, €450.00 due 3 July "
                               "2026 - account C1 - Acme Supplies Ltd")
    text = _body(note)
    assert text.startswith("Dear Accounts team at Wonka Trading Ltd,\n\nA friendly note "
                           "about your payment plan PL-1 on account C1: instalment 1 of 2, "
                           "€450.00, falls due on 3 July 2026.")
    assert "I-1      1 Apr 2026  3 Jul 2026  due in 3 days  €500.00" in text
    assert "I-2      1 May 2026  3 Jul 2026  due in 3 days  €400.00" in text
    assert "The plan's total is €900.00; €900.00 is left to pay." in text
    assert "2           3 Aug 2026  €450.00  due" in text and "Total: €450.00" in text
    assert "Quote the invoice number" in text
    html = note.get_body(("html",)).get_content()
    assert "<td>1</td><td>3 Jul 2026</td>" in html
    german = _read(drafts / "DE1-EUR-level2.eml")
    assert german["Subject"] == ("Versäumte Rate: 200,00 € - Ratenplan PL-2 - Kundennummer "
                                 "K-100 - Acme Supplies Ltd")
    text = _body(german)
    assert text.startswith("Guten Tag Anna Beck,\n\ndie Rate 1 von 3 Ihres Ratenplans PL-2 "
                           "zur Kundennummer K-100 über 200,00 € war am 10. Juni 2026 fällig")
    assert "D-1       16.04.2026  10.06.2026  20 Tage überfällig  600,00 €" in text
    assert "1     10.06.2026  200,00 €  versäumt" in text
    assert "Werden 2 Raten versäumt, endet der Ratenplan" in text
    assert "Jetzt fällig: 200,00 €" in text
