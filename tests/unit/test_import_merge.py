"""`creditdesk import --into` on a workbook as a controller keeps it: their own sheets (notes,
a pivot table's source, their formulas) survive the rewrite, what cannot survive is named, a
filtered export never silently settles everybody else, and dated payments land in Payments
and count once."""

import ast
import datetime as dt
import json
import zipfile
from pathlib import Path

import openpyxl
import xlsxwriter

from creditdesk.cli.main import main
from creditdesk.files.xlsx_read import read_workbook
from tests import exports as ex


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def balances(capsys, book, as_of="2026-11-30"):
    code, out, err = run(capsys, "ageing", book, "--as-of", as_of, "--json")
    assert code == 0, err
    return {r["customer"]: r["outstanding"] for r in json.loads(out)["customers"]}


def users_workbook(path: Path, *, chart: bool = False) -> None:
    """Written as Excel saves a workbook: the contract tables on their sheets, and the
    user's own sheets with formats, widths, an Excel table, formulas with their cached
    values, a defined name (and, if asked, a chart)."""
    wb = xlsxwriter.Workbook(str(path))
    money = wb.add_format({"num_format": "#,##0.00"})
    day = wb.add_format({"num_format": "d mmm yyyy"})
    pct = wb.add_format({"num_format": "0.0%"})
    cust = wb.add_worksheet("Customers")
    cust.set_column(1, 1, 30)  # a wide Name column
    for r, row in enumerate([["Customer", "Name", "Email", "Credit Limit", "My Notes"],
                             ["BLU001", "Bluegate Joinery", "ap@typed.example", 9000,
                              "call Tom"],
                             ["OLD01", "Gone Away Ltd", "", None, ""]]):
        for c, v in enumerate(row):
            if v not in ("", None):
                cust.write(r, c, v)
    inv = wb.add_worksheet("Invoices")
    rows = [["Invoice", "Customer", "Invoice Date", "Due Date", "Amount", "Paid", "Disputed",
             "My Column"],
            ["INV-0412", "BLU001", dt.date(2026, 10, 12), dt.date(2026, 11, 11), 1500.0, 100.0,
             "Yes", "keep me"],
            ["OLD-1", "OLD01", dt.date(2026, 1, 1), dt.date(2026, 2, 1), 75.0, None, "", ""]]
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, dt.date):
                inv.write_datetime(r, c, v, day)
            elif v not in ("", None):
                inv.write(r, c, v)
    notes = wb.add_worksheet("Notes")
    notes.set_column(0, 0, 42)
    notes.set_column(1, 1, 14)
    notes.write_string(0, 0, "Call Bluegate about the hinges")
    notes.write_datetime(0, 1, dt.date(2026, 12, 1), day)
    notes.write_string(1, 0, "=not a formula, typed as text")
    src = wb.add_worksheet("Pivot source")
    src.add_table(0, 0, 3, 1, {"name": "Sales", "columns": [{"header": "Region"},
                                                           {"header": "Amount"}]})
    for r, (region, amount) in enumerate([("North", 1200.5), ("South", 800.0),
                                          ("West", 99.5)], start=1):
        src.write_string(r, 0, region)
        src.write_number(r, 1, amount, money)
    src.set_column(1, 1, 18, None, {"hidden": True})
    mine = wb.add_worksheet("My formulas")
    mine.write_string(0, 0, "Total sales")
    mine.write_formula(0, 1, "=SUM(Sales[Amount])", money, 2100.0)
    mine.write_string(1, 0, "Open on Invoices")
    mine.write_formula(1, 1, "=SUM(Invoices!E2:E3)-SUM(Invoices!F2:F3)", money, 1475.0)
    mine.write_string(2, 0, "Share North")
    mine.write_formula(2, 1, "=1200.5/TotalSales", pct, 1200.5 / 2100.0)
    wb.define_name("TotalSales", "='My formulas'!$B$1")
    if chart:
        c = wb.add_chart({"type": "column"})
        c.add_series({"values": "='Pivot source'!$B$2:$B$4"})
        mine.insert_chart("D2", c)
    wb.close()


