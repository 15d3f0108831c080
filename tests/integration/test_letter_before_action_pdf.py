"""The letter before action (issue 12, item 4) through ``creditdesk letters``, on a real
workbook file with one Individual and one Business at the final level: the PDFs read back
with pypdf carry what the Pre-Action Protocol for Debt Claims (the Individual) and the
Practice Direction on Pre-Action Conduct (the Business) ask for, with every figure; the
Individual's PDF encloses the statement of account as its own pages; once printed, chasing
waits the period to reply."""

import datetime as dt
import json

import pytest
from pypdf import PdfReader

from creditdesk.analysis.documents import BeforeAction, LettersReport
from creditdesk.cli import main as cli
from creditdesk.domain.interest import statutory_interest
from creditdesk.documents.letter_pdf import letter_file_name
from creditdesk.files.xlsx_write import write_workbook
from tests.builders import customer, days_before, invoice, tables

AS_OF = dt.date(2026, 6, 30)
LEVELS = (["Level", "Name", "Days After Due", "Template", "Channel", "Add Interest",
           "Letter Before Action"],
          [[1, "First reminder", 7, "first_reminder", "Email", "No", "No"],
           [2, "Final demand", 21, "final_demand", "Email", "Yes", "No"],
           [3, "Letter before action", 35, "letter_before_action", "Letter", "Yes", "Yes"]])
SETTINGS = {"Base Currency": "GBP", "Late Payment Law": "UK", "Company Name": "Acme Tools Ltd",
            "Reply To": "credit@acme.example.com", "Phone": "0113 496 0000",
            "Payment Details": "Bank: Example Bank\nSort code 12-34-56, account 12345678",
            "Company Address": "1 Mill Lane\nLeeds\nLS2 8AA"}
ADDRESS = {"Address Line 1": "4 Park Road", "City": "York", "Postcode": "YO1 7AB"}


def _tables():
    customers = [customer("IND", Name="Jane Smith", Debtor_Type="Individual", **ADDRESS),
                 customer("BIZ", Name="Bolt Traders Ltd", Debtor_Type="Business", **ADDRESS)]
    invoices = [invoice("I-100", 480.0, days_before(60), "IND", Currency="GBP"),
                invoice("I-101", 250.0, days_before(45), "IND", Currency="GBP"),
                invoice("B-200", 1500.0, days_before(50), "BIZ", Currency="GBP")]
    history = (["Date", "Customer", "Type", "Level", "Currency", "Note"],
               [[days_before(10), "IND", "Reminder", 2, "GBP", ""],
                [days_before(10), "BIZ", "Reminder", 2, "GBP", ""]])
    return tables(customers, invoices, settings=SETTINGS,
                  extra={"Dunning Levels": LEVELS, "History": history})


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("lba") / "ledger.xlsx"
    write_workbook(path, _tables())
    return path


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _text(pages) -> str:
    return " ".join(" ".join(p.extract_text() for p in pages).split())


@pytest.fixture(scope="module")
def written(workbook, tmp_path_factory):
    folder = tmp_path_factory.mktemp("out")
    assert cli.main(["letters", str(workbook), "-o", str(folder)]) == 0
    return folder


@pytest.fixture(scope="module")
def report(workbook):
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert cli.main(["letters", str(workbook), "--json"]) == 0
    return LettersReport.model_validate(json.loads(buf.getvalue()))


def _by(report, customer):
    return next(x for x in report.letters if x.customer == customer)


def test_both_debtors_get_a_letter_before_action_of_their_kind(report):
    assert {x.customer: x.before_action.debtor_type for x in report.letters} == {
        "IND": "Individual", "BIZ": "Business"}
    ind, biz = _by(report, "IND").before_action, _by(report, "BIZ").before_action
    assert (ind.reply_days, ind.reply_by) == (30, dt.date(2026, 7, 30))
    assert (biz.reply_days, biz.reply_by) == (14, dt.date(2026, 7, 14))
    assert ind.statement is not None and biz.statement is None
    assert ind.reply_address == ["Acme Tools Ltd", "1 Mill Lane", "Leeds", "LS2 8AA",
                                 "E-mail: credit@acme.example.com", "Phone: 0113 496 0000"]


def test_the_individual_owes_no_statutory_interest_the_business_does(report):
    ind, biz = _by(report, "IND"), _by(report, "BIZ")
    assert ind.interest == 0 and ind.compensation == 0 and ind.total == 730.0
    assert ind.computation == []
    assert ind.before_action.interest == "No interest or other charges are being added to " \
                                         "the debt."
    r = statutory_interest(1500.0, days_before(50), AS_OF, "UK")
    assert biz.interest == pytest.approx(r.interest, abs=0.005)
    assert biz.compensation == 70.0 and biz.total == pytest.approx(1570.0 + r.interest,
                                                                    abs=0.01)
    assert biz.before_action.interest.startswith(
        "Interest under the Late Payment of Commercial Debts (Interest) Act 1998 continues")


