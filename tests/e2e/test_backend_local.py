"""The local stack over HTTP, as a user and the add-in drive it: `creditdesk backend serve` as
a child process, the client and the CLI against it, the sent mail in the outbox."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
import email
import json
import os
import signal
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import httpx
import pytest

from creditdesk.api.client import BackendError, Client, KeyRefused
from creditdesk.app.reminders import new_batch_id
from creditdesk.files.xlsx_write import write_workbook
from devkit.sample import sample_tables
from devkit.supervisor import LocalBackend

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


def reminder(i: int, to: str | None = None, level: int = 1) -> dict:
    return {"customer": f"E2E-{i:05d}", "currency": "EUR", "level": level,
            "to": to or f"ap{i}@customer{i}.example.com", "subject": f"Reminder {i}",
            "text": f"Please pay invoice INV-{i}.", "html": f"<p>Please pay INV-{i}.</p>",
            "invoices": [f"INV-{i}"], "amount": 100.0 + i}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    outbox = tmp_path_factory.mktemp("outbox")
    b = LocalBackend(outbox, schedules=True, extra_args=("--verbose",))
    b.start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def client(stack):
    with Client(stack.url, stack.api_key, timeout=TIMEOUT) as c:
        yield c


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wb") / "ledger.xlsx"
    write_workbook(path, sample_tables(as_of=dt.date(2026, 11, 24), messy=True, hostile=True))
    return path


def cli(stack, *args: str, key: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "CREDITDESK_URL": stack.url,
           "CREDITDESK_API_KEY": key or stack.api_key}
    return subprocess.run([sys.executable, "-m", "creditdesk.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def eml_ids(outbox: Path) -> dict[str, email.message.EmailMessage]:
    out = {}
    for p in outbox.glob("*.eml"):
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        out[str(msg["Message-ID"]).strip().strip("<>").split("@")[0]] = msg
    return out


def test_the_ready_line_names_loopback_addresses_and_the_outbox(stack):
    assert set(stack.info) == {"url", "api_key", "aws_endpoint", "outbox"}
    assert stack.url.startswith("http://127.0.0.1:")
    assert stack.info["aws_endpoint"].startswith("http://127.0.0.1:")
    assert Path(stack.info["outbox"]).is_dir()


def test_a_request_without_a_key_is_refused(stack):
    origin = "https://addin.xlwings.org"
    r = httpx.get(f"{stack.url}/v1/scores", timeout=TIMEOUT)
    bad = httpx.get(f"{stack.url}/v1/scores", timeout=TIMEOUT,
                    headers={"Authorization": "Bearer cd_0000000000000000_" + "x" * 40})
    # as API Gateway answers with the template's gateway responses: ErrorOut, CORS
    for answer, status, error in ((r, 401, "unauthorized"), (bad, 403, "forbidden")):
        assert answer.status_code == status
        assert answer.json() == {"error": error, "message": answer.json()["message"],
                                 "field": None}
        assert answer.headers["Access-Control-Allow-Origin"] == origin
    with Client(stack.url, "cd_0000000000000000_" + "x" * 40) as c, \
            pytest.raises(KeyRefused):
        c.scores()


def test_reminders_are_sent_once_each_and_land_in_the_outbox_as_email(stack, client):
    batch = client.submit_reminders([reminder(i) for i in range(30)], batch_id=new_batch_id())
    done = client.wait_for_batch(batch.batch_id, timeout=TIMEOUT, poll=0.2)
    assert done.counts.sent == 30 and done.counts.total == 30
    rows = client.reminders(batch.batch_id)
    ids = {r.message_id for r in rows}
    assert len(ids) == 30 and None not in ids
    mails = eml_ids(Path(stack.info["outbox"]))
    for r in rows:
        msg = mails[r.message_id]
        assert msg["To"] == r.to and msg["Subject"] == r.subject
        assert "Please pay" in msg.get_body(("plain",)).get_content()
        assert msg.get_body(("html",)) is not None


def test_the_same_batch_sent_again_and_twice_at_once_sends_nothing_new(stack, client):
    items = [reminder(i) for i in range(100, 140)]
    outbox = Path(stack.info["outbox"])
    before = len(list(outbox.glob("*.eml")))

    def send(_: int):
        with Client(stack.url, stack.api_key, timeout=TIMEOUT) as c:
            b = c.submit_reminders(items, batch_id=new_batch_id())
            return c.wait_for_batch(b.batch_id, timeout=TIMEOUT, poll=0.2)

    with cf.ThreadPoolExecutor(2) as pool:
        a, b = pool.map(send, range(2))
    assert a.counts.sent + b.counts.sent == 40
    assert a.counts.skipped + b.counts.skipped == 40
    again = send(3)
    assert again.counts.sent == 0 and again.counts.skipped == 40
    time.sleep(1)
    assert len(list(outbox.glob("*.eml"))) - before == 40


def test_a_retried_part_with_the_same_batch_id_is_accepted_once(stack, client):
    items = [reminder(i) for i in range(200, 210)]
    first = client.submit_reminders(items, batch_id="e2e-retry-0001")
    second = client.submit_reminders(items, batch_id="e2e-retry-0001")
    done = client.wait_for_batch(first.batch_id, timeout=TIMEOUT, poll=0.2)
    assert second.batch_id == first.batch_id
    assert done.counts.total == 10 and done.counts.sent == 10


def test_deliveries_and_bounces_come_back_into_the_history(stack, client):
    b = client.submit_reminders([reminder(300), reminder(301, "bounce@simulator.amazonses.com")],
                                batch_id=new_batch_id())
    client.wait_for_batch(b.batch_id, timeout=TIMEOUT, poll=0.2)
    deadline = time.monotonic() + 20
    kinds: dict[str, set] = {}
    while time.monotonic() < deadline:
        kinds = {c: {e.type for e in client.history(c)} for c in ("E2E-00300", "E2E-00301")}
        if "delivery" in kinds["E2E-00300"] and "bounce" in kinds["E2E-00301"]:
            break
        time.sleep(0.3)
    assert kinds["E2E-00300"] >= {"reminder", "delivery"}
    assert kinds["E2E-00301"] >= {"reminder", "bounce"}
    # a hard-bounced address is not mailed again
    b = client.submit_reminders([reminder(302, "bounce@simulator.amazonses.com", level=2)],
                                batch_id=new_batch_id())
    done = client.wait_for_batch(b.batch_id, timeout=TIMEOUT, poll=0.2)
    assert done.counts.sent == 0


def test_promises_disputes_and_notes_are_kept(client):
    client.add_promise("E2E-00001", 101.0, dt.date(2026, 12, 15), "paying on the 15th")
    client.add_dispute("E2E-00001", "INV-1", "wrong quantity")
    client.add_note("E2E-00001", "spoke to AP")
    kinds = [e.type for e in client.history("E2E-00001")]
    assert {"reminder", "promise", "dispute", "note"} <= set(kinds)


def test_another_tenant_reads_nothing_of_this_one(stack, client):
    env = {**os.environ, "AWS_ENDPOINT_URL": stack.info["aws_endpoint"],
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}
    r = subprocess.run([sys.executable, "-m", "backend.ops", "tenant", "create", "Other Ltd"],
                       env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    other = json.loads(r.stdout)
    assert set(other) == {"tenant", "key_id", "api_key"}
    mine = client.submit_reminders([reminder(400)], batch_id=new_batch_id())
    with Client(stack.url, other["api_key"], timeout=TIMEOUT) as o:
        assert o.history("E2E-00001") == []
        assert o.history(start=dt.date.today() - dt.timedelta(days=365)) == []
        with pytest.raises(BackendError) as e:
            o.batch(mine.batch_id)
        assert e.value.status == 404
        # the same reminder is the other tenant's own: it sends it
        b = o.submit_reminders([reminder(400)], batch_id=new_batch_id())
        assert o.wait_for_batch(b.batch_id, timeout=TIMEOUT, poll=0.2).counts.sent == 1


def _bare_env(**extra: str) -> dict[str, str]:
    """A shell with no AWS settings at all (no region, no credentials)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CREDITDESK_"))}
    return {**env, **extra}


