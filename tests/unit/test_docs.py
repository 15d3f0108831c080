"""The user docs stay true to the code they describe."""

import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from creditdesk.analysis.documents import REPORTS, InterestReport, KpiFigures, OrderCheck
from creditdesk.analysis.report import Analysis
from creditdesk.analysis.tables import KPIS
from creditdesk.domain.contract import TABLES
from creditdesk.domain.ledger import DEFAULT_LEVELS, build_ledger, raw_tables
from creditdesk.domain.settings import Settings
from creditdesk.domain.templates import PLACEHOLDERS
from devkit.sample import sample_tables

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_workbook_doc_names_every_table_column_setting_level_and_placeholder():
    text = (DOCS / "workbook.md").read_text()
    for t in TABLES:
        assert f"### {t.name}" in text
        for c in t.columns if t.name != "Settings" else ():
            assert f"| {c.header} |" in text, c.header
    for f in Settings.model_fields.values():
        assert f"| {f.alias} |" in text, f.alias
    for lv in DEFAULT_LEVELS:
        assert f"| {lv.level} | {lv.name} | {lv.days} | {lv.template} |" in text
    for p in PLACEHOLDERS:
        assert f"`{{{p}}}`" in text, p


# ---------------------------------------------------------------------------------------
# docs/cli.md's "JSON documents" against the models of creditdesk.analysis.documents


def _json_sections() -> dict[str, str]:
    """{"ageing": its text, ...}: each ``**`X --json`**`` paragraph of docs/cli.md; "common"
    is what the section says every report document has."""
    text = (DOCS / "cli.md").read_text().split("## JSON documents", 1)[1]
    parts = re.split(r"\*\*`([a-z]+) --json`\*\*", text)
    out = {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}
    out["common"] = parts[0]
    return out


def _names(text: str) -> set[str]:
    """Field names a doc paragraph gives: JSON keys ("key": ...), quoted ("key") or in
    backticks (`key`)."""
    found = set(re.findall(r'"([a-z_]+)"', text)) | set(re.findall(r"`([a-z_]+)`", text))
    return found - {"null"}


def _keys(value) -> set[str]:
    """Every key of a JSON document, at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _model_fields(model) -> set[str]:
    out = set()
    for name, f in model.model_fields.items():
        out.add(name)
        for t in typing.get_args(f.annotation) or (f.annotation,):
            for inner in typing.get_args(t) or (t,):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    out |= _model_fields(inner)
    return out


@pytest.fixture(scope="module")
def printed() -> dict[str, dict]:
    """What ``creditdesk ageing|check|remind|score --json`` print for a sample ledger with
    reminders, skipped customers and issues."""
    a = Analysis(build_ledger(raw_tables(sample_tables(customers=80, messy=True, hostile=True))))
    docs = {"ageing": a.ageing_report(), "check": a.check_report(),
            "score": a.score_report(), "remind": a.remind_report()}
    assert docs["remind"].reminders and docs["remind"].skipped and docs["ageing"].issues
    return {name: doc.as_json() for name, doc in docs.items()}


@pytest.mark.parametrize("name", ["ageing", "check", "score", "remind"])
def test_cli_doc_names_every_field_of_a_report_and_no_other(name, printed):
    sections = _json_sections()
    text = sections[name].split("With `--customer C [--order A]`")[0]
    documented = _names(text) | _names(sections["common"])
    assert _keys(printed[name]) == documented
    assert _keys(printed[name]) <= _model_fields(REPORTS[name])


def test_cli_doc_names_every_field_of_the_order_check_and_the_interest_documents():
    sections = _json_sections()
    order = sections["check"].split("With `--customer C [--order A]`")[1]
    assert _names(order) | _names(sections["common"]) >= _model_fields(OrderCheck)
    assert _names(order) <= _model_fields(OrderCheck)
    assert _names(sections["interest"]) == _model_fields(InterestReport)


def test_the_skip_codes_stay_out_of_the_json_whose_contract_has_the_words(printed):
    assert all(set(s) == {"customer", "name", "currency", "reason"}
               for s in printed["remind"]["skipped"])


def test_kpi_doc_has_every_kpi_of_the_kpi_table():
    text = (DOCS / "kpis.md").read_text()
    shown = {k.key for k in KPIS}
    assert shown == set(KpiFigures.model_fields)
    for k in KPIS:
        if k.unit != "ccy" and k.key != "period_days":  # the amounts are in the first table
            assert f"(`{k.key}`)" in text, k.key
