"""The user docs stay true to the code they describe."""

from pathlib import Path

from creditdesk.domain.contract import TABLES
from creditdesk.domain.ledger import DEFAULT_LEVELS
from creditdesk.domain.settings import Settings
from creditdesk.domain.templates import PLACEHOLDERS

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