def test_into_keeps_the_users_own_sheets_with_values_formulas_formats_and_widths(
        capsys, tmp_path):
    book = tmp_path / "mine.xlsx"
    users_workbook(book)
    src = tmp_path / "xero.xlsx"
    ex.write_xero_detail_xlsx(src)
    out = tmp_path / "merged.xlsx"
    code, text, err = run(capsys, "import", src, "--into", book, "-o", out)
    assert code == 0, err
    assert ("Your own sheets carried into " + str(out) + " (values, formulas, number formats, "
            "widths): Notes, Pivot source, My formulas") in text
    assert "NOT CARRIED" not in text and "WARNING" not in err
    wb = openpyxl.load_workbook(out)
    assert {"Notes", "Pivot source", "My formulas", "Customers", "Invoices"} <= set(
        wb.sheetnames)
    notes = wb["Notes"]
    assert notes["A1"].value == "Call Bluegate about the hinges"
    assert notes["B1"].value == dt.datetime(2026, 12, 1) and notes["B1"].number_format == \
        "d mmm yyyy"
    assert notes["A2"].value == "=not a formula, typed as text" and notes["A2"].data_type == "s"
    assert notes.column_dimensions["A"].width == openpyxl.load_workbook(book)[
        "Notes"].column_dimensions["A"].width  # as Excel stores 42 (padding included)
    pivot = wb["Pivot source"]
    assert [[c.value for c in r] for r in pivot["A1:B4"]] == [
        ["Region", "Amount"], ["North", 1200.5], ["South", 800.0], ["West", 99.5]]
    assert pivot["B2"].number_format == "#,##0.00"
    assert pivot.column_dimensions["B"].hidden
    assert pivot.tables["Sales"].ref == "A1:B4"
    formulas = wb["My formulas"]
    assert formulas["B1"].value == "=SUM(Sales[Amount])"
    assert formulas["B2"].value == "=SUM(Invoices!E2:E3)-SUM(Invoices!F2:F3)"
    assert formulas["B3"].number_format == "0.0%"
    assert wb.defined_names["TotalSales"].attr_text == "'My formulas'!$B$1"
    cached = openpyxl.load_workbook(out, data_only=True)["My formulas"]
    assert cached["B1"].value == 2100.0  # a viewer that does not calculate shows the value
    # the contract tables: every column the export lacks is kept
    inv = read_workbook(out)["invoices"]
    assert "My Column" in inv.header and "Disputed" in inv.header
    cust = read_workbook(out)["customers"]
    assert "My Notes" in cust.header
    # the contract tables keep the widths the user gave their columns
    assert wb["Customers"].column_dimensions["B"].width == openpyxl.load_workbook(book)[
        "Customers"].column_dimensions["B"].width
    assert balances(capsys, out) == {"BLU001": 1560.0, "QLC002": 590.5,
                                     "Harrow & Sons Limited": 1700.0}


def test_what_cannot_be_carried_is_named_loudly_and_macros_are_never_written_over(
        capsys, tmp_path):
    book = tmp_path / "mine.xlsx"
    users_workbook(book, chart=True)
    src = tmp_path / "xero.xlsx"
    ex.write_xero_detail_xlsx(src)
    out = tmp_path / "merged.xlsx"
    code, text, err = run(capsys, "import", src, "--into", book, "-o", out)
    assert code == 0, err
    assert "WARNING" in err and "1 chart(s)" in err and f"{book} itself is unchanged" in err
    assert f"NOT CARRIED into {out} (XlsxWriter cannot rewrite them): 1 chart(s)" in text
    code, text, err = run(capsys, "import", src, "--into", book, "-o", tmp_path / "j.xlsx",
                          "--json")
    assert json.loads(text)["not_carried"] == ["1 chart(s)"]
    # a macro workbook: the output is a new file, never one written over with --force
    xlsm = tmp_path / "Creditdesk.xlsm"
    with zipfile.ZipFile(book) as z_in, zipfile.ZipFile(xlsm, "w") as z_out:
        for item in z_in.infolist():
            z_out.writestr(item, z_in.read(item))
        z_out.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 a VBA project")
    code, _, err = run(capsys, "import", src, "--into", xlsm, "-o", out, "--force")
    assert code == 2 and "holds macros (a VBA project)" in err and "must name a new file" in err
    fresh = tmp_path / "from-xlsm.xlsx"
    code, text, err = run(capsys, "import", src, "--into", xlsm, "-o", fresh)
    assert code == 0 and "the VBA project (macros)" in err and fresh.exists()
    assert not any(n.endswith("vbaProject.bin") for n in zipfile.ZipFile(fresh).namelist())


