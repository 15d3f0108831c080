"""``creditdesk statements`` on a real workbook file (issue 12, items 1 and 6): the JSON, the
PDFs read back with pypdf (every figure of every statement), the Statements sheet of the
results workbook, the file names and the usage errors."""

import datetime as dt
import json
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from creditdesk.analysis.documents import Company, StatementsReport
from creditdesk.cli import main as cli
from creditdesk.documents.pdf import figure, money, reference, statement_file_name, statement_pdf
from creditdesk.files.xlsx_write import write_workbook
from devkit.sample import sample_tables

PAYMENT_DETAILS = "Barclays · Sort code 20-00-00 · Account 12345678\nIBAN GB29 NWBK 6016 1331"


def _customers_with_addresses(tables):
    """The sample, with a postal address and an accented name on C-0002 (EUR) and a euro
    invoice for C-0001 (GBP), so one customer has two statements."""
    header, rows = tables["Customers"]
    header = [*header, "Address Line 1", "City", "Postcode", "Country"]
    rows = [[*r, "", "", "", ""] for r in rows]
    rows[1][1] = "Café Müller & Søn Łódź GmbH"
    rows[1][-4:] = ["Königstraße 12", "Köln", "50667", "Deutschland"]
    tables["Customers"] = (header, rows)
    ih, irows = tables["Invoices"]
    col = {h: k for k, h in enumerate(ih)}
    extra = [""] * len(ih)
    extra[col["Invoice"]], extra[col["Customer"]] = "EU-1", "C-0001"
    extra[col["Invoice Date"]], extra[col["Due Date"]] = dt.date(2026, 11, 3), dt.date(2026, 12, 3)
    extra[col["Currency"]], extra[col["Amount"]] = "EUR", 1234.5
    tables["Invoices"] = (ih, [*irows, extra])
    return tables


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("stmt") / "ledger.xlsx"
    write_workbook(path, _customers_with_addresses(sample_tables()))
    return path


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _report(capsys, workbook, *args) -> StatementsReport:
    code, out, err = run(capsys, "statements", workbook, "--json", *args)
    assert code == 0, err
    return StatementsReport.model_validate(json.loads(out))


def test_json_has_the_documented_fields_and_two_statements_for_two_currencies(capsys,
                                                                                workbook):
    doc = json.loads(run(capsys, "statements", workbook, "--json")[1])
    first = doc["statements"][0]
    assert {"customer", "currency", "opening_balance", "lines", "closing_balance",
            "ageing"} <= set(first)
    assert {"date", "type", "reference", "amount", "balance"} <= set(first["lines"][0])
    report = StatementsReport.model_validate(doc)
    assert [s.currency for s in report.statements if s.customer == "C-0001"] == ["EUR", "GBP"]
    assert (report.start, report.end) == (dt.date(2026, 11, 1), dt.date(2026, 11, 24))


def _tokens(pdf_bytes_or_path) -> list[str]:
    text = "\n".join(p.extract_text() for p in PdfReader(pdf_bytes_or_path).pages)
    return text.split()


def _in_order(tokens: list[str], wanted: list[str], start: int = 0) -> int:
    """Each of ``wanted`` (text, maybe several words) found in ``tokens`` in turn; returns the
    position after the last."""
    k = start
    for w in wanted:
        words = w.split()
        while tokens[k:k + len(words)] != words:
            k += 1
            assert k < len(tokens), f"{w!r} not found in order"
        k += len(words)
    return k


def _check_pdf(path, s, kind="activity"):
    tokens = _tokens(path)
    text = " ".join(tokens)
    assert " ".join(s.name.split()) in text and s.account in text
    for line in s.address:
        assert line in text
    k = _in_order(tokens, ["Amount due", money(s.amount_due, s.currency)])
    if kind == "activity":
        k = _in_order(tokens, ["Opening balance", figure(s.opening_balance)], k)
    for ln in s.lines:
        due = [ln.due_date.isoformat()] if ln.due_date else []
        k = _in_order(tokens, [ln.date.isoformat(), ln.type, ln.reference, *due,
                               figure(ln.amount), figure(ln.balance)], k)
    k = _in_order(tokens, ["Closing balance", figure(s.closing_balance)], k)
    for band in s.ageing:
        k = _in_order(tokens, [figure(band.amount)], k)
    _in_order(tokens, ["Account", s.account, "Reference", reference(s), "Amount due",
                       money(s.amount_due, s.currency)], k)


def test_every_pdf_shows_every_figure_of_its_statement(capsys, workbook, tmp_path):
    out = tmp_path / "statements"
    code, text, err = run(capsys, "statements", workbook, "-o", out)
    assert code == 0, err
    report = _report(capsys, workbook)
    names = sorted(p.name for p in out.glob("*.pdf"))
    assert names == sorted(statement_file_name(s) for s in report.statements)
    assert "C-0001-EUR-statement.pdf" in names and "C-0001-GBP-statement.pdf" in names
    for s in report.statements:
        _check_pdf(out / statement_file_name(s), s)
    assert f"Wrote {len(names)} PDF statements" in text
    accented = next(s for s in report.statements if s.customer == "C-0002")
    tokens = " ".join(_tokens(out / statement_file_name(accented)))
    assert "Café Müller & Søn Łódź GmbH" in tokens and "Königstraße 12" in tokens
    # the sample's Payment Details setting, as the workbook has it
    assert "€" in tokens and "How to pay" in tokens and "sort code 12-34-56" in tokens


