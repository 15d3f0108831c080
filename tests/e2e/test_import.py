"""`creditdesk import` as a user runs it on exports shaped as the systems write them, then
`creditdesk ageing` on the result: every customer's balance to the cent against sums worked
out here from the items (never from the export's own total rows)."""

import json
import shutil
import subprocess

import openpyxl
import pytest

from creditdesk.cli.main import main
from creditdesk.files.exports import read_export
from creditdesk.files.xlsx_read import read_workbook
from creditdesk.files.xlsx_write import write_workbook
from creditdesk.imports import parse_export
from tests import exports as ex


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def imported(capsys, *args):
    code, out, err = run(capsys, "import", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def balances(capsys, book, as_of="2026-11-30"):
    code, out, err = run(capsys, "ageing", book, "--as-of", as_of, "--json")
    assert code == 0, err
    doc = json.loads(out)
    return {r["customer"]: r["outstanding"] for r in doc["customers"]}, doc


def test_xero_detail_xlsx_with_stale_totals_imports_every_item_and_names_each_total(
        capsys, tmp_path):
    src = tmp_path / "xero-aged-receivables-detail.xlsx"
    ex.write_xero_detail_xlsx(src)
    doc = imported(capsys, src, "-o", tmp_path / "ledger.xlsx")
    assert doc["format"] == "Xero Aged Receivables Detail"
    assert doc["as_at"] == "2026-11-30"
    assert doc["items"]["imported"] == 8
    # Xero's total rows hold a stale cached 0.00: an issue names both figures, the items count
    stale = [i["message"] for i in doc["issues"] if "says 0.00" in i["message"]]
    assert len(stale) == 4
    assert any("'Total Bluegate Joinery Ltd' says 0.00, but the 3 item(s) of 'Bluegate "
               "Joinery Ltd' add up to 1,560.00" in m for m in stale)
    assert any("'Total' says 0.00, but all items add up to 3,850.50" in m for m in stale)
    skipped = {n["row"]: n["message"] for n in doc["notes"]}
    assert "title row 'Aged Receivables Detail'" in skipped[1]
    assert "heading of its invoices" in skipped[7] and "total row" in skipped[11]
    assert "percentage line" in skipped[max(skipped)]
    got, ageing = balances(capsys, tmp_path / "ledger.xlsx")
    assert got == ex.xero_detail_expected() == {"BLU001": 1560.00, "QLC002": 590.50,
                                                 "Harrow & Sons Limited": 1700.00}
    assert ageing["issues"] == []


def test_items_without_a_number_get_keys_that_a_reimport_of_the_same_export_keeps(
        capsys, tmp_path):
    src = tmp_path / "xero.xlsx"
    ex.write_xero_detail_xlsx(src, stale_totals=False)
    first = parse_export(read_export(src))
    second = parse_export(read_export(src))
    keys = [it.invoice for it in first.items if it.kind != "invoice"]
    assert keys == [it.invoice for it in second.items if it.kind != "invoice"]
    assert [k[:3] for k in keys] == ["CN-", "OP-", "PP-"]
    assert all(it.amount < 0 for it in first.items if it.kind != "invoice")
    assert first.issues == []  # the totals agree when they are not stale
    imported(capsys, src, "-o", tmp_path / "one.xlsx")
    doc = imported(capsys, src, "--into", tmp_path / "one.xlsx", "-o", tmp_path / "two.xlsx")
    # the credit note is an item; the overpayment and prepayment, dated, are Payments rows
    assert doc["items"]["added"] == 0 and doc["items"]["updated"] == 6
    assert doc["payments"] == {"added": 0, "updated": 2, "removed": []}
    assert doc["customers"]["new"] == [] and doc["customers"]["changed"] == []


def test_quickbooks_csv_with_bom_crlf_dollar_totals_and_bracket_negatives(capsys, tmp_path):
    src = tmp_path / "A_R Aging Detail.csv"
    ex.write_csv(src, ex.qbo_aging_rows())
    assert src.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r\n" in src.read_bytes()
    doc = imported(capsys, src, "-o", tmp_path / "qb.xlsx")
    assert doc["format"] == "QuickBooks A/R Aging Detail" and doc["issues"] == []
    assert doc["currency"] == "USD"  # from the $ of its totals
    assert doc["matched"]["Invoice"] == "No."
    got, ageing = balances(capsys, tmp_path / "qb.xlsx")
    assert got == ex.QBO_EXPECTED
    assert ageing["base_currency"] == "USD"
    book = read_workbook(tmp_path / "qb.xlsx")["invoices"]
    numbers = book.columns[0]
    assert "1021" in numbers and "CN-1021" in numbers  # a credit memo sharing a number
    # the unapplied payments, dated, are in Payments (on account), not Invoices: once
    assert not any(n.startswith("PAY-") for n in numbers)
    pay = read_workbook(tmp_path / "qb.xlsx")["payments"]
    refs = [r.split()[0] for r in pay.columns[pay.header.index("Reference")]]
    assert sum(1 for r in refs if r.startswith("PAY-")) == 2
    assert all(v == "" for v in pay.columns[pay.header.index("Invoice")])


def test_a_wrong_grand_total_is_an_issue_naming_both_figures(capsys, tmp_path):
    src = tmp_path / "qb.csv"
    ex.write_csv(src, ex.qbo_aging_rows(stale_grand=True))
    doc = imported(capsys, src, "-o", tmp_path / "qb.xlsx")
    assert [i["message"] for i in doc["issues"]] == [
        "'TOTAL' says 0.00, but all items add up to 3,600.50; the items are imported, not "
        "the total (a 0.00 total is often a formula Excel never recalculated)"]


def test_sage_50_aged_debtors_with_credit_limits_and_payments_on_account(capsys, tmp_path):
    src = tmp_path / "aged debtors.csv"
    ex.write_csv(src, ex.sage_rows(), bom=False)
    doc = imported(capsys, src, "-o", tmp_path / "sage.xlsx")
    assert doc["format"] == "Sage 50 Aged Debtors Analysis (Detailed)" and doc["issues"] == []
    got, _ = balances(capsys, tmp_path / "sage.xlsx")
    assert got == ex.SAGE_EXPECTED
    customers = read_workbook(tmp_path / "sage.xlsx")["customers"]
    header = customers.header
    limits = dict(zip(customers.columns[0], customers.columns[header.index("Credit Limit")],
                      strict=True))
    assert limits == {"BLU001": 5000.0, "QLC002": 1000.0}
    invoices = read_workbook(tmp_path / "sage.xlsx")["invoices"].columns[0]
    assert {"SP-470", "CN-0021"} <= set(invoices)
    assert not {"SA-460", "SA-461", "SR-450"} & set(invoices)
    # receipts and payments on account: dated rows of Payments, invoice blank
    pay = read_workbook(tmp_path / "sage.xlsx")["payments"]
    rows = {ref.split()[0]: (d, c, a, inv) for d, c, a, ref, inv in zip(
        *(pay.columns[pay.header.index(h)] for h in ("Date", "Customer", "Amount",
                                                      "Reference", "Invoice")), strict=True)}
    assert {k: (str(v[0])[:10], v[1], v[2], v[3]) for k, v in rows.items()} == {
        "SR-450": ("2026-11-28", "BLU001", 100.0, ""),
        "SA-460": ("2026-09-15", "QLC002", 50.0, ""),
        "SA-461": ("2026-09-15", "QLC002", 50.0, "")}


def test_quickbooks_desktop_xlsx_with_indent_columns_and_age_sections(capsys, tmp_path):
    src = tmp_path / "qbd.xlsx"
    ex.write_qbd_xlsx(src)
    doc = imported(capsys, src, "-o", tmp_path / "qbd.xlsx.out.xlsx")
    assert doc["format"] == "QuickBooks A/R Aging Detail" and doc["issues"] == []
    got, _ = balances(capsys, tmp_path / "qbd.xlsx.out.xlsx")
    assert got == ex.QBD_EXPECTED


def test_merge_keeps_what_was_typed_and_reports_new_left_and_changed(capsys, tmp_path):
    src = tmp_path / "xero.xlsx"
    ex.write_xero_detail_xlsx(src)
    book = tmp_path / "mine.xlsx"
    write_workbook(book, {
        "Customers": (["Customer", "Name", "Email", "Credit Limit", "My Notes"],
                      [["BLU001", "Bluegate Joinery", "ap@typed.example", 9000, "call Tom"],
                       ["OLD01", "Gone Away Ltd", "", None, ""]]),
        "Invoices": (["Invoice", "Customer", "Invoice Date", "Due Date", "Amount", "Paid",
                      "Disputed", "My Column"],
                     [["INV-0412", "BLU001", "2026-10-12", "2026-11-11", 1500.0, 100.0, "Yes",
                       "keep me"],
                      ["OLD-1", "OLD01", "2026-01-01", "2026-02-01", 75.0, None, "", ""]]),
        "Settings": (["Setting", "Value"], [["Base Currency", "GBP"], ["Company Name", "Mine"]]),
        "History": (["Date", "Customer", "Type", "Note"],
                    [["2026-11-01", "BLU001", "Note", "promised a call"]]),
    })
    contacts = tmp_path / "Contacts.csv"
    shutil.copy("/work/shared/formats/xero_contacts_export.csv", contacts) if \
        __import__("pathlib").Path("/work/shared/formats/xero_contacts_export.csv").exists() \
        else ex.write_csv(contacts, [["*ContactName", "AccountNumber", "EmailAddress",
                                      "DueDateSalesDay", "DueDateSalesTerm"],
                                     ["Quarry Lane Cafe", "QLC002", "hello@quarrylane.example",
                                      "14", "Days After"]])
    out = tmp_path / "merged.xlsx"
    doc = imported(capsys, src, contacts, "--into", book, "-o", out)
    assert doc["customers"]["new"] == ["QLC002", "Harrow & Sons Limited"]
    assert doc["customers"]["left"] == [{"customer": "OLD01", "balance_before": 75.0}]
    assert {"customer": "BLU001", "before": 1400.0, "after": 1560.0} in \
        doc["customers"]["changed"]
    assert doc["items"]["settled"] == 1 and doc["items"]["settled_on"] == "2026-11-30"
    wb = openpyxl.load_workbook(out)
    cust = {r[0]: r for r in wb["Customers"].iter_rows(min_row=2, values_only=True)}
    head = [c.value for c in wb["Customers"][1]]
    blu = dict(zip(head, cust["BLU001"], strict=True))
    assert blu["Email"] == "ap@typed.example" and blu["Credit Limit"] == 9000
    assert blu["Name"] == "Bluegate Joinery" and blu["My Notes"] == "call Tom"
    assert blu["Terms (days)"] == 30  # filled: the cell was empty
    qlc = dict(zip(head, cust["QLC002"], strict=True))
    assert qlc["Email"] == "hello@quarrylane.example" and qlc["Terms (days)"] == 14
    inv_head = [c.value for c in wb["Invoices"][1]]
    inv = {r[0]: dict(zip(inv_head, r, strict=True))
           for r in wb["Invoices"].iter_rows(min_row=2, values_only=True)}
    assert inv["INV-0412"]["Disputed"] == "Yes" and inv["INV-0412"]["My Column"] == "keep me"
    assert (inv["INV-0412"]["Amount"], inv["INV-0412"]["Paid"]) == (1500.0, 300.0)
    assert inv["OLD-1"]["Settled Date"] is not None
    settings = {r[0]: r[1] for r in wb["Settings"].iter_rows(min_row=2, values_only=True)}
    assert settings["Base Currency"] == "GBP" and settings["Company Name"] == "Mine"
    assert [r[3] for r in wb["History"].iter_rows(min_row=2, values_only=True)] == [
        "promised a call"]
    got, _ = balances(capsys, out)
    assert got == {"BLU001": 1560.0, "QLC002": 590.5, "Harrow & Sons Limited": 1700.0}


def test_an_unknown_layout_is_exit_2_naming_the_file_and_its_headers(capsys, tmp_path):
    src = tmp_path / "erp.csv"
    ex.write_csv(src, [["Doc No", "Account", "Doc Date", "Gross"], ["A1", "C1", "1/2/2026",
                                                                    "5"]])
    code, out, err = run(capsys, "import", src, "-o", tmp_path / "x.xlsx")
    assert code == 2 and out == ""
    assert "erp.csv" in err and "Doc No, Account, Doc Date, Gross" in err and "--map" in err
    assert "Traceback" not in err and not (tmp_path / "x.xlsx").exists()


def test_a_mapping_made_once_is_saved_and_used_by_name_the_next_morning(capsys, tmp_path):
    day1 = tmp_path / "erp-day1.csv"
    ex.write_csv(day1, [["Open items report"], [], ["Doc No", "Account", "Client", "Doc Date",
                                                    "Due", "Open Amount", "Kind"],
                        ["A-1", "C1", "Acme GmbH", "03.11.2026", "03.12.2026", "1.250,00",
                         "INV"],
                        ["A-2", "C1", "Acme GmbH", "05.11.2026", "05.12.2026", "100,00", "CRN"],
                        ["A-3", "C2", "Beta AG", "28.10.2026", "27.11.2026", "EUR 2.000,50",
                         "INV"],
                        ["Summe", "", "", "", "", "3.150,50", ""]], delimiter=";")
    maps = ["Invoice=Doc No", "Customer=Account", "Name=Client", "Invoice Date=Doc Date",
            "Due Date=Due", "Outstanding=Open Amount", "Type=Kind", "Date Order=DMY",
            "Decimal Separator=,", "Sign=Credits Positive", "Credit Types=CRN",
            "Skip Rows Starting With=Summe"]
    args = [day1, "-o", tmp_path / "one.xlsx", "--mapping", "acme-erp"]
    for m in maps:
        args += ["--map", m]
    doc = imported(capsys, *args)
    assert doc["issues"] == [] and doc["items"]["imported"] == 3
    got, _ = balances(capsys, tmp_path / "one.xlsx")
    assert got == {"C1": 1150.0, "C2": 2000.5}
    saved = read_workbook(tmp_path / "one.xlsx")["mappings"]
    assert ("acme-erp", "Date Order", "DMY") in list(zip(*saved.columns[:3], strict=True))
    day2 = tmp_path / "erp-day2.csv"
    ex.write_csv(day2, [["Doc No", "Account", "Client", "Doc Date", "Due", "Open Amount",
                         "Kind"],
                        ["A-1", "C1", "Acme GmbH", "03.11.2026", "03.12.2026", "250,00", "INV"],
                        ["A-4", "C2", "Beta AG", "29.11.2026", "29.12.2026", "10,00", "INV"]],
                  delimiter=";")
    # C2's 2,000.50 is no longer listed (less its new 10.00: 1,990.50 off its balance), of
    # the 3,150.50 open, more than half; refused until the user says it is the whole ledger
    code, out, err = run(capsys, "import", day2, "--into", tmp_path / "one.xlsx", "-o",
                         tmp_path / "two.xlsx", "--mapping", "acme-erp")
    assert code == 4 and out == "" and not (tmp_path / "two.xlsx").exists()
    assert "would take 1,990.50 off the workbook's 3,150.50 open balance (63%)" in err
    doc = imported(capsys, day2, "--into", tmp_path / "one.xlsx", "-o", tmp_path / "two.xlsx",
                   "--mapping", "acme-erp", "--settle-missing")
    assert doc["format"] == "mapping 'acme-erp'"
    assert {c["customer"] for c in doc["customers"]["changed"]} == {"C1", "C2"}
    # no date in this export: what left it is settled today, so ask on that day
    got, _ = balances(capsys, tmp_path / "two.xlsx", doc["items"]["settled_on"])
    assert got == {"C1": 250.0, "C2": 10.0}
    code, _, err = run(capsys, "import", day2, "--into", tmp_path / "one.xlsx", "-o",
                       tmp_path / "three.xlsx", "--mapping", "nope")
    assert code == 2 and "no mapping named 'nope'" in err and "acme-erp" in err


def test_when_most_rows_cannot_be_used_the_status_says_so(capsys, tmp_path):
    src = tmp_path / "bad.csv"
    rows = [["Doc No", "Account", "Doc Date", "Gross"]]
    rows += [[f"A{i}", "C1", "2026-11-01", "n/a"] for i in range(5)]
    rows += [["A9", "C1", "2026-11-01", "10.00"]]
    ex.write_csv(src, rows)
    code, out, err = run(capsys, "import", src, "-o", tmp_path / "x.xlsx", "--map",
                         "Invoice=Doc No", "--map", "Customer=Account", "--map",
                         "Invoice Date=Doc Date", "--map", "Amount=Gross")
    assert code == 3, err
    assert "Most of the 6 rows" in out and "bad.csv, row 2, column Gross" in out
    assert (tmp_path / "x.xlsx").exists()


def test_the_output_may_not_be_an_input(capsys, tmp_path):
    src = tmp_path / "x.xlsx"
    ex.write_xero_detail_xlsx(src)
    code, _, err = run(capsys, "import", src, "-o", src)
    assert code == 2 and "is one of the inputs" in err


def test_an_existing_output_is_overwritten_only_with_force(capsys, tmp_path):
    src = tmp_path / "x.xlsx"
    ex.write_xero_detail_xlsx(src)
    out = tmp_path / "ledger.xlsx"
    imported(capsys, src, "-o", out)
    code, text, err = run(capsys, "import", src, "-o", out)
    assert code == 2 and text == ""
    assert err.strip() == f"creditdesk import: {out} exists; use --force to overwrite it"
    assert imported(capsys, src, "-o", out, "--force")["items"]["imported"]


def test_an_html_file_named_xls_is_named_for_what_it_is(capsys, tmp_path):
    src = tmp_path / "report.xls"
    src.write_text("<html><body><table><tr><td>Aged</td></tr></table></body></html>")
    code, _, err = run(capsys, "import", src, "-o", tmp_path / "x.xlsx")
    assert code == 2 and "web page (HTML)" in err


def test_a_csv_saved_with_an_xls_name_is_read_by_its_content(capsys, tmp_path):
    src = tmp_path / "aged.xls"
    ex.write_csv(src, ex.sage_rows())
    got_doc = imported(capsys, src, "-o", tmp_path / "x.xlsx")
    assert got_doc["format"].startswith("Sage 50")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice writes the .xls")
def test_a_real_xls_file_written_by_libreoffice_imports(capsys, tmp_path):
    src = tmp_path / "xero.xlsx"
    ex.write_xero_detail_xlsx(src, stale_totals=False)
    done = subprocess.run(["soffice", "--headless", "--convert-to", "xls", "--outdir",
                           str(tmp_path / "xls"), str(src)], capture_output=True, timeout=180,
                          check=False)
    xls = tmp_path / "xls" / "xero.xls"
    if not xls.exists():
        pytest.skip(f"LibreOffice did not convert: {done.stderr[-300:]!r}")
    assert xls.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    doc = imported(capsys, xls, "-o", tmp_path / "from-xls.xlsx")
    assert doc["format"] == "Xero Aged Receivables Detail" and doc["issues"] == []
    got, _ = balances(capsys, tmp_path / "from-xls.xlsx")
    assert got == ex.xero_detail_expected()


@pytest.mark.parametrize("name", ["xero_aged_receivables_detail", "qbo_ar_aging_detail",
                                  "qbo_open_invoices", "sage50_aged_debtors_analysis_detailed",
                                  "xero_aged_receivables_summary"])
def test_the_shared_samples_import_with_balances_summed_by_hand(capsys, tmp_path, name):
    src = __import__("pathlib").Path(f"/work/shared/formats/{name}.csv")
    if not src.exists():
        pytest.skip("the shared samples are not on this machine")
    doc = imported(capsys, src, "-o", tmp_path / "out.xlsx")
    assert doc["issues"] == []
    got, _ = balances(capsys, tmp_path / "out.xlsx", "2026-12-02")
    # worked by hand from the sample's item rows: 1200 + 480 - 120; 640.50 - 50
    assert sorted(got.values()) == [590.5, 1560.0]