def test_a_filtered_export_is_refused_and_partial_updates_only_the_customers_it_lists(
        capsys, tmp_path):
    """The whole ledger imported first; then Xero's Aged Receivables for one contact
    (Quarry Lane Cafe, its overpayment gone: applied). Without --partial it would settle
    Bluegate's and Harrow's 3,260.00: refused with exit 4, nothing written. With --partial
    only Quarry Lane changes; --settle-missing settles the others as the user says."""
    full = tmp_path / "xero.xlsx"
    ex.write_xero_detail_xlsx(full, stale_totals=False)
    ledger = tmp_path / "ledger.xlsx"
    assert run(capsys, "import", full, "-o", ledger)[0] == 0
    one = tmp_path / "quarry.csv"
    ex.write_csv(one, [["Aged Receivables Detail"], ["Harbourside Widgets Ltd"],
                       ["As at 30 November 2026"], ["Ageing by due date"], [],
                       ["Contact", "Contact Account Number", "Invoice Date", "Due Date",
                        "Invoice Number", "Invoice Reference", "Total"],
                       ["Quarry Lane Cafe"],
                       ["", "QLC002", "3 Jul 2026", "2 Aug 2026", "INV-0355", "", "600.50"],
                       ["Total Quarry Lane Cafe", "", "", "", "", "", "600.50"],
                       ["Total", "", "", "", "", "", "600.50"]])
    out = tmp_path / "after.xlsx"
    code, text, err = run(capsys, "import", one, "--into", ledger, "-o", out)
    assert code == 4 and text == "" and not out.exists()
    # Bluegate's 1,560.00 and Harrow's 1,700.00 (its prepayment in Payments counted), of
    # 3,850.50 open (85%); 2 of the 3 customers would leave
    assert ("the export would take 3,260.00 off the workbook's 3,850.50 open balance (85%), "
            "and 2 of its 3 customer(s) with a balance would leave the ledger") in err
    assert "--partial" in err and "--settle-missing" in err and "Traceback" not in err
    code, text, err = run(capsys, "import", one, "--into", ledger, "-o", out, "--partial")
    assert code == 0, err
    assert ("Partial export: only the 1 customer(s) it lists were updated; 2 other "
            "customer(s) with a balance were left as they were.") in text
    assert "Customers that left the ledger" not in text
    assert "removed: OP-" in text  # Quarry Lane's overpayment was applied in Xero
    assert balances(capsys, out) == {"BLU001": 1560.0, "QLC002": 600.5,
                                     "Harrow & Sons Limited": 1700.0}
    settled = tmp_path / "settled.xlsx"
    code, text, err = run(capsys, "import", one, "--into", ledger, "-o", settled,
                          "--settle-missing", "--json")
    doc = json.loads(text)
    assert code == 0 and doc["items"]["settled"] == 5 and doc["partial"] is False
    assert sorted(k[:3] for k in doc["payments"]["removed"]) == ["OP-", "PP-"]
    assert {c["customer"] for c in doc["customers"]["left"]} == {"BLU001",
                                                                 "Harrow & Sons Limited"}
    assert balances(capsys, settled) == {"QLC002": 600.5}
    code, _, err = run(capsys, "import", one, "--into", ledger, "-o", tmp_path / "x.xlsx",
                       "--partial", "--settle-missing")
    assert code == 2 and "not allowed with" in err


