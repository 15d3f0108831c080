"""The desktop way in: the starter workbook, the buttons' module and the functions."""

import re
from pathlib import Path

from creditdesk_addin import desktop, scripts
from creditdesk_addin import functions as fn
from devkit.officejs import payload_from_file
from tests.addin.engine import run, table

ROOT = Path(__file__).resolve().parents[2]


def test_the_desktop_workbook_refreshes_before_anything_is_typed_in(tmp_path):
    from workbook_templates.generate_desktop import main

    out = tmp_path / "desk.xlsx"
    assert main([str(out)]) == 0
    summary, _, after = run(payload_from_file(out), scripts.refresh)
    assert summary.startswith("Refreshed as of ")
    assert table(after, "Issues")[0]["Message"] == "No issues"


def test_the_vba_module_has_one_macro_per_script_calling_the_desktop_entry_points():
    bas = (ROOT / "addin" / "vba" / "Creditdesk.bas").read_text()
    calls = re.findall(r'RunPython "import creditdesk_addin.desktop as cd; cd\.(\w+)\(\)"', bas)
    assert sorted(calls) == sorted(scripts.SCRIPTS)
    for name in calls:
        assert callable(getattr(desktop, name))


def test_the_desktop_functions_are_the_shared_ones_with_their_help(good):
    run(payload_from_file(good), scripts.refresh)
    assert desktop.cd_credit_check("C2", 0) == fn.credit_check("C2", 0)
    assert desktop.cd_ageing_bucket("2026-05-30", "2026-06-30") == "31-60"
    assert desktop.cd_score("C1") == fn.customer_score("C1")
    assert desktop.cd_late_compensation(5000, "2026-06-30", "2026-09-15", "UK") == 70.0
    assert desktop.cd_credit_check.__doc__ == fn.description("credit_check")


def test_every_script_can_be_run_from_python_by_name(capsys):
    import pytest

    with pytest.raises(SystemExit):
        desktop.main(["--help"])
    assert "set_mock_caller" in capsys.readouterr().out
