"""`creditdesk handoff` (issue 12, item 5) on real workbook files: the zip's contents listed
and read back (PDFs with pypdf, every figure; CSVs parsed), a customer named `=cmd` with
accents, the Collection Status and the Hand-off History row written back with the user's
sheets carried, dunning's skip afterwards, the command's errors, and the contact history from
the real backend app in process."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from creditdesk.cli import main as cli
from creditdesk.documents.pdf import money
from creditdesk.domain.interest import round_money, statutory_interest
from creditdesk.files.xlsx_write import write_workbook
from tests.builders import AS_OF, customer, days_before, invoice, tables

KEY = "=cmd"
NAME = "=cmd Société Générale Ærø"
HISTORY = ["Date", "Customer", "Type", "Level", "Currency", "Email", "Message Id", "Note"]
MEMBERS = ["summary.pdf", "statement-activity-EUR.pdf", "statement-open-items-EUR.pdf",
           "open-items.csv", "interest.csv", "contact-history.csv", "debtor.csv"]


def _tables(**settings):
    return tables(
        customers=[customer(KEY, name=NAME, contact_name="Zoë Brontë",
                            account_number="ACC-7", address_line_1="1 Rue de l'Été",
                            city="Paris", postcode="75001", phone="+33 1 23 45 67 89"),
                   customer("C2")],
        invoices=[invoice("I1", 1200.0, days_before(120), customer=KEY, paid=200.0),
                  invoice("I2", 300.0, days_before(40), customer=KEY, reference="@PO-9"),
                  invoice("CN1", -50.0, days_before(30), customer=KEY),
                  invoice("I3", 50.0, days_before(10), customer="C2")],
        settings={"Late Payment Law": "EU", **settings},
        extra={"History": (HISTORY, [
            [days_before(20), KEY, "Reminder", 4, "EUR", "ap@x.example.com", "ses-1",
             "Final demand"],
            [days_before(19), KEY, "Delivery", None, "EUR", "ap@x.example.com", "ses-1", ""],
            [days_before(5), KEY, "Promise", None, "EUR", "", "", "+ will pay soon"],
            [days_before(5), "C2", "Note", None, "", "", "", "not theirs"]])})


@pytest.fixture
def workbook(tmp_path) -> Path:
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, _tables())
    book = openpyxl.load_workbook(path)
    notes = book.create_sheet("My notes")
    notes["A1"], notes["A2"], notes["A3"] = "keep me", 2, "=A2*21"
    book.save(path)
    return path


def run(capsys, *args, transport=None):
    code = cli.main([str(a) for a in args], transport=transport)
    out, err = capsys.readouterr()
    return code, out, err


def _zip(folder: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(folder / f"handoff-cmd-{AS_OF.isoformat()}.zip")


def _csv(z: zipfile.ZipFile, name: str) -> list[dict]:
    data = z.read(name)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads the accents
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _pdf(z: zipfile.ZipFile, name: str) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(z.read(name)))
    return len(reader.pages), " ".join(" ".join(p.extract_text() for p in reader.pages)
                                       .split())


def test_the_zip_holds_every_part_and_each_reads_back(capsys, workbook, tmp_path):
    out = tmp_path / "packs"
    out.mkdir()
    code, text, err = run(capsys, "handoff", workbook, "--customer", KEY, "-o", out)
    assert code == 0, err
    z = _zip(out)
    assert z.namelist() == MEMBERS
    assert f"Wrote {out / z.filename.split('/')[-1]}" in text

    items = _csv(z, "open-items.csv")
    assert [(r["Invoice"], r["Outstanding"], r["Days Past Due"]) for r in items] == [
        ("I1", "1000.0", "120"), ("I2", "300.0", "40"), ("CN1", "-50.0", "30")]
    assert items[1]["Reference"] == "'@PO-9"  # a formula-leading character is escaped

    ref1 = statutory_interest(1000.0, days_before(120), AS_OF, "EU")
    ref2 = statutory_interest(300.0, days_before(40), AS_OF, "EU")
    claims = _csv(z, "interest.csv")
    assert [r["Invoice"] for r in claims] == ["I1", "I2"]  # the credit note claims nothing
    assert claims[0] == {"Invoice": "I1", "Currency": "EUR", "Principal": "1000.0",
                         "Due Date": days_before(120).isoformat(), "Days": "120",
                         "Rate (%)": str(ref1.rate), "Interest": str(round_money(ref1.interest)),
                         "Compensation": "40.0", "Law": "EU"}
    interest = round_money(ref1.interest) + round_money(ref2.interest)

    history = _csv(z, "contact-history.csv")
    assert [(h["Type"], h["Channel"]) for h in history] == [
        ("Reminder", "Email"), ("Delivery", "Email"), ("Promise", "")]
    assert history[0]["Message Id"] == "ses-1"
    assert history[0]["Delivery Events"] == f"delivery {days_before(19).isoformat()}"
    assert history[2]["Note"] == "'+ will pay soon"
    assert {h["Source"] for h in history} == {"workbook"}

    debtor = {r["Field"]: r["Value"] for r in _csv(z, "debtor.csv")}
    assert debtor["Customer"] == "'=cmd" and debtor["Name"] == "'" + NAME
    assert debtor["Contact Name"] == "Zoë Brontë" and debtor["Account Number"] == "ACC-7"
    assert debtor["Phone"] == "'+33 1 23 45 67 89"
    assert debtor["Address"] == "1 Rue de l'Été, Paris, 75001"

    pages, summary = _pdf(z, "summary.pdf")
    assert pages == 1
    for words in (NAME, "ACC-7", "Zoë Brontë", "1 Rue de l'Été, Paris, 75001",
                  "+33 1 23 45 67 89", "a collection agency",
                  f"Collection Status set to With agency on {AS_OF.isoformat()}",
                  f"Outstanding (EUR) {money(1250.0, 'EUR')}",
                  f"Overdue (EUR) {money(1300.0, 'EUR')}",
                  f"{money(interest, 'EUR')} / {money(80.0, 'EUR')}",
                  f"Claim (EUR) {money(1300.0 + interest + 80.0, 'EUR')}",
                  f"I1, due {days_before(120).isoformat()}, 120 days past due",
                  "the workbook's History table only (no backend configured)",
                  f"{days_before(20).isoformat()} Reminder level 4 (Email) Final demand; "
                  f"delivery {days_before(19).isoformat()}"):
        assert words in summary, words
    assert "not theirs" not in summary

    _, statement = _pdf(z, "statement-open-items-EUR.pdf")
    for figure in ("1,000.00", "300.00", "-50.00", "1,250.00"):
        assert figure in statement
    _, activity = _pdf(z, "statement-activity-EUR.pdf")
    start = AS_OF.replace(year=AS_OF.year - 1).toordinal() + 1
    assert f"Period {AS_OF.fromordinal(start).isoformat()} to {AS_OF.isoformat()}" in activity
    for figure in ("1,200.00", "-200.00", "1,250.00"):
        assert figure in activity


def test_the_status_and_the_history_row_are_written_back_and_sheets_carried(capsys,
                                                                            workbook):
    before = workbook.read_bytes()
    code, text, err = run(capsys, "handoff", workbook, "--customer", KEY, "--to", "legal",
                          "--json")
    assert code == 0, err
    doc = json.loads(text)
    assert doc["status"] == "Legal" and doc["to"] == "legal" and doc["files"] == MEMBERS
    assert Path(doc["zip"]).parent == workbook.parent
    assert Path(doc["backup"]).read_bytes() == before
    book = openpyxl.load_workbook(workbook)
    ws = book["Customers"]
    head = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2,
                                                                          values_only=True)}
    assert rows[KEY]["Collection Status"] == "Legal"
    assert rows["C2"]["Collection Status"] is None
    hist = list(book["History"].iter_rows(values_only=True))
    last = dict(zip(hist[0], hist[-1], strict=False))
    assert (last["Customer"], last["Type"], last["Date"].date()) == (KEY, "Hand-off", AS_OF)
    assert "solicitors" in last["Note"] and "handoff-cmd-" in last["Note"]
    assert len(hist) == 1 + 4 + 1  # the rows there were, and the hand-off
    assert book["My notes"]["A1"].value == "keep me"
    assert book["My notes"]["A3"].value == "=A2*21"  # a formula stays a formula
    # dunning no longer chases the customer, and says why
    code, text, err = run(capsys, "remind", workbook, "--json")
    assert code == 0, err
    remind = json.loads(text)
    assert KEY not in {r["customer"] for r in remind["reminders"]}
    (skip,) = [s for s in remind["skipped"] if s["customer"] == KEY]
    assert "solicitors" in skip["reason"] and "Legal" in skip["reason"]
    # the History's Hand-off row is a known type: no issue about it
    assert not [i for i in remind["issues"] if i["sheet"] == "History"]


def test_the_hand_off_rule_lists_the_customer_in_check_and_on_the_results_sheet(
        capsys, workbook, tmp_path):
    code, text, err = run(capsys, "check", workbook, "--json", "-o", tmp_path / "r.xlsx")
    assert code == 0, err
    (row,) = json.loads(text)["handoff"]
    assert row == {"customer": KEY, "name": NAME, "overdue": 1300.0,
                   "oldest_days_overdue": 120, "oldest_invoice": "I1", "open_items": 2,
                   "final_level": "Final demand", "final_sent": days_before(20).isoformat()}
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["Hand-off"]
    values = [[c for c in r if c is not None] for r in ws.iter_rows(values_only=True)]
    assert any(KEY in r and 1300.0 in r and "I1" in r for r in values), values
    assert run(capsys, "handoff", workbook, "--customer", KEY)[0] == 0
    code, text, _ = run(capsys, "check", workbook, "--json")
    assert json.loads(text)["handoff"] == []  # handed off: no longer listed


def test_the_commands_errors_are_one_line_and_nothing_is_written(capsys, workbook, tmp_path):
    before = workbook.read_bytes()
    cases = [(("--customer", "C9"), "no customer 'C9' in the Customers table"),
             (("--customer", KEY, "--to", "court"), "invalid choice: 'court'"),
             (("--customer", KEY, "-o", workbook), "is a file; give a folder"),
             (("--customer", KEY, "-o", tmp_path / "no" / "such"), "does not exist")]
    for args, words in cases:
        code, _, err = run(capsys, "handoff", workbook, *args)
        assert code == 2 and words in err, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "handoff", tmp_path / "missing.xlsx", "--customer", KEY)
    assert code == 2 and "not a workbook file" in err
    lock = workbook.with_name("~$" + workbook.name)
    lock.write_bytes(b"")
    code, _, err = run(capsys, "handoff", workbook, "--customer", KEY)
    assert code == 2 and "open in Excel" in err
    lock.unlink()
    macro = tmp_path / "ledger.xlsm"
    shutil.copy(workbook, macro)
    code, _, err = run(capsys, "handoff", macro, "--customer", KEY)
    assert code == 2 and "holds macros" in err
    assert workbook.read_bytes() == before
    assert not list(tmp_path.glob("*.zip"))
    # a second pack the same day is refused without --force, and made with it
    assert run(capsys, "handoff", workbook, "--customer", KEY)[0] == 0
    code, _, err = run(capsys, "handoff", workbook, "--customer", KEY)
    assert code == 2 and "exists; use --force" in err
    code, text, err = run(capsys, "handoff", workbook, "--customer", KEY, "--force")
    assert code == 0 and "(it was With agency)" in text, err


def test_an_unreachable_backend_leaves_the_workbook_history_and_says_so(capsys, workbook,
                                                                        monkeypatch):
    monkeypatch.setenv(cli.KEY_ENV, "cd_test_key")
    code, text, err = run(capsys, "handoff", workbook, "--customer", KEY, "--json",
                          "--url", "http://127.0.0.1:9")
    assert code == 0, err
    doc = json.loads(text)
    assert doc["history_source"].startswith(
        "the workbook's History table only: the backend could not be reached")
    assert len(doc["history"]) == 3


def test_the_contact_history_comes_from_the_backend_too(capsys, backend_app, tmp_path,
                                                        monkeypatch):
    from creditdesk.api.client import Client

    key = backend_app.new_tenant()
    monkeypatch.setenv(cli.URL_ENV, backend_app.url)
    monkeypatch.setenv(cli.KEY_ENV, key)
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, _tables())
    with Client(backend_app.url, key, transport=backend_app.transport()) as cd:
        note = cd.add_note(KEY, "=HYPERLINK(\"x\") called, no answer")
        cd.add_note("C2", "someone else")
    code, text, err = run(capsys, "handoff", path, "--customer", KEY, "--json",
                          transport=backend_app.transport())
    assert code == 0, err
    doc = json.loads(text)
    assert doc["history_source"] == ("the workbook's History table and the backend "
                                     "(1 event(s), 1 not in the workbook)")
    (theirs,) = [e for e in doc["history"] if e["source"] == "backend"]
    assert theirs["event_id"] == note.id and theirs["type"] == "Note"
    with zipfile.ZipFile(doc["zip"]) as z:
        rows = _csv(z, "contact-history.csv")
        assert rows[-1]["Note"] == "'=HYPERLINK(\"x\") called, no answer"
        assert rows[-1]["Source"] == "backend"
        assert "and the backend" in _pdf(z, "summary.pdf")[1]
    assert os.environ[cli.KEY_ENV] not in text


def test_a_reminder_sent_through_the_backend_is_in_the_pack_with_its_message_id(
        capsys, backend_app, tmp_path, monkeypatch):
    monkeypatch.setenv(cli.URL_ENV, backend_app.url)
    monkeypatch.setenv(cli.KEY_ENV, backend_app.new_tenant())
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, _tables())
    wire = backend_app.transport()
    code, _, err = run(capsys, "send", path, "--as-of-ok", "--now", "--yes", "--json",
                       transport=wire)
    assert code == 0, err
    code, text, err = run(capsys, "handoff", path, "--customer", "C2", "--json",
                          transport=wire)
    assert code == 0, err
    doc = json.loads(text)
    sent = [e for e in doc["history"] if e["type"] == "Reminder"]
    assert sent and all(e["source"] == "backend" and e["message_id"] for e in sent)
    assert sent[0]["channel"] == "Email" and sent[0]["level"] == 2
    with zipfile.ZipFile(doc["zip"]) as z:
        rows = _csv(z, "contact-history.csv")
        assert sent[0]["message_id"] in {r["Message Id"] for r in rows}
        assert "the workbook's History table and the backend" in _pdf(z, "summary.pdf")[1]


def test_the_summary_stays_one_page_with_a_long_history_and_two_currencies(capsys, tmp_path):
    t = _tables(**{"Base Currency": "EUR"})
    h, rows = t["History"]
    rows = [*rows, *([days_before(200 - k), KEY, "Note", None, "", "", "", f"call {k}"]
                     for k in range(60))]
    t["History"] = (h, rows)
    ih, irows = t["Invoices"]
    t["Invoices"] = (ih, [*irows, ["U1", KEY, days_before(150), days_before(100),
                                   "USD", 900.0, "", "", "", ""]])
    t["FX"] = (["Currency", "Rate"], [["USD", 0.9]])
    path = tmp_path / "long.xlsx"
    write_workbook(path, t)
    code, text, err = run(capsys, "handoff", path, "--customer", KEY, "--json")
    assert code == 0, err
    doc = json.loads(text)
    assert [x["currency"] for x in doc["totals"]] == ["EUR", "USD"]
    with zipfile.ZipFile(doc["zip"]) as z:
        assert "statement-open-items-USD.pdf" in z.namelist()
        pages, summary = _pdf(z, "summary.pdf")
        assert pages == 1
        assert f"of {len(doc['history'])} contacts; all are in contact-history.csv" in summary
        assert "call 59" in summary and "call 0 " not in summary  # the latest are shown
        assert len(_csv(z, "contact-history.csv")) == len(doc["history"]) == 63


def test_a_name_the_pdf_font_lacks_is_said_once_and_kept_in_the_csv(capsys, tmp_path):
    t = _tables()
    h, rows = t["Customers"]
    rows = [list(r) for r in rows]
    rows[1][h.index("Name")] = "東京 Trading"
    t["Customers"] = (h, rows)
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, t)
    code, _, err = run(capsys, "handoff", path, "--customer", "C2")
    assert code == 0
    assert "C2: the PDF font has no 東京; those letters are blank" in err
    with zipfile.ZipFile(tmp_path / f"handoff-C2-{AS_OF.isoformat()}.zip") as z:
        assert {r["Field"]: r["Value"] for r in _csv(z, "debtor.csv")}["Name"] == "東京 Trading"


def test_cli_doc_names_every_field_of_the_handoff_document_and_no_other(capsys, workbook):
    from tests.unit.test_docs import _json_sections, _keys, _names

    code, text, err = run(capsys, "handoff", workbook, "--customer", KEY, "--json")
    assert code == 0, err
    assert _keys(json.loads(text)) == _names(_json_sections()["handoff"])