def _qbo(as_of: str, rows: list[list[str]]) -> list[list[str]]:
    """A QuickBooks Online A/R Aging Detail as exported to CSV: one section, its total."""
    head = ["", "Date", "Transaction Type", "Num", "Customer", "Due Date", "Amount",
            "Open Balance"]
    total = sum(float(r[6]) for r in rows)
    return [["Harbourside Widgets Inc."], ["A/R Aging Detail"], [f"As of {as_of}"], [],
            head, ["Current"], *[["", *r] for r in rows],
            ["Total for Current", "", "", "", "", "", "", f"{total:.2f}"],
            ["TOTAL", "", "", "", "", "", "", f"{total:.2f}"]]


def test_a_dated_payment_goes_into_payments_counts_once_and_leaves_when_applied(
        capsys, tmp_path):
    """Day 1: Quarry Lane owes 640.50 and has paid 50.00 on 28 Nov, unapplied: a Payments
    row (dated, invoice blank), the balance 590.50 (not 540.50: not also an item). Day 2 the
    payment was applied in QuickBooks: the invoice shows 590.50 open and the payment line is
    gone, so the Payments row goes too; the balance stays 590.50."""
    day1 = tmp_path / "day1.csv"
    ex.write_csv(day1, _qbo("November 30, 2026", [
        ["07/03/2026", "Invoice", "1355", "Quarry Lane Cafe", "08/02/2026", "640.50",
         "640.50"],
        ["11/28/2026", "Payment", "", "Quarry Lane Cafe", "11/28/2026", "-50.00", "-50.00"]]))
    ledger = tmp_path / "ledger.xlsx"
    code, text, err = run(capsys, "import", day1, "-o", ledger)
    assert code == 0, err
    assert "Payments: 1 dated unapplied payment(s) added to the Payments table, 0 updated." \
        in text
    pay = read_workbook(ledger)["payments"]
    row = dict(zip(pay.header, (c[0] for c in pay.columns), strict=True))
    assert (str(row["Date"])[:10], row["Customer"], row["Amount"], row["Invoice"]) == (
        "2026-11-28", "Quarry Lane Cafe", 50.0, "")
    assert row["Reference"].startswith("PAY-20261128-")
    assert not any(n.startswith("PAY-") for n in read_workbook(ledger)["invoices"].columns[0])
    assert balances(capsys, ledger) == {"Quarry Lane Cafe": 590.5}
    # the payment is money in, not a credit note: net credit sales keep the invoice whole
    code, out, _ = run(capsys, "ageing", ledger, "--as-of", "2026-11-30", "--json")
    assert json.loads(out)["kpis"]["credit_sales"] == 0.0  # the invoice is from July
    day2 = tmp_path / "day2.csv"
    ex.write_csv(day2, _qbo("December 1, 2026", [
        ["07/03/2026", "Invoice", "1355", "Quarry Lane Cafe", "08/02/2026", "640.50",
         "590.50"]]))
    nxt = tmp_path / "next.xlsx"
    code, text, err = run(capsys, "import", day2, "--into", ledger, "-o", nxt, "--json")
    assert code == 0, err
    doc = json.loads(text)
    assert doc["payments"]["removed"] == [row["Reference"].split()[0]]
    assert read_workbook(nxt)["payments"].columns[0] == []
    assert balances(capsys, nxt, "2026-12-01") == {"Quarry Lane Cafe": 590.5}


def test_merge_is_named_stages_none_over_60_lines():
    tree = ast.parse(Path("creditdesk/imports/merge.py").read_text())
    sizes = {f.name: f.end_lineno - f.lineno + 1 for f in ast.walk(tree)
             if isinstance(f, ast.FunctionDef)}
    assert {"_merge_customers", "_merge_items", "_settle_missing", "_merge_payment"} <= set(
        sizes)
    assert max(sizes.values()) <= 60, sizes


