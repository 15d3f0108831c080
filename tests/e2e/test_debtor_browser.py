"""The debtor's page in a real browser (headless Chromium through Playwright) against the
local stack over HTTP: a workbook is synced and sent, the link is taken from the sent
reminder in the outbox, and the debtor checks the invoices, promises, disputes and asks for a
plan; ``creditdesk sync`` brings all three back. Screenshots at phone and desktop widths go
to the test's folder, and to docs/images/ with ``CREDITDESK_UPDATE_SCREENSHOTS=1``. Skipped,
saying so, where Chromium or Playwright is absent."""

from __future__ import annotations

import datetime as dt
import email
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest

from creditdesk.domain.contract import HISTORY
from creditdesk.files.xlsx_read import read_workbook
from creditdesk.files.xlsx_write import write_workbook
from devkit.supervisor import LocalBackend
from tests.builders import customer, invoice, tables

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CREDITDESK_CHROMIUM") or shutil.which("chromium") or \
    "/usr/bin/chromium"
DOC_SHOTS = ROOT / "docs" / "images"
SHOTS_NAMES = ("debtor-page-phone.png", "debtor-page-desktop.png")
TODAY = dt.date.today()


def _browser_or_skip():
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed ({CHROMIUM}: apt-get install chromium); the "
                    "browser test of the debtor's page is skipped")