def ops(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backend.ops", *args], env=env,
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_a_tenant_is_added_to_the_local_stack_as_deploy_md_says(stack):
    endpoint = stack.info["aws_endpoint"]
    # docs/deploy.md: AWS_ENDPOINT_URL set to the stack's aws_endpoint, nothing else
    documented = ops("tenant", "create", "Beta Ltd", env=_bare_env(AWS_ENDPOINT_URL=endpoint))
    by_flag = ops("tenant", "create", "Gamma Ltd", "--sender", "ar@gamma.example",
                  "--local", endpoint, env=_bare_env())
    for r in (documented, by_flag):
        assert r.returncode == 0, r.stderr
        made = json.loads(r.stdout)
        with Client(stack.url, made["api_key"], timeout=TIMEOUT) as c:
            assert c.history("E2E-00001") == []  # the key works, and sees nothing else
    gamma = json.loads(by_flag.stdout)
    r = ops("key", "list", gamma["tenant"], "--local", endpoint, env=_bare_env())
    assert r.returncode == 0 and json.loads(r.stdout)["key_id"] == gamma["key_id"]
    r = ops("tenant", "delete", gamma["tenant"], "--yes", "--local", endpoint, env=_bare_env())
    assert r.returncode == 0, r.stderr
    r = httpx.get(f"{stack.url}/v1/ledger", timeout=TIMEOUT,
                  headers={"Authorization": f"Bearer {gamma['api_key']}"})
    assert r.status_code in (401, 403)


def test_the_cli_syncs_and_sends_a_workbook_once(stack, workbook):
    r = cli(stack, "sync", str(workbook))
    assert r.returncode == 0, r.stderr
    assert "is active" in r.stdout
    r = cli(stack, "send", str(workbook), "--yes", "--json")
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stdout)
    assert first["batch"]["counts"]["sent"] == len(first["reminders"]) > 0
    r = cli(stack, "send", str(workbook), "--yes")
    assert r.returncode == 0, r.stderr
    assert "Done: 0 sent" in r.stdout