def test_the_next_days_summary_replaces_its_balance_items_without_being_refused(
        capsys, tmp_path):
    """A Xero Aged Receivables Summary has no invoices: each day's balance items have new
    keys, so every old one is settled; no customer's balance falls, so the guard lets it
    through, and the changes are what the customers' balances did."""
    def summary(path, day, bluegate):
        ex.write_csv(path, [["Aged Receivables Summary"], ["Harbourside Widgets Ltd"],
                            [f"As at {day} November 2026"], ["Ageing by due date"], [],
                            ["Contact", "Current", "< 1 Month", "1 Month", "Total"],
                            ["Bluegate Joinery Ltd", "360.00", bluegate, "0.00",
                             f"{360 + float(bluegate):.2f}"],
                            ["Quarry Lane Cafe", "0.00", "0.00", "590.50", "590.50"]])
    summary(tmp_path / "s1.csv", 29, "1200.00")
    assert run(capsys, "import", tmp_path / "s1.csv", "-o", tmp_path / "one.xlsx")[0] == 0
    summary(tmp_path / "s2.csv", 30, "1300.00")
    code, text, err = run(capsys, "import", tmp_path / "s2.csv", "--into",
                          tmp_path / "one.xlsx", "-o", tmp_path / "two.xlsx", "--json")
    assert code == 0, err
    doc = json.loads(text)
    assert doc["items"]["settled"] == 3 and doc["customers"]["left"] == []
    assert doc["customers"]["changed"] == [{"customer": "Bluegate Joinery Ltd",
                                            "before": 1560.0, "after": 1660.0}]
    assert balances(capsys, tmp_path / "two.xlsx") == {"Bluegate Joinery Ltd": 1660.0,
                                                       "Quarry Lane Cafe": 590.5}


def test_array_formulas_and_formulas_inside_contract_tables(capsys, tmp_path):
    """An array formula is carried as one (its other cells are its own); a formula the user
    put in a contract table becomes its value, and a table on a sheet of another name moves
    to one of its own name: the warning says both."""
    book = tmp_path / "mine.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    cust = wb.add_worksheet("Customers")
    cust.write_row(0, 0, ["Customer", "Name"])
    cust.write_row(1, 0, ["BLU001", "Bluegate Joinery"])
    inv = wb.add_worksheet("Ledger")
    inv.add_table(0, 0, 1, 5, {"name": "Invoices", "columns": [
        {"header": h} for h in ("Invoice", "Customer", "Invoice Date", "Amount", "Paid",
                                "Open")]})
    inv.write_row(0, 0, ["Invoice", "Customer", "Invoice Date", "Amount", "Paid", "Open"])
    inv.write_row(1, 0, ["INV-0412", "BLU001", "2026-10-12", 1500.0, 100.0])
    inv.write_formula(1, 5, "=D2-E2", None, 1400.0)
    calc = wb.add_worksheet("Calc")
    calc.write_column(0, 0, [1, 2, 3])
    calc.write_column(0, 1, [10, 20, 30])
    calc.write_array_formula("C1:C3", "{=A1:A3*B1:B3}", None, 10)
    calc.write_number(1, 2, 40)  # the cached results of the array's other cells
    calc.write_number(2, 2, 90)
    wb.close()
    src = tmp_path / "xero.xlsx"
    ex.write_xero_detail_xlsx(src)
    out = tmp_path / "out.xlsx"
    code, _, err = run(capsys, "import", src, "--into", book, "-o", out)
    assert code == 0, err
    assert "the formulas in the contract tables (their values are kept): Ledger" in err
    assert "the Invoices table's place on sheet 'Ledger' (it moves to a sheet 'Invoices'" in err
    ws = openpyxl.load_workbook(out)["Calc"]
    assert ws["C1"].value.text == "=A1:A3*B1:B3" and ws["C1"].value.ref == "C1:C3"
    assert read_workbook(out)["invoices"].columns[5][0] == 1400.0


