"""``creditdesk letters`` (issue 12, item 3): a level whose Channel is Letter yields a PDF
letter per customer and currency, read back with pypdf, and one batch PDF with a cover list;
the address is placed for the Envelope Window setting."""

import json

import pytest
from pypdf import PdfReader

from creditdesk.analysis.documents import BeforeAction, LettersReport
from creditdesk.cli import main as cli
from creditdesk.documents.letter_pdf import batch_file_name, letter_file_name
from creditdesk.documents.pdf import WINDOWS, money
from creditdesk.files.xlsx_write import write_workbook
from devkit.sample import sample_tables

MM = 72 / 25.4  # PDF points in a millimetre


def _tables(window: str | None = None, letters: bool = True):
    t = sample_tables()
    h, rows = t["Dunning Levels"]
    rows = [list(r) for r in rows]
    if letters:  # the second reminder and the final demand go by post
        for r in rows[2:]:
            r[h.index("Channel")] = "Letter"
    t["Dunning Levels"] = (h, rows)
    ch, crows = t["Customers"]
    t["Customers"] = ([*ch, "Address Line 1", "City", "Postcode", "Country"],
                      [[*r, f"{k + 1} High Street", "Leeds", "LS1 1AA", "United Kingdom"]
                       for k, r in enumerate(crows)])
    if window:
        sh, srows = t["Settings"]
        t["Settings"] = (sh, [*srows, ["Envelope Window", window]])
    return t


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("letters") / "ledger.xlsx"
    write_workbook(path, _tables())
    return path


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _text(path) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_a_letter_level_yields_a_pdf_letter_per_customer_and_a_batch(capsys, workbook,
                                                                     tmp_path):
    code, out, err = run(capsys, "letters", workbook, "--json")
    assert code == 0, err
    report = LettersReport.model_validate(json.loads(out))
    assert report.letters and {x.level_name for x in report.letters} <= {
        "Second reminder", "Final demand"}
    remind = json.loads(run(capsys, "remind", workbook, "--json")[1])
    by_post = {(m["customer"], m["currency"]) for m in remind["reminders"]
               if m["channel"] == "Letter"}
    assert {(x.customer, x.currency) for x in report.letters} == by_post

    folder = tmp_path / "out"
    code, out, err = run(capsys, "letters", workbook, "-o", folder)
    assert code == 0, err
    for x in report.letters:
        text = _text(folder / letter_file_name(x))
        for part in (x.name, *x.address, x.reference, x.account,
                     " ".join(x.subject.split()), money(x.total, x.currency)):
            assert part in text, part
        for ln in x.invoices:
            # the sign stands before the currency symbol in the mail text (-£158.30)
            assert ln.invoice in text and f"{abs(ln.outstanding):,.2f}" in text
        for sentence in x.computation:
            assert " ".join(sentence.split()) in text
    batch = PdfReader(folder / batch_file_name(report))
    singles = [len(PdfReader(folder / letter_file_name(x)).pages) for x in report.letters]
    assert len(batch.pages) == 1 + sum(singles)
    cover = batch.pages[0].extract_text()
    assert "Letters to print" in cover
    for x in report.letters:
        assert x.customer in cover and f"{x.total:,.2f}" in cover
    assert f"Wrote {len(report.letters)} letters" in out


def test_a_final_demand_letter_says_how_its_interest_was_computed(capsys, workbook):
    report = LettersReport.model_validate(json.loads(run(capsys, "letters", workbook,
                                                         "--json")[1]))
    claimed = [x for x in report.letters if x.interest > 0]
    assert claimed
    for x in claimed:
        lines = [ln for ln in x.invoices if ln.interest or ln.compensation]
        assert len(x.computation) == len(lines)
        for ln, sentence in zip(lines, x.computation, strict=True):
            assert sentence.startswith(f"{ln.invoice}: statutory interest under the Late "
                                       "Payment of Commercial Debts (Interest) Act 1998")
            assert f"{x.currency} {ln.interest:,.2f}" in sentence
            assert f"for {ln.days_overdue} days" in sentence


def _name_height_mm(path, name: str) -> float:
    """How far down the page (mm) the customer's name is printed."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip() == name:
            found.append(297 - tm[5] / MM)

    PdfReader(path).pages[0].extract_text(visitor_text=visit)
    assert found, name
    return found[0]


@pytest.mark.parametrize("window", ["UK DL", "DIN 5008"])
def test_the_address_sits_in_the_window_the_setting_names(capsys, tmp_path, window):
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, _tables(window))
    folder = tmp_path / "out"
    assert run(capsys, "letters", path, "-o", folder)[0] == 0
    report = LettersReport.model_validate(json.loads(run(capsys, "letters", path,
                                                         "--json")[1]))
    assert report.company.envelope_window == window
    first = report.letters[0]
    down = _name_height_mm(folder / letter_file_name(first), first.name)
    top = WINDOWS[window].address_y
    assert top < down < top + 6  # the first line's baseline, inside the window


def test_no_letter_level_means_no_letters_and_no_batch(capsys, tmp_path):
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, _tables(letters=False))
    code, out, _ = run(capsys, "letters", path, "-o", tmp_path / "out")
    assert code == 0 and "0 letters" in out
    assert list((tmp_path / "out").iterdir()) == []


def test_the_cli_doc_names_every_field_of_the_letters_document(capsys, workbook):
    from tests.unit.test_docs import _json_sections, _keys, _model_fields, _names

    printed = json.loads(run(capsys, "letters", workbook, "--json")[1])
    reminder_line = {"invoice", "invoice_date", "due_date", "days_overdue", "status",
                     "outstanding", "interest", "compensation"}
    company = {"name", "email", "phone", "payment_details", "envelope_window"}
    documented = _names(_json_sections()["letters"]) | reminder_line | company
    # no letter before action here (tests/integration/test_letter_before_action_pdf.py)
    before_action_only = _model_fields(BeforeAction) - _keys(printed)
    assert _keys(printed) == documented - {"statements"} - before_action_only
    assert _keys(printed) == _model_fields(LettersReport) - before_action_only


def test_a_printed_batch_goes_into_the_history_and_is_not_made_again(capsys, workbook,
                                                                     tmp_path):
    from openpyxl import load_workbook

    before = LettersReport.model_validate(json.loads(run(capsys, "letters", workbook,
                                                         "--json")[1]))
    printed = tmp_path / "printed.xlsx"
    code, out, err = run(capsys, "letters", workbook, "--printed", printed)
    assert code == 0, err
    assert f"Recorded {len(before.letters)} letters as sent" in out
    ws = load_workbook(printed, read_only=True)["History"]
    rows = list(ws.iter_rows(values_only=True))
    header = [h for h in rows[0]]
    added = [dict(zip(header, r, strict=False)) for r in rows[1:]
             if r[header.index("Note")] and str(r[header.index("Note")]).startswith("Letter")]
    assert sorted((r["Customer"], r["Currency"], r["Level"]) for r in added) == sorted(
        (x.customer, x.currency, x.level) for x in before.letters)
    code, out, _ = run(capsys, "letters", printed)
    assert code == 0 and "0 letters" in out  # sent today: in their cool-down
    code, _, err = run(capsys, "letters", workbook, "--printed", printed)
    assert code == 2 and "--force" in err
    code, _, err = run(capsys, "letters", workbook, "--printed", workbook)
    assert code == 2 and "never changed" in err
