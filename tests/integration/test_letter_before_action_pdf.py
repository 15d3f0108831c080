"""The letter before action (issue 12, item 4) through ``creditdesk letters``, on a real
workbook file with an Individual, a Business and a Sole Trader at the final level: the PDFs
read back with pypdf carry what the Pre-Action Protocol for Debt Claims (the Individual, the
Sole Trader) and the Practice Direction on Pre-Action Conduct (the Business) ask for, with
every figure, in the order of a letter (body, the before-action section, the enclosures, the
sign-off); under the Protocol the PDF encloses the statement of account as its own pages,
with the interest and compensation claimed as its lines and the amount claimed; once
printed, chasing waits the period to reply."""

import datetime as dt
import json

import pytest
from pypdf import PdfReader

from creditdesk.analysis.documents import BeforeAction, LettersReport
from creditdesk.cli import main as cli
from creditdesk.documents.letter_pdf import letter_file_name
from creditdesk.domain.interest import statutory_interest
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
                 customer("BIZ", Name="Bolt Traders Ltd", Debtor_Type="Business", **ADDRESS),
                 customer("SOL", Name="Sam Jones", Debtor_Type="Sole Trader", **ADDRESS)]
    invoices = [invoice("I-100", 480.0, days_before(60), "IND", Currency="GBP"),
                invoice("I-101", 250.0, days_before(45), "IND", Currency="GBP"),
                invoice("B-200", 1500.0, days_before(50), "BIZ", Currency="GBP"),
                invoice("S-300", 900.0, days_before(55), "SOL", Currency="GBP"),
                invoice("S-301", 400.0, days_before(40), "SOL", Currency="GBP"),
                # not yet due: on the statement, not claimed by the letter
                invoice("S-302", 120.0, AS_OF + dt.timedelta(days=10), "SOL", Currency="GBP",
                        Invoice_Date=days_before(20))]
    history = (["Date", "Customer", "Type", "Level", "Currency", "Note"],
               [[days_before(10), "IND", "Reminder", 2, "GBP", ""],
                [days_before(10), "BIZ", "Reminder", 2, "GBP", ""],
                [days_before(10), "SOL", "Reminder", 2, "GBP", ""]])
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
        "IND": "Individual", "BIZ": "Business", "SOL": "Sole Trader"}
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
    assert ("2 letters before action to individuals or sole traders (Pre-Action Protocol for "
            "Debt Claims): enclose with each the Information Sheet and Reply Form") in out
    assert "(letter before action, Sole Trader: reply by 2026-07-30)" in out
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
    assert sorted(n for n in notes if n) == [f"Letter before action printed and posted "
                                             f"({c}-L3-20260630)" for c in ("BIZ", "IND", "SOL")]


# -- the statement's interest lines, the letter's order, the Sole Trader ------------------


def _positions(text, *parts):
    at = [text.find(p) for p in parts]
    assert all(k >= 0 for k in at), dict(zip(parts, at, strict=True))
    return at


def test_the_sole_trader_gets_the_protocol_s_letter_and_the_law_s_interest(report):
    x = _by(report, "SOL")
    lba = x.before_action
    assert (lba.debtor_type, lba.rules, lba.reply_days) == (
        "Sole Trader", "the Pre-Action Protocol for Debt Claims", 30)
    assert lba.steps and lba.statement is not None
    due = {"S-300": days_before(55), "S-301": days_before(40)}
    amounts = {"S-300": 900.0, "S-301": 400.0}
    for ln in x.invoices:
        r = statutory_interest(amounts[ln.invoice], due[ln.invoice], AS_OF, "UK")
        assert ln.interest == pytest.approx(r.interest, abs=0.005) and r.interest > 0
        assert ln.compensation == 40.0  # each under GBP 1,000
    assert x.compensation == 80.0
    assert lba.paragraphs[0].startswith(
        f"We are writing to you under the Pre-Action Protocol for Debt Claims. The amount of "
        f"the debt is GBP {x.total:,.2f}: GBP 1,300.00 of unpaid invoices, GBP "
        f"{x.interest:,.2f} of interest and GBP 80.00 of fixed compensation")
    assert lba.interest.startswith("Interest under the Late Payment of Commercial Debts")


def test_the_enclosed_statement_lists_the_interest_and_compensation_to_the_amount_claimed(
        report, written):
    x = _by(report, "SOL")
    lba = x.before_action
    assert [(c.type, c.reference) for c in lba.charges] == [
        ("Interest", "S-300"), ("Compensation", "S-300"), ("Interest", "S-301"),
        ("Compensation", "S-301")]
    by = {(ln.invoice, "Interest"): ln.interest for ln in x.invoices} | {
        (ln.invoice, "Compensation"): ln.compensation for ln in x.invoices}
    assert all(c.amount == by[c.reference, c.type] for c in lba.charges)
    s = lba.statement
    assert s.closing_balance == 1420.0 and lba.not_claimed == 120.0  # S-302 is not yet due
    assert lba.claimed == x.total == pytest.approx(
        s.closing_balance - lba.not_claimed + sum(c.amount for c in lba.charges), abs=0.005)
    reader = PdfReader(written / letter_file_name(x))
    st = _text(p for p in reader.pages if "Statement of open items" in p.extract_text())
    head, _, charges = st.partition("Interest and charges added since the debt was incurred")
    assert charges, "no interest lines on the statement"
    assert "S-302" in head and "120.00" in head  # the open items, the not yet due one too
    _positions(charges, "Not claimed", "-120.00", "1,300.00")  # the balance claimed
    balance = 1300.0
    for c in lba.charges:
        balance += c.amount
        assert f"{c.type} {c.reference}" in charges and f"{c.amount:,.2f}" in charges
        assert f"{balance:,.2f}" in charges  # the running balance
        assert " ".join(c.how.split()) in charges, c.how
    assert ("Statutory interest under the Late Payment of Commercial Debts (Interest) Act "
            "1998 at") in charges
    assert "Fixed compensation for the cost of recovery" in charges
    assert f"Amount claimed {x.total:,.2f}" in charges
    assert f"Amount claimed £{x.total:,.2f}" in st  # beside the address and on the slip