def test_a_payment_already_an_item_stays_one_and_an_allocated_one_is_not_added_again(
        capsys, tmp_path):
    """A workbook from before payments went into Payments holds QuickBooks' payment as a
    negative item: re-imported, it stays that item (updated), never also a Payments row.
    And a Payments row the user allocated to an invoice is updated, not added again."""
    from creditdesk.files.exports import read_export
    from creditdesk.files.xlsx_write import write_workbook
    from creditdesk.imports import parse_export

    src = tmp_path / "qb.csv"
    ex.write_csv(src, _qbo("November 30, 2026", [
        ["07/03/2026", "Invoice", "1355", "Quarry Lane Cafe", "08/02/2026", "640.50",
         "640.50"],
        ["11/28/2026", "Payment", "", "Quarry Lane Cafe", "11/28/2026", "-50.00", "-50.00"]]))
    key = next(it.invoice for it in parse_export(read_export(src)).items
               if it.kind == "payment")
    customers = (["Customer", "Name"], [["Quarry Lane Cafe", "Quarry Lane Cafe"]])
    invoice = ["1355", "Quarry Lane Cafe", "2026-07-03", "2026-08-02", 640.5, None]
    head = ["Invoice", "Customer", "Invoice Date", "Due Date", "Amount", "Paid"]
    old = tmp_path / "old.xlsx"
    write_workbook(old, {"Customers": customers, "Invoices": (head, [
        invoice, [key, "Quarry Lane Cafe", "2026-11-28", "2026-11-28", -50.0, None]])})
    out = tmp_path / "out.xlsx"
    code, text, err = run(capsys, "import", src, "--into", old, "-o", out, "--json")
    doc = json.loads(text)
    assert code == 0, err
    assert doc["items"]["updated"] == 2 and doc["payments"] == {"added": 0, "updated": 0,
                                                                "removed": []}
    assert "payments" not in read_workbook(out)
    assert balances(capsys, out) == {"Quarry Lane Cafe": 590.5}
    allocated = tmp_path / "allocated.xlsx"
    write_workbook(allocated, {"Customers": customers, "Invoices": (head, [invoice]),
                               "Payments": (["Date", "Customer", "Amount", "Reference",
                                             "Invoice"],
                                            [["2026-11-28", "Quarry Lane Cafe", 50.0, key,
                                              "1355"]])})
    out2 = tmp_path / "out2.xlsx"
    code, text, err = run(capsys, "import", src, "--into", allocated, "-o", out2, "--json")
    assert code == 0, err
    assert json.loads(text)["payments"] == {"added": 0, "updated": 1, "removed": []}
    pay = read_workbook(out2)["payments"]
    assert pay.columns[pay.header.index("Invoice")] == ["1355"]
    assert balances(capsys, out2) == {"Quarry Lane Cafe": 590.5}


def test_a_workbook_whose_formats_cannot_be_read_still_has_its_sheets_values_carried(
        capsys, tmp_path, monkeypatch):
    """openpyxl failing on a part it cannot parse (simulated here): the sheets still come
    along with their values, and the warning says formats and formulas did not."""
    import openpyxl as opx

    def broken(*args, **kwargs):
        raise ValueError("unsupported part xl/styles.xml")

    book = tmp_path / "mine.xlsx"
    users_workbook(book)
    src = tmp_path / "xero.xlsx"
    ex.write_xero_detail_xlsx(src)
    monkeypatch.setattr(opx, "load_workbook", broken)
    out = tmp_path / "out.xlsx"
    code, _, err = run(capsys, "import", src, "--into", book, "-o", out)
    assert code == 0, err
    assert ("cell formats and formulas (they could not be read: unsupported part "
            "xl/styles.xml)") in err
    monkeypatch.undo()
    wb = openpyxl.load_workbook(out)
    assert wb["Notes"]["A1"].value == "Call Bluegate about the hinges"
    assert wb["My formulas"]["B1"].value == 2100.0  # the formula's value