def test_the_cli_says_so_in_one_line_when_the_key_is_refused(stack, workbook):
    r = cli(stack, "sync", str(workbook), key="cd_0000000000000000_" + "y" * 40)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "API key was refused" in r.stderr
    assert "y" * 40 not in r.stderr


def test_the_tick_can_be_run_now(stack):
    if not hasattr(signal, "SIGUSR1"):
        pytest.skip("no SIGUSR1 on this platform")
    stack.signal(signal.SIGUSR1)
    deadline = time.monotonic() + 20
    while "ran tick" not in stack.log_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "ran tick" in stack.log_text()


def test_serve_prints_the_export_line_and_says_its_state_is_in_memory_and_gone(tmp_path):
    wheels = tmp_path / "no-wheel"  # the add-in's wheel is not built for this one
    wheels.mkdir()
    env = _bare_env(PYTHONUNBUFFERED="1", CREDITDESK_ADDIN_WHEEL_DIR=str(wheels))
    p = subprocess.Popen([sys.executable, "-m", "backend.ops", "serve", "--no-schedule",
                          "--no-deliveries", "--outbox", str(tmp_path / "outbox")],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        info = json.loads(p.stdout.readline())
        line = p.stdout.readline().strip()
        assert line.startswith("export CREDITDESK_URL=")
        shell = subprocess.run(["bash", "-c", f'{line}; printf "%s\\n%s" "$CREDITDESK_URL" '
                                '"$CREDITDESK_API_KEY"'], capture_output=True, text=True,
                               timeout=10)
        assert shell.stdout.splitlines() == [info["url"], info["api_key"]]
    finally:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
    assert p.returncode == 0
    assert "lives in memory" in err and "backend stopped" in err
    assert info["api_key"] not in err  # the key is on stdout only
    r = ops("tenant", "create", "Late Ltd", "--local", info["aws_endpoint"], env=_bare_env())
    assert r.returncode == 2 and "is 'creditdesk backend serve' running?" in r.stderr
    assert "Traceback" not in r.stderr


def _children(pid: int) -> set[int]:
    """A Linux process's children (its emulator, its worker processes), from /proc."""
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out |= {int(c) for c in (task / "children").read_text().split()}
    return out


def test_sigterm_stops_the_api_the_emulator_and_the_workers(tmp_path):
    b = LocalBackend(tmp_path / "outbox")
    info = b.start()
    with Client(b.url, b.api_key, timeout=TIMEOUT) as c:  # the queue handlers have run
        b900 = c.submit_reminders([reminder(900)], batch_id=new_batch_id())
        c.wait_for_batch(b900.batch_id, timeout=TIMEOUT)
    children = _children(b.proc.pid) if sys.platform.startswith("linux") else set()
    assert b.stop() == 0
    for url in (info["url"], info["aws_endpoint"]):
        with pytest.raises(httpx.TransportError):
            httpx.get(url, timeout=2)
    if sys.platform.startswith("linux"):
        assert len(children) >= 2  # the emulator and at least one worker process
        for pid in children:
            with contextlib.suppress(ChildProcessError, PermissionError):
                os.waitpid(pid, os.WNOHANG)
            assert not Path(f"/proc/{pid}").exists() or "Z" in (
                Path(f"/proc/{pid}/stat").read_text().split()[2:3] or [""]), pid