def test_an_individual_s_statement_shows_only_the_contract_interest(tmp_path):
    from creditdesk.documents.letter_pdf import letter_pdf

    letters, company = _letters_and_company({"Contract Interest Rate": 5})
    x = letters["IND"]
    lba = x.before_action
    assert [c.type for c in lba.charges] == ["Interest", "Interest"]
    assert all(c.how.startswith("Interest at the contract rate of 5% a year")
               for c in lba.charges)
    pages = PdfReader(__import__("io").BytesIO(letter_pdf(x, company, "2026-06-30"))).pages
    st = _text(p for p in pages if "Statement of open items" in p.extract_text())
    _, _, charges = st.partition("Interest and charges added since the debt was incurred")
    for c in lba.charges:
        assert f"Interest {c.reference}" in charges and f"{c.amount:,.2f}" in charges
    assert "Compensation" not in charges and "statutory" not in charges.casefold()
    assert f"Amount claimed {x.total:,.2f}" in charges and x.total > 730.0


def test_without_interest_the_statement_says_none_is_added(report, written):
    x = _by(report, "IND")
    assert x.before_action.charges == [] and x.before_action.claimed == 730.0
    reader = PdfReader(written / letter_file_name(x))
    st = _text(p for p in reader.pages if "Statement of open items" in p.extract_text())
    _positions(st, "Interest and charges added since the debt was incurred",
               "None no interest or other charges are added", "Amount claimed 730.00")


@pytest.mark.parametrize("customer", ["IND", "BIZ", "SOL"])
def test_the_letter_reads_in_order_body_section_enclosures_sign_off(report, written, customer):
    x = _by(report, customer)
    reader = PdfReader(written / letter_file_name(x))
    letter_pages = [p for p in reader.pages if "Statement of open items" not in
                    p.extract_text() and "What you should do now" not in p.extract_text()]
    text = _text(letter_pages)
    parts = ["Despite our reminders", "If you have already paid",
             "Letter before action under", "How to pay"]
    if customer != "BIZ":
        parts.append("Enclosed")
    parts += ["Kind regards, Credit Control Acme Tools Ltd"]
    at = _positions(text, *parts)
    assert at == sorted(at)
    # the sign-off closes the letter: after it only the last page's footer
    body = text.rsplit(f"Acme Tools Ltd · {x.reference} Page", 1)[0]
    assert body.rstrip().endswith("Kind regards, Credit Control Acme Tools Ltd")
    assert "[The letter before action" not in text  # the placeholder's mark is replaced


def test_the_reminders_sheet_shows_where_the_section_goes(capsys, workbook):
    from creditdesk.domain.templates import BEFORE_ACTION_MARK

    out = json.loads(run(capsys, "remind", workbook, "--json")[1])
    texts = [m["text"] for m in out["reminders"] if m["level"] == 3]
    assert texts and all(BEFORE_ACTION_MARK in t for t in texts)
    assert all(t.index(BEFORE_ACTION_MARK) < t.index("Kind regards") for t in texts)


def test_a_template_without_the_placeholder_gets_the_section_before_its_last_paragraph(
        tmp_path):
    from creditdesk.documents.letter_pdf import letter_pdf

    body = ("Dear {customer_name},\n\nYou owe {total}.\n\n{invoice_table}\n\n"
            "Yours sincerely,\nA. Controller")
    letters, company = _letters_and_company(
        {}, templates=[["letter_before_action", "en", "Letter before action {total}", body]])
    x = letters["IND"]
    assert x.text.startswith("Dear Jane Smith,") and "I-100" in x.text
    assert x.closing == "Yours sincerely,\nA. Controller"
    pages = PdfReader(__import__("io").BytesIO(letter_pdf(x, company, "2026-06-30"))).pages
    text = _text(pages[:2])
    at = _positions(text, "You owe", "Letter before action under", "Enclosed",
                    "Yours sincerely, A. Controller")
    assert at == sorted(at)


def test_split_at_before_action():
    from creditdesk.analysis.letters import split_at_before_action
    from creditdesk.domain.templates import BEFORE_ACTION_MARK

    assert split_at_before_action(f"A\n\n{BEFORE_ACTION_MARK}\n\nB\nC") == ("A", "B\nC")
    assert split_at_before_action("A\n\nB\n\nC\nD") == ("A\n\nB", "C\nD")
    assert split_at_before_action("One paragraph") == ("One paragraph", "")


def _letters_and_company(settings, templates=None):
    from creditdesk.analysis.letters import letters_report
    from creditdesk.analysis.report import Analysis
    from creditdesk.domain.ledger import build_ledger, raw_tables

    t = _tables()
    h, rows = t["Settings"]
    t["Settings"] = (h, [*rows, *([k, v] for k, v in settings.items())])
    if templates:
        t["Templates"] = (["Template", "Language", "Subject", "Body"], templates)
    ledger = build_ledger(raw_tables(t))
    assert not ledger.issues, ledger.issues
    report = letters_report(Analysis(ledger))
    return {x.customer: x for x in report.letters}, report.company
