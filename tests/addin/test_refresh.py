"""Refresh, Score and the Issues sheet through the xlwings engine, on the CLI tests' files."""

import json

import pytest

from creditdesk.cli.main import main
from creditdesk.files.xlsx_write import write_workbook
from creditdesk_addin import scripts
from devkit.officejs import payload_from_file
from devkit.sample import sample_tables
from tests.addin.engine import cell, run, table
from tests.e2e.test_cli import EVIL


def cli_json(capsys, *args) -> dict:
    assert main([str(a) for a in args] + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "sample.xlsx"
    write_workbook(path, sample_tables(customers=60))
    return path


def _kpis_on_dashboard(payload: dict) -> dict[str, object]:
    dash = next(s for s in payload["sheets"] if s["name"] == "Dashboard")["values"]
    return {row[0]: row[1] for row in dash if row and row[0]}


@pytest.mark.parametrize("name", ["good", "sample"])
def test_refresh_writes_the_ageing_credit_and_kpi_figures_the_cli_prints(name, request,
                                                                         capsys):
    path = request.getfixturevalue(name)
    ageing = cli_json(capsys, "ageing", path)
    check = cli_json(capsys, "check", path)
    summary, _, after = run(payload_from_file(path), scripts.refresh)
    assert summary.startswith(f"Refreshed as of {ageing['as_of']}")

    ccy = ageing["base_currency"]
    buckets = [f"{b} days ({ccy})" if b != "Not due" else f"Not due ({ccy})"
               for b in ageing["buckets"]]
    rows = table(after, "Ageing")
    assert [r["Customer"] for r in rows] == [c["customer"] for c in ageing["customers"]]
    for r, c in zip(rows, ageing["customers"], strict=True):
        assert r[f"Outstanding ({ccy})"] == pytest.approx(c["outstanding"], abs=0.001)
        assert r[f"Overdue ({ccy})"] == pytest.approx(c["overdue"], abs=0.001)
        assert [r[b] for b in buckets] == pytest.approx(c["buckets"], abs=0.001)
        assert (r["Open Items"], r["Oldest Days Overdue"]) == (c["open_items"],
                                                               c["oldest_days_overdue"])

    credit = table(after, "Credit")
    assert [r["Customer"] for r in credit] == [c["customer"] for c in check["customers"]]
    for r, c in zip(credit, check["customers"], strict=True):
        assert r["Decision"] == c["decision"]
        assert r[f"Exposure ({ccy})"] == pytest.approx(c["exposure"], abs=0.001)
        assert (r["Reasons"] or "") == "; ".join(c["reasons"])
        assert r[f"Credit Limit ({ccy})"] == c["credit_limit"]

    shown = _kpis_on_dashboard(after)
    assert shown["Outstanding"] == pytest.approx(ageing["total"]["outstanding"])
    assert shown["Overdue"] == pytest.approx(ageing["total"]["overdue"])
    k = ageing["kpis"]
    assert shown["DSO (countback)"] == (pytest.approx(k["dso_countback"])
                                        if k["dso_countback"] is not None else "n/a")
    assert shown["Collection effectiveness index (CEI)"] == (
        pytest.approx(k["cei"]) if k["cei"] is not None else "n/a")
    assert shown["Overdue share"] == pytest.approx(k["percent_overdue"])
    by_age = table(after, "ReceivablesByAge")
    assert [r[f"Amount ({ccy})"] for r in by_age] == pytest.approx(ageing["total"]["buckets"])


def test_refresh_lists_every_problem_on_the_issues_sheet_as_the_cli_does(bad, capsys):
    expected = cli_json(capsys, "ageing", bad)["issues"]
    summary, _, after = run(payload_from_file(bad), scripts.refresh)
    issues = table(after, "Issues")
    assert [(i["Sheet"], i["Row"], i["Column"], i["Message"]) for i in issues] == [
        (e["sheet"], e["row"], e["column"], e["message"]) for e in expected]
    assert ("Invoices", 3, "Amount") in {(i["Sheet"], i["Row"], i["Column"]) for i in issues}
    assert f"{len(expected)} issue(s): see the Issues sheet" in summary
    assert cell(after, "Dashboard", 2, 1).endswith(summary)


def test_a_customer_named_like_a_formula_stays_text(good):
    _, actions, after = run(payload_from_file(good), scripts.refresh)
    writes = [a for a in actions if a["func"] == "setValues"]
    cells = [v for a in writes for row in a["values"] for v in row]
    assert "'" + EVIL in cells
    assert EVIL not in cells  # never unquoted
    # the Name column is formatted as text before its values land
    sheet_pos = next(i for i, s in enumerate(after["sheets"]) if s["name"] == "Ageing")
    i_fmt = next(i for i, a in enumerate(actions) if a["func"] == "setNumberFormat"
                 and a["sheet_position"] == sheet_pos and a["start_column"] == 1
                 and a["args"] == ["@"])
    i_val = next(i for i, a in enumerate(actions) if a["func"] == "setValues"
                 and a["sheet_position"] == sheet_pos)
    assert i_fmt < i_val
    assert EVIL in [r["Name"] for r in table(after, "Ageing")]  # Excel shows it as text


def test_refresh_twice_resizes_its_tables_instead_of_adding_new_ones(good):
    _, first, after = run(payload_from_file(good), scripts.refresh)
    _, second, again = run(after, scripts.refresh)
    assert sum(a["func"] == "addTable" for a in first) == 4
    assert not any(a["func"] in ("addTable", "addSheet", "addChart") for a in second)
    assert sum(a["func"] == "resizeTable" for a in second) == 4
    assert table(again, "Ageing") == table(after, "Ageing")


def test_a_workbook_without_customers_stops_with_a_sentence_not_a_traceback(tmp_path):
    path = tmp_path / "nocustomers.xlsx"
    write_workbook(path, {"Invoices": (["Invoice"], [["I1"]])})
    summary, actions, after = run(payload_from_file(path), scripts.refresh)
    assert summary == "Refresh stopped: no table or sheet named 'Customers'"
    assert table(after, "Issues")[0]["Message"] == summary
    assert "Traceback" not in json.dumps(actions)


def test_an_internal_error_is_one_line_on_the_issues_sheet(good, monkeypatch):
    def boom(*a, **k):
        raise ZeroDivisionError("float division by zero")
    monkeypatch.setattr(scripts, "write_ageing", boom)
    summary, actions, after = run(payload_from_file(good), scripts.refresh)
    assert summary.startswith("Refresh failed: internal error (ZeroDivisionError")
    assert "Traceback" not in json.dumps(actions) and "File \"" not in json.dumps(actions)
    assert table(after, "Issues")[0]["Message"] == summary


def test_score_writes_the_scores_the_cli_prints(sample, capsys):
    expected = cli_json(capsys, "score", sample)
    summary, _, after = run(payload_from_file(sample), scripts.score)
    rows = table(after, "Scores")
    assert [r["Customer"] for r in rows] == [c["customer"] for c in expected["customers"]]
    for r, c in zip(rows, expected["customers"], strict=True):
        assert r["Score"] == c["score"] and r["Grade"] == c["grade"]
        assert r[f"Recommended Limit ({expected['base_currency']})"] == \
            c["recommended_limit"]
    assert summary.startswith("Scored ")


def test_progress_is_printed_where_there_is_no_status_bar(good, capsys):
    run(payload_from_file(good), scripts.refresh)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Creditdesk Refresh: reading the workbook's tables"
    assert out[-1].startswith("Creditdesk Refresh: Refreshed as of")


def _dated_cells(payload: dict) -> int:
    return sum(isinstance(v, str) and v.endswith("T00:00:00.000Z")
               for s in payload["sheets"] for r in s["values"] for v in r)


@pytest.mark.parametrize("script", ["refresh", "preview_reminders", "score"])
@pytest.mark.parametrize("name", ["good", "sample"])
def test_dates_sent_as_serial_numbers_give_the_results_of_dates_sent_as_iso_text(
        name, script, request):
    """Excel sends a date as ISO text where its client recognises the cell's date format,
    else as the serial number it stores (a custom yyyy-mm-dd format, an older client)."""
    path = request.getfixturevalue(name)
    iso, serial = payload_from_file(path, dates="iso"), payload_from_file(path, dates="serial")
    assert _dated_cells(iso) > 5 and _dated_cells(serial) == 0
    results = []
    for payload in (iso, serial):
        summary, _, after = run(payload, scripts.SCRIPTS[script])
        given = {t["name"] for s in payload["sheets"] for t in s["tables"]}
        tables = {t["name"]: table(after, t["name"]) for s in after["sheets"]
                  for t in s["tables"] if t["name"] not in given}  # what the script wrote
        dashboard = next(s for s in after["sheets"] if s["name"] == "Dashboard")["values"]
        results.append((summary, tables, [r for i, r in enumerate(dashboard) if i != 1]))
    assert results[0][0] == results[1][0]
    assert results[0][1].keys() == results[1][1].keys()
    for t in results[0][1]:
        assert results[0][1][t] == results[1][1][t], t
    assert results[0][2] == results[1][2]


def test_refresh_writes_each_plans_state_as_plan_list_prints_it(tmp_path, capsys):
    from tests.builders import customer, d, invoice, tables

    path = tmp_path / "plans.xlsx"
    plans = (["Plan", "Customer", "Invoices", "Start Date", "Frequency", "Instalments",
              "Status"], [["P1", "C1", "I1", d("2026-05-15"), "Monthly", 2, "Active"]])
    write_workbook(path, tables(customers=[customer("C1")],
                                invoices=[invoice("I1", 500.0, d("2026-04-30"))],
                                extra={"Plans": plans}))
    (listed,) = cli_json(capsys, "plan", "list", path)["plans"]
    _, _, after = run(payload_from_file(path), scripts.refresh)
    (row,) = table(after, "PlanStatus")
    assert (row["Plan"], row["Status (typed)"], row["Status"]) == ("P1", "Active", "Defaulted")
    assert listed["status"] == "Defaulted" and row["Missed"] == listed["missed"] == 2
    assert row["Outstanding"] == listed["outstanding"] == 500.0
    assert cell(after, "Plan status", 1, 1).startswith("Payment plans: 1, 0 kept")


def test_statements_writes_the_statements_the_cli_prints(sample, capsys):
    expected = cli_json(capsys, "statements", sample)
    summary, _, after = run(payload_from_file(sample), scripts.statements)
    rows = table(after, "Statements")
    want = []
    for s in expected["statements"]:
        want.append((s["customer"], s["currency"], "Opening balance", None,
                     s["opening_balance"]))
        want += [(s["customer"], s["currency"], ln["type"], ln["amount"], ln["balance"])
                 for ln in s["lines"]]
        want.append((s["customer"], s["currency"], "Closing balance", None,
                     s["closing_balance"]))
    got = [(r["Customer"], r["Currency"], r["Type"], r["Amount"], r["Balance"]) for r in rows]
    assert got == want
    assert summary.startswith(f"{len(expected['statements'])} statements of account")
