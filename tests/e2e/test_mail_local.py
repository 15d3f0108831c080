"""Through the local stack (`creditdesk backend serve` as a child process, the CLI against
it): the mail in the outbox comes From the workbook's Sender Email, greets the Contact Name,
shows the Payment Details and the Reference column, carries no X-Creditdesk header, and the
final demand lists no invoice not yet due."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest

from devkit.supervisor import LocalBackend
from tests.integration.test_mail_content import company_workbook

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_the_local_stack_sends_the_companys_mail(tmp_path):
    workbook = company_workbook(tmp_path / "ledger.xlsx")
    outbox = tmp_path / "outbox"
    with LocalBackend(outbox, schedules=False) as b:
        env = {**os.environ, "CREDITDESK_URL": b.url, "CREDITDESK_API_KEY": b.api_key}
        r = subprocess.run([sys.executable, "-m", "creditdesk.cli.main", "send", str(workbook),
                            "--yes", "--as-of-ok", "--now"], env=env, capture_output=True,
                           text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "Done: 5 sent" in r.stdout
    names = sorted(p.name for p in outbox.glob("*.eml"))
    assert "DE1-EUR-level2.eml" in names and "FIN-EUR-level4.eml" in names and len(names) == 5
    msgs = {n: email.message_from_bytes((outbox / n).read_bytes(), policy=policy.default)
            for n in names}
    for msg in msgs.values():
        assert msg["From"].addresses[0].addr_spec == "credit.control@acme.example"
        assert not [h for h in msg if h.casefold().startswith("x-creditdesk")]
        assert str(msg["Message-ID"]).strip().endswith("@email.amazonses.com>")
    german = msgs["DE1-EUR-level2.eml"].get_body(("plain",)).get_content()
    assert german.startswith("Guten Tag Anna Beck,")
    assert "PO-4711" in german and "Bank: Lloyds" in german and "1.234,56 €" in german
    final = msgs["FIN-EUR-level4.eml"].get_body(("plain",)).get_content()
    assert "F-OLD" in final and "F-SOON" not in final