def test_open_items_pdfs_and_the_statements_sheet_agree_with_the_json(capsys, workbook,
                                                                      tmp_path):
    out = tmp_path / "open"
    assert run(capsys, "statements", workbook, "--kind", "open-items", "-o", out)[0] == 0
    report = _report(capsys, workbook, "--kind", "open-items")
    for s in report.statements[:10]:
        _check_pdf(out / statement_file_name(s), s, kind="open-items")
    ws = load_workbook(out / "statements.xlsx", read_only=True)["Statements"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("Customer", "Name", "Currency", "Date", "Type", "Reference",
                       "Due Date", "Amount", "Balance")
    expected = []
    for s in report.statements:
        for ln in s.lines:
            expected.append((s.customer, s.currency, ln.reference, ln.amount, ln.balance))
        expected.append((s.customer, s.currency, None, None, s.closing_balance))
    got = [(r[0], r[2], r[5], r[7], r[8]) for r in rows[1:]]
    assert got == expected


def test_a_pound_statement_with_payment_details_shows_them(capsys, workbook):
    report = _report(capsys, workbook, "--customer", "C-0001", "--from", "2026-10-01")
    gbp = next(s for s in report.statements if s.currency == "GBP")
    company = Company(name="Creditdesk Demo Ltd", payment_details=PAYMENT_DETAILS,
                      phone="0113 496 0000")
    import io

    tokens = " ".join(_tokens(io.BytesIO(statement_pdf(gbp, company))))
    assert "How to pay" in tokens and "IBAN GB29 NWBK 6016 1331" in tokens
    assert "0113 496 0000" in tokens and "£" in tokens
    assert re.search(r"Page 1 of 1", tokens)


def test_usage_errors_are_one_line_and_nothing_is_overwritten(capsys, workbook, tmp_path):
    code, _, err = run(capsys, "statements", workbook, "--customer", "nobody")
    assert code == 2 and "no customer 'nobody'" in err and "Traceback" not in err
    code, _, err = run(capsys, "statements", workbook, "--from", "2026-11-20", "--to",
                       "2026-11-01")
    assert code == 2 and "is after --to" in err
    out = tmp_path / "again"
    assert run(capsys, "statements", workbook, "--customer", "C-0002", "-o", out)[0] == 0
    before = (out / "C-0002-EUR-statement.pdf").read_bytes()
    code, _, err = run(capsys, "statements", workbook, "--customer", "C-0002", "-o", out)
    assert code == 2 and "--force" in err
    assert (out / "C-0002-EUR-statement.pdf").read_bytes() == before
    file = tmp_path / "a-file"
    file.write_text("x")
    code, _, err = run(capsys, "statements", workbook, "-o", file)
    assert code == 2 and "is a file" in err


def test_a_customer_key_is_made_safe_for_a_file_name():
    from creditdesk.analysis.documents import Statement

    s = Statement(customer="../A/B:C *", name="x", account="x", address=[], currency="GBP",
                  start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), opening_balance=0,
                  lines=[], closing_balance=0, ageing=[])
    assert statement_file_name(s) == "A_B_C-GBP-statement.pdf"


def test_letters_outside_the_font_and_control_characters_do_not_stop_a_statement(caplog):
    import io

    from creditdesk.analysis.documents import Statement

    s = Statement(customer="X", name="東京 Trading\r\nLtd", account="X-1", address=["Line\tA"],
                  currency="CHF", start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31),
                  opening_balance=0, lines=[], closing_balance=12.5, ageing=[])
    text = " ".join(_tokens(io.BytesIO(statement_pdf(s, Company(name="Co")))))
    assert "Trading Ltd" in text and "Line A" in text and "CHF 12.50" in text
    assert "No transactions in the period" in text
    assert "missing the following glyphs" in caplog.text


def test_a_long_statement_runs_on_with_its_header_and_every_figure(capsys, workbook, tmp_path):
    import io

    report = _report(capsys, workbook, "--customer", "C-0008", "--from", "2025-06-01")
    (s,) = report.statements
    assert len(s.lines) > 40
    path = tmp_path / "long.pdf"
    path.write_bytes(statement_pdf(s, report.company))
    pages = PdfReader(path).pages
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        assert f"Page {n} of {len(pages)}" in page.extract_text()
    assert "Balance (EUR)" in pages[1].extract_text()  # the table's header again
    _check_pdf(io.BytesIO(path.read_bytes()), s)


def test_the_command_says_which_letters_the_pdf_font_lacks(capsys, tmp_path):
    t = sample_tables()
    header, rows = t["Customers"]
    rows = [list(r) for r in rows]
    rows[2][header.index("Name")] = "東京 Trading KK"
    t["Customers"] = (header, rows)
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, t)
    code, _, err = run(capsys, "statements", path, "--customer", "C-0003", "-o",
                       tmp_path / "out")
    assert code == 0
    assert "C-0003 EUR: the PDF font has no 東京; those letters are blank" in err
    assert "missing the following glyphs" not in err  # fpdf2's own warning, said once