def test_the_individual_s_pdf_carries_what_the_protocol_asks_for(report, written):
    x = _by(report, "IND")
    reader = PdfReader(written / letter_file_name(x))
    text = _text(reader.pages)
    lba: BeforeAction = x.before_action
    for part in ("Letter before action under the Pre-Action Protocol for Debt Claims",
                 "The amount of the debt is GBP 730.00, on your account IND",
                 "No interest or other charges are being added",  # interest continues?
                 "How to pay", "Sort code 12-34-56, account 12345678",  # how to pay
                 f"account {x.account}", "I-100", "480.00", "I-101", "250.00",  # invoices
                 "within 30 days of the date of this letter, that is by 2026-07-30",
                 "Reply by 2026-07-30",
                 "Information Sheet (Pre-Action Protocol for Debt Claims, Annex 1)",
                 "Reply Form (Pre-Action Protocol for Debt Claims, Annex 1)",
                 "Financial Statement", "Enclosed", "debt advice",
                 "What you should do now", "1 Mill Lane", "LS2 8AA",
                 "credit@acme.example.com", "we may start court proceedings",
                 "Dear Jane Smith,"):  # an Individual is greeted by name
        assert part in text, part
    for step in lba.steps:
        assert " ".join(step.split()) in text, step
    # the statement of account: its own pages of the same PDF, with its figures
    s = lba.statement
    statement_pages = [p for p in reader.pages if "Statement of open items" in p.extract_text()]
    assert statement_pages, "no statement pages"
    st = _text(statement_pages)
    for ln in s.lines:
        assert ln.reference in st and f"{ln.amount:,.2f}" in st
    assert s.closing_balance == 730.0 and "730.00" in st and "Remittance slip" in st
    assert reader.pages[0].extract_text().count("Statement of open items") == 0


def test_the_business_pdf_carries_the_practice_direction_s_letter(report, written):
    x = _by(report, "BIZ")
    reader = PdfReader(written / letter_file_name(x))
    text = _text(reader.pages)
    for part in ("Letter before action under the Practice Direction on Pre-Action Conduct "
                 "and Protocols", f"Our claim is for GBP {x.total:,.2f}",
                 "within 14 days of the date of this letter, that is by 2026-07-14",
                 "alternative dispute resolution", "B-200", "1,500.00",
                 f"{x.interest:,.2f}", "70.00", "How to pay",
                 "statutory interest under the Late Payment of Commercial Debts"):
        assert part in text, part
    for absent in ("Reply Form", "Information Sheet", "What you should do now",
                   "Statement of open items"):
        assert absent not in text, absent


def test_after_printing_chasing_waits_for_the_reply(capsys, workbook, tmp_path):
    printed = tmp_path / "printed.xlsx"
    code, out, err = run(capsys, "letters", workbook, "--printed", printed)
    assert code == 0, err
    code, out, err = run(capsys, "remind", printed, "--json")
    assert code == 0, err
    skipped = {s["customer"]: s["reason"] for s in json.loads(out)["skipped"]}
    assert skipped["IND"] == ("letter before action sent on 2026-06-30: the Pre-Action "
                              "Protocol for Debt Claims gives 30 days to reply; no chasing "
                              "until after 2026-07-30")
    assert skipped["BIZ"].endswith("no chasing until after 2026-07-14")
    code, out, _ = run(capsys, "remind", printed, "--as-of", "2026-07-15", "--json")
    after = json.loads(out)
    assert "BIZ" in {m["customer"] for m in after["reminders"]}
    assert "IND" in {s["customer"] for s in after["skipped"]}


def _letters(settings):
    from creditdesk.analysis.letters import letters_report
    from creditdesk.analysis.report import Analysis
    from creditdesk.domain.ledger import build_ledger, raw_tables

    t = _tables()
    h, rows = t["Settings"]
    t["Settings"] = (h, [*rows, *([k, v] for k, v in settings.items())])
    ledger = build_ledger(raw_tables(t))
    assert not ledger.issues, ledger.issues
    return {x.customer: x for x in letters_report(Analysis(ledger)).letters}


