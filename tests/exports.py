"""Export files written the way the accounting systems write them: title blocks, contact or
age-band headings, subtotals, grand totals, percentage and generated-at lines; .xlsx with real
number formats, dates as Excel serials and total rows as formulas whose cached value is a
stale 0.00; .csv with a BOM and CRLF line ends, text dates and currency symbols."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

AS_AT = dt.date(2026, 11, 30)


def _col(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


# Xero Aged Receivables Detail: (contact, account, [(inv date, due, number, ref, amount)])
XERO_DETAIL = [
    ("Bluegate Joinery Ltd", "BLU001", [
        (dt.date(2026, 10, 12), dt.date(2026, 11, 11), "INV-0412", "PO 7781", 1200.00),
        (dt.date(2026, 11, 20), dt.date(2026, 12, 20), "INV-0433", "", 480.00),
        (dt.date(2026, 11, 25), None, "", "CN-0021 Return of faulty hinges", -120.00)]),
    ("Quarry Lane Cafe", "QLC002", [
        (dt.date(2026, 7, 3), dt.date(2026, 8, 2), "INV-0355", "", 640.50),
        (dt.date(2026, 9, 15), None, "", "Overpayment", -50.00)]),
    ("Harrow & Sons Limited", "", [
        (dt.date(2026, 4, 1), dt.date(2026, 5, 1), "INV-0101", "", 1999.99),
        (dt.date(2026, 11, 29), dt.date(2026, 12, 29), "INV-0460", "", 0.01),
        (dt.date(2026, 10, 1), None, "", "Prepayment", -300.00)]),
]
XERO_BUCKETS = ["Current", "< 1 Month", "1 Month", "2 Months", "3 Months", "Older"]


def _xero_bucket(due: dt.date | None, inv: dt.date) -> int:
    days = (AS_AT - (due or inv)).days
    if days <= 0:
        return 0
    months = (AS_AT.year - (due or inv).year) * 12 + AS_AT.month - (due or inv).month
    return min(1 + max(months, 0), 5) if days > 30 else 1


def write_xero_detail_xlsx(path: Path, *, stale_totals: bool = True,
                           with_account: bool = True) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Aged Receivables Detail")
    title = wb.add_format({"bold": True, "font_size": 14})
    bold = wb.add_format({"bold": True})
    money = wb.add_format({"num_format": "#,##0.00"})
    money_bold = wb.add_format({"num_format": "#,##0.00", "bold": True})
    date = wb.add_format({"num_format": "d mmm yyyy"})
    pct = wb.add_format({"num_format": "0%"})
    headers = (["Contact", "Contact Account Number"] if with_account else ["Contact"]) + [
        "Invoice Date", "Due Date", "Invoice Number", "Invoice Reference", *XERO_BUCKETS,
        "Total"]
    width = len(headers)
    ws.merge_range(0, 0, 0, width - 1, "Aged Receivables Detail", title)
    ws.merge_range(1, 0, 1, width - 1, "Harbourside Widgets Ltd")
    ws.merge_range(2, 0, 2, width - 1, "As at 30 November 2026")
    ws.merge_range(3, 0, 3, width - 1, "Ageing by due date")
    for j, h in enumerate(headers):
        ws.write_string(5, j, h, bold)
    off = 2 if with_account else 1
    r = 6
    grand_rows = []
    for contact, account, items in XERO_DETAIL:
        ws.write_string(r, 0, contact, bold)
        r += 1
        first = r
        for inv, due, number, ref, amount in items:
            if with_account and account:
                ws.write_string(r, 1, account)
            ws.write_datetime(r, off, dt.datetime.combine(inv, dt.time()), date)
            if due:
                ws.write_datetime(r, off + 1, dt.datetime.combine(due, dt.time()), date)
            if number:
                ws.write_string(r, off + 2, number)
            if ref:
                ws.write_string(r, off + 3, ref)
            b = _xero_bucket(due, inv)
            for k in range(6):
                ws.write_number(r, off + 4 + k, amount if k == b else 0.0, money)
            ws.write_number(r, off + 10, amount, money)
            r += 1
        ws.write_string(r, 0, f"Total {contact}", bold)
        for k in range(7):
            c = _col(off + 4 + k)
            cached = 0 if stale_totals else sum(
                a for i, d, n, f, a in items if k == 6 or _xero_bucket(d, i) == k)
            ws.write_formula(r, off + 4 + k, f"=SUM({c}{first + 1}:{c}{r})", money_bold,
                             cached)
        grand_rows.append(r)
        r += 1
    ws.write_string(r, 0, "Total", bold)
    grand = sum(a for _, _, items in XERO_DETAIL for *_, a in items)
    for k in range(7):
        c = _col(off + 4 + k)
        ws.write_formula(r, off + 4 + k, "=" + "+".join(f"{c}{g + 1}" for g in grand_rows),
                         money_bold, 0 if stale_totals else (grand if k == 6 else 0))
    r += 1
    ws.write_string(r, 0, "Percentage of total")
    for k in range(7):
        ws.write_number(r, off + 4 + k, 1.0 if k == 6 else 0.0, pct)
    wb.close()


def xero_detail_expected() -> dict[str, float]:
    """Hand sums of the items (not the export's total rows), per customer key."""
    return {(account or contact): round(sum(a for *_, a in items), 2)
            for contact, account, items in XERO_DETAIL}


def write_csv(path: Path, rows: list[list[str]], *, bom: bool = True, crlf: bool = True,
              delimiter: str = ",") -> None:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        csv.writer(f, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n").writerows(
            rows)


# QuickBooks Online A/R Aging Detail (US: MM/DD/YYYY, $ on totals, "No." header variant)
QBO_ITEMS = [  # bucket, date, type, num, customer, due, amount, open
    ("91 or more days past due", "07/03/2026", "Invoice", "1355", "Quarry Lane Cafe",
     "08/02/2026", "840.50", "640.50"),
    ("1 - 30 days past due", "10/12/2026", "Invoice", "1412", "Bluegate Joinery LLC",
     "11/11/2026", "1,200.00", "1,200.00"),
    ("1 - 30 days past due", "10/20/2026", "Invoice", "1021", "Bluegate Joinery LLC",
     "11/19/2026", "2,000.00", "1,500.00"),
    ("Current", "11/20/2026", "Invoice", "1433", "Bluegate Joinery LLC", "12/20/2026",
     "480.00", "480.00"),
    ("Current", "11/25/2026", "Credit Memo", "1021", "Bluegate Joinery LLC", "11/25/2026",
     "(120.00)", "(120.00)"),
    ("Current", "11/28/2026", "Payment", "", "Quarry Lane Cafe", "11/28/2026", "-50.00",
     "-50.00"),
    ("Current", "11/29/2026", "Payment", "", "Quarry Lane Cafe", "11/29/2026", "-50.00",
     "-50.00"),
]
QBO_EXPECTED = {"Quarry Lane Cafe": 540.50, "Bluegate Joinery LLC": 3060.00}


def _usd(x: float) -> str:
    return f"(${-x:,.2f})" if x < 0 else f"${x:,.2f}"


def _n(text: str) -> float:
    t = text.replace(",", "").replace("$", "")
    return -float(t.strip("()")) if t.startswith("(") else float(t)


def qbo_aging_rows(*, stale_grand: bool = False) -> list[list[str]]:
    rows = [["Harbourside Widgets Inc."] + [""] * 8, ["A/R Aging Detail"] + [""] * 8,
            ["As of December 2, 2026"] + [""] * 8, [""] * 9,
            ["", "Date", "Transaction Type", "No.", "Customer", "Location full name",
             "Due Date", "Amount", "Open Balance"]]
    grand_a = grand_o = 0.0
    bucket = None
    sub_a = sub_o = 0.0
    for b, d, t, num, cust, due, amount, open_ in [*QBO_ITEMS, (None,) * 8]:
        if b != bucket:
            if bucket is not None:
                rows.append([f"Total for {bucket}"] + [""] * 6 + [f"{sub_a:,.2f}",
                                                                  f"{sub_o:,.2f}"])
            if b is None:
                break
            rows.append([b] + [""] * 8)
            bucket, sub_a, sub_o = b, 0.0, 0.0
        rows.append(["", d, t, num, cust, "", due, amount, open_])
        sub_a += _n(amount)
        sub_o += _n(open_)
        grand_a += _n(amount)
        grand_o += _n(open_)
    rows.append(["TOTAL"] + [""] * 6 + [_usd(grand_a), _usd(0 if stale_grand else grand_o)])
    rows += [[""] * 9, [""] * 9, [" Wednesday, December 2, 2026 09:14 AM GMT-05:00"] + [""] * 8]
    return rows


# Sage 50 Aged Debtors Analysis (Detailed): DD/MM/YYYY
SAGE = [
    ("BLU001", "Bluegate Joinery Ltd", "5000.00", [
        ("412", "SI", "12/10/2026", "INV-0412", "Brass hinges", "1200.00"),
        ("433", "SI", "20/11/2026", "INV-0433", "Hinges", "480.00"),
        ("441", "SC", "25/11/2026", "CN-0021", "Return", "-120.00"),
        ("450", "SR", "28/11/2026", "BACS", "Receipt", "-100.00")]),
    ("QLC002", "Quarry Lane Cafe", "1,000.00", [
        ("355", "SI", "03/07/2026", "INV-0355", "Service", "640.50"),
        ("460", "SA", "15/09/2026", "BACS", "Payment on account", "-50.00"),
        ("461", "SA", "15/09/2026", "BACS", "Payment on account", "-50.00"),
        ("470", "SP", "01/10/2026", "REFUND", "Refund", "25.00")]),
]
SAGE_EXPECTED = {"BLU001": 1460.00, "QLC002": 565.50}


def sage_rows() -> list[list[str]]:
    w = 12
    rows = [["Harbourside Widgets Ltd"] + [""] * (w - 1),
            ["Aged Debtors Analysis (Detailed)"] + [""] * (w - 1),
            ["Report Date: 30/11/2026"] + [""] * (w - 1),
            ["Include future transactions: No"] + [""] * (w - 1), [""] * w,
            ["A/C", "Name", "Contact", "Telephone"] + [""] * (w - 4),
            ["No", "Type", "Date", "Ref", "Details", "Balance", "Future", "Current",
             "Period 1", "Period 2", "Period 3", "Older"]]
    grand = 0.0
    for code, name, limit, items in SAGE:
        rows.append([code, name, "Priya Shah", "0113 496 0000"] + [""] * (w - 4))
        total = 0.0
        for no, t, d, ref, det, bal in items:
            rows.append([no, t, d, ref, det, bal, "0.00", bal, "0.00", "0.00", "0.00", "0.00"])
            total += float(bal.replace(",", ""))
        grand += total
        rows.append(["Totals:", "", "", "", "", f"{total:.2f}"] + [""] * (w - 6))
        rows.append(["Turnover: 8450.00"] + [""] * (w - 1))
        rows.append([f"Credit Limit: {limit}"] + [""] * (w - 1))
    rows.append(["Grand Totals:", "", "", "", "", f"{grand:.2f}"] + [""] * (w - 6))
    return rows


# QuickBooks Desktop A/R Aging Detail: leading indent columns, age-band sections, Name column
QBD = [  # section, type, date, num, po, name, terms, due, aging, open
    ("Current", "Invoice", "11/20/2026", "7001", "PO-9", "Kestrel Ltd", "Net 30",
     "12/20/2026", "", "480.00"),
    ("1 - 30", "Invoice", "10/25/2026", "7002", "", "Kestrel Ltd", "Net 30", "11/24/2026",
     "6", "1,250.00"),
    ("1 - 30", "Credit Memo", "11/05/2026", "CM-12", "", "Osprey Inc", "", "11/05/2026", "25",
     "-75.25"),
    ("> 90", "Invoice", "06/01/2026", "6900", "", "Osprey Inc", "Net 15", "06/16/2026", "167",
     "300.00"),
]
QBD_EXPECTED = {"Kestrel Ltd": 1730.00, "Osprey Inc": 224.75}


def write_qbd_xlsx(path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    money = wb.add_format({"num_format": "#,##0.00;-#,##0.00"})
    date = wb.add_format({"num_format": "mm/dd/yyyy"})
    ws.write_string(0, 3, "Kestrel Supplies")
    ws.write_string(1, 3, "A/R Aging Detail")
    ws.write_string(2, 3, "As of November 30, 2026")
    for j, h in enumerate(["Type", "Date", "Num", "P. O. #", "Name", "Terms", "Due Date",
                           "Aging", "Open Balance"]):
        ws.write_string(4, 2 + j, h)
    r = 5
    section = None
    total = 0.0
    grand = 0.0
    for s, t, d, num, po, name, terms, due, aging, open_ in [*QBD, (None,) * 10]:
        if s != section:
            if section is not None:
                ws.write_string(r, 0, f"Total {section}")
                ws.write_number(r, 10, total, money)
                r += 1
            if s is None:
                break
            ws.write_string(r, 0, s)
            r += 1
            section, total = s, 0.0
        ws.write_string(r, 2, t)
        m, dd, y = map(int, d.split("/"))
        ws.write_datetime(r, 3, dt.datetime(y, m, dd), date)
        ws.write_string(r, 4, num)
        if po:
            ws.write_string(r, 5, po)
        ws.write_string(r, 6, name)
        if terms:
            ws.write_string(r, 7, terms)
        m, dd, y = map(int, due.split("/"))
        ws.write_datetime(r, 8, dt.datetime(y, m, dd), date)
        if aging:
            ws.write_number(r, 9, int(aging))
        x = float(open_.replace(",", ""))
        ws.write_number(r, 10, x, money)
        total += x
        grand += x
        r += 1
    ws.write_string(r, 0, "TOTAL")
    ws.write_number(r, 10, grand, money)
    wb.close()