def cli(stack, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CREDITDESK_URL": stack.url, "CREDITDESK_API_KEY": stack.api_key}
    return subprocess.run([sys.executable, "-m", "creditdesk.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=180, cwd=ROOT)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    _browser_or_skip()
    tmp = tmp_path_factory.mktemp("debtor")
    wb = tmp / "ledger.xlsx"
    before = lambda n: TODAY - dt.timedelta(days=n)  # noqa: E731
    t = tables([customer("C1", Name="Brick & <Mortar> Ltd", Email="ap@c1.example.com"),
                customer("C2", Name="Second Ltd", Email="ap@c2.example.com")],
               [invoice("INV-101", 1200.0, before(40), "C1"),
                invoice("INV-102", 480.0, before(20), "C1"),
                invoice("INV-201", 700.0, before(30), "C2")],
               {"As Of Date": TODAY, "Company Name": "Acme Supplies",
                "Sender Email": "reminders@creditdesk.example", "Time Zone": "UTC"},
               extra={"History": ([c.header for c in HISTORY.columns], [])})
    write_workbook(wb, t)  # a History table, as 'creditdesk new' makes: sync writes into it
    stack = LocalBackend(tmp / "outbox")
    stack.start()
    try:
        yield {"stack": stack, "wb": wb, "outbox": tmp / "outbox"}
    finally:
        stack.stop()


def remind_customers(world) -> set[str]:
    r = cli(world["stack"], "remind", str(world["wb"]), "--json")
    assert r.returncode == 0, r.stderr
    return {x["customer"] for x in json.loads(r.stdout)["reminders"]}


def link_from_outbox(outbox: Path, to: str) -> str:
    for p in sorted(outbox.glob("*.eml")):
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        if msg["To"] == to:
            text = msg.get_body(("plain",)).get_content()
            m = re.search(r"(http://127\.0\.0\.1:\d+/p/[A-Za-z0-9_-]+)", text)
            assert m, text
            html = msg.get_body(("html",)).get_content()
            assert f'href="{m[1]}"' in html
            return m[1]
    raise AssertionError(f"no reminder to {to} in {outbox}")


def test_the_debtor_answers_on_the_page_and_sync_brings_it_back(world, tmp_path):
    from playwright.sync_api import sync_playwright

    stack = world["stack"]
    r = cli(stack, "sync", str(world["wb"]))
    assert r.returncode == 0, r.stdout + r.stderr
    assert remind_customers(world) == {"C1", "C2"}
    r = cli(stack, "send", str(world["wb"]), "--yes", "--now", "--json")  # whatever the hour
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["batch"]["counts"]["sent"] == 2
    url = link_from_outbox(world["outbox"], "ap@c1.example.com")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            _drive(browser, url, tmp_path)
        finally:
            browser.close()
    for name in SHOTS_NAMES:
        assert (tmp_path / name).stat().st_size > 10_000
        if os.environ.get("CREDITDESK_UPDATE_SCREENSHOTS") == "1":
            shutil.copy2(tmp_path / name, DOC_SHOTS / name)
    r = cli(stack, "sync", str(world["wb"]), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    events = {e["type"]: e for e in json.loads(r.stdout)["history"]
              if e["customer"] == "C1" and e["id"].startswith("pg")}
    assert set(events) == {"promise", "dispute", "plan", "note"}
    assert events["promise"]["amount"] == 600.0
    assert events["dispute"]["invoice"] == "INV-102"
    assert events["plan"]["amount"] == 1680.0 and "3 monthly" in events["plan"]["note"]
    # the plan asked for is a Proposed row of the Plans table, added to the workbook
    plans = json.loads(r.stdout)["plans"]
    assert (plans["rows_added"], plans["created"]) == (1, True)
    (plan,) = plans["plans"]
    assert (plan["plan"], plan["customer"], plan["instalments"], plan["invoices"]) == (
        f"REQ-{events['plan']['id']}", "C1", 3, "INV-101; INV-102")
    raw = read_workbook(world["wb"])["plans"]
    assert dict(zip(raw.header, (c[0] for c in raw.columns), strict=True))["Status"] == \
        "Proposed"
    world["synced"] = True


def _drive(browser, url: str, shots: Path) -> None:
    phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    problems: list[str] = []
    phone.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    phone.goto(url)
    rows = phone.locator("table.items").first.locator("tbody tr")
    assert rows.count() == 2
    assert phone.get_by_role("heading", level=1).inner_text().startswith(
        "Account of Brick & <Mortar> Ltd")
    assert "INV-101" in rows.nth(0).inner_text() and "INV-102" in rows.nth(1).inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    phone.screenshot(path=str(shots / SHOTS_NAMES[0]), full_page=True)
    # promise to pay, by keyboard only: Tab to the amount, type, Tab, type the date, Enter
    for _ in range(40):
        phone.keyboard.press("Tab")
        if phone.evaluate("document.activeElement.id") == "promise-amount":
            break
    phone.keyboard.type("600")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.id") == "promise-date"
    phone.fill("#promise-date", (TODAY + dt.timedelta(days=14)).isoformat())
    phone.keyboard.press("Enter")
    phone.wait_for_url("**?done=promise")
    assert "promise to pay is recorded" in phone.get_by_role("status").inner_text()
    # dispute an invoice
    phone.select_option("#dispute-invoice", "INV-102")
    phone.select_option("#dispute-reason", "wrong_amount")
    phone.fill("#dispute-text", "Billed twice <b>for</b> one delivery")
    phone.get_by_role("button", name="Send my dispute").click()
    phone.wait_for_url("**?done=dispute")
    assert "disputed" in phone.locator('tr[data-invoice="INV-102"]').inner_text()
    # ask for a plan, then leave a message
    phone.select_option("#plan-n", "3")
    phone.fill("#plan-start", (TODAY + dt.timedelta(days=7)).isoformat())
    phone.get_by_role("button", name="Ask for this plan").click()
    phone.wait_for_url("**?done=plan")
    phone.fill("#message-text", "Please call me after 3 pm")
    phone.get_by_role("button", name="Send my message").click()
    phone.wait_for_url("**?done=message")
    assert not [m for m in problems if "Content Security Policy" in m], problems
    desktop = browser.new_page(viewport={"width": 1280, "height": 900})
    desktop.goto(url + "?done=plan")
    desktop.screenshot(path=str(shots / SHOTS_NAMES[1]), full_page=True)
    desktop.goto(url.rsplit("/", 1)[0] + "/" + "x" * 60)
    assert desktop.get_by_role("heading", level=1).inner_text() == "Page not found"


def test_after_sync_remind_no_longer_chases_what_the_page_answered(world):
    if not world.get("synced"):
        pytest.skip("the browser test above did not get as far as the sync")
    r = cli(world["stack"], "remind", str(world["wb"]), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    # Sync wrote the page's answers and the reminders just sent into the History: C1 promised
    # (chasing waits for the date), C2 was reminded today (the cool-down); nothing is offered
    assert doc["reminders"] == []
    why = {x["customer"]: x["reason"].casefold() for x in doc["skipped"]}
    assert "promise" in why["C1"], why
    assert "C2" in why and "promise" not in why["C2"], why