def test_with_a_contract_rate_the_individual_owes_it_and_the_letter_says_it_continues():
    letters = _letters({"Contract Interest Rate": 5})
    ind, biz = letters["IND"], letters["BIZ"]
    expected = 480.0 * 0.05 * 60 / 365 + 250.0 * 0.05 * 45 / 365
    assert ind.interest == pytest.approx(expected, abs=0.01) and ind.compensation == 0
    assert ind.before_action.interest.startswith("Interest continues to be added at the "
                                                 "contract rate of 5% a year")
    assert ind.before_action.paragraphs[0].startswith(
        f"We are writing to you under the Pre-Action Protocol for Debt Claims. The amount of "
        f"the debt is GBP {ind.total:,.2f}: GBP 730.00 of unpaid invoices and GBP "
        f"{ind.interest:,.2f} of interest")
    assert all(c.startswith(("I-100: interest at the contract rate of 5% a year",
                             "I-101: interest at the contract rate of 5% a year"))
               for c in ind.computation) and len(ind.computation) == 2
    assert biz.compensation == 70.0
    assert biz.before_action.interest.startswith(
        "Interest under the Late Payment of Commercial Debts (Interest) Act 1998 continues to "
        "run at the contract rate of 5% a year")


def test_a_level_that_adds_no_interest_says_none_is_added_and_business_reply_days_counts():
    t = _tables()
    h, rows = t["Dunning Levels"]
    t["Dunning Levels"] = (h, [*rows[:2], [*rows[2][:5], "No", "Yes"]])
    sh, srows = t["Settings"]
    t["Settings"] = (sh, [*srows, ["Business Reply Days", 21]])
    from creditdesk.analysis.letters import letters_report
    from creditdesk.analysis.report import Analysis
    from creditdesk.domain.ledger import build_ledger, raw_tables

    letters = {x.customer: x for x in letters_report(Analysis(build_ledger(raw_tables(t))))
               .letters}
    biz = letters["BIZ"]
    assert biz.interest == 0 and biz.compensation == 0
    assert biz.before_action.interest == ("No interest or other charges are being added to "
                                          "the debt.")
    assert biz.before_action.reply_by == dt.date(2026, 7, 21)
    assert letters["IND"].before_action.reply_by == dt.date(2026, 7, 30)


def test_the_cli_doc_names_every_field_of_a_letter_before_action(capsys, workbook):
    from tests.unit.test_docs import _json_sections, _keys, _model_fields, _names

    printed = json.loads(run(capsys, "letters", workbook, "--json")[1])
    assert _keys(printed) == _model_fields(LettersReport)
    sections = _json_sections()
    documented = _names(sections["letters"]) | _names(sections["statements"]) | {
        "invoice", "invoice_date", "due_date", "days_overdue", "status", "outstanding"}
    assert _keys(printed) <= documented


def test_the_cli_lists_the_letters_before_action_and_says_what_to_enclose(capsys, workbook,
                                                                         tmp_path):
    code, out, err = run(capsys, "letters", workbook)
    assert code == 0 and not err, err
    assert "(letter before action, Individual: reply by 2026-07-30)" in out
    assert "(letter before action, Business: reply by 2026-07-14)" in out
    assert ("1 letters before action to individuals (Pre-Action Protocol for Debt Claims): "
            "enclose with each the Information Sheet and Reply Form") in out
    t = _tables()
    h, rows = t["Settings"]
    t["Settings"] = (h, [r for r in rows if r[0] not in ("Company Address", "Payment Details")])
    bare = tmp_path / "bare.xlsx"
    write_workbook(bare, t)
    code, out, err = run(capsys, "letters", bare)
    assert code == 0
    assert "Settings has no Company Address: the Protocol asks a letter before action to say " \
           "where to send the Reply Form" in err
    assert "Settings has no Payment Details" in err
    assert "Country" not in err
    t["Settings"] = (h, [*t["Settings"][1], ["Country", "DE"]])
    write_workbook(bare, t)
    code, out, err = run(capsys, "letters", bare)
    assert code == 0
    assert ("Settings' Country is DE: letters before action follow the rules of England and "
            "Wales") in err


def test_a_printed_letter_before_action_is_noted_as_one_in_the_history(capsys, workbook,
                                                                       tmp_path):
    from openpyxl import load_workbook

    printed = tmp_path / "printed.xlsx"
    assert run(capsys, "letters", workbook, "--printed", printed)[0] == 0
    rows = list(load_workbook(printed, read_only=True)["History"].iter_rows(values_only=True))
    notes = [r[rows[0].index("Note")] for r in rows[1:]]
    assert sorted(n for n in notes if n) == ["Letter before action printed and posted "
                                             "(BIZ-L3-20260630)",
                                             "Letter before action printed and posted "
                                             "(IND-L3-20260630)"]
