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
