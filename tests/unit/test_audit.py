"""The audit trail's pure parts: the diff of two snapshots' tables, the Audit table read
back, and the limit-raise rule at its boundary."""

from __future__ import annotations

from creditdesk.domain import audit
from creditdesk.domain.credit import credit_check
from creditdesk.domain.ledger import RawTable
from tests.builders import customer, days_before, invoice, make_ledger

CUSTOMER_HEADER = ["Customer", "Name", "Credit Limit", "Terms (days)", "Do Not Chase",
                   "Paused Until", "Pause Reason"]


def tables(customers, levels=(), settings=(), templates=(), header=CUSTOMER_HEADER):
    return {
        "Customers": RawTable.from_rows("Customers", "Customers", header, customers, 2),
        "Dunning Levels": RawTable.from_rows(
            "Dunning Levels", "Dunning Levels",
            ["Level", "Name", "Days After Due", "Template", "Channel", "Add Interest"],
            levels, 2),
        "Settings": RawTable.from_rows("Settings", "Settings", ["Setting", "Value"], settings,
                                       2),
        "Templates": RawTable.from_rows("Templates", "Templates",
                                        ["Template", "Language", "Subject", "Body"], templates,
                                        2),
    }


def test_first_snapshot_is_one_initial_entry():
    changes = audit.diff(None, tables([["C1", "A", 1000, 30, None, None, None]]))
    assert changes == [audit.Change("ledger", "initial", "", changes[0].new, "ledger")]
    assert "1 customer" in changes[0].new


def test_values_are_compared_as_the_rules_read_them():
    old = tables([["C1", "A", 10000, "Net 30", None, None, ""]],
                 settings=[["Company Name", "Acme"]])
    new = tables([["C1", "A renamed", "10,000.00", 30, "No", "", None]],
                 settings=[["company  name", "Acme"]])
    assert audit.diff(old, new) == []


def test_each_audited_change_is_one_entry():
    old = tables([["C1", "A", 10000, 30, None, None, None], ["C2", "B", 500, 14, "No", None,
                                                             None]],
                 levels=[[1, "Friendly", 1, "reminder1", "Email", "No"]],
                 settings=[["Review Score", 50], ["Phone", "0100"]],
                 templates=[["reminder1", "en", "Overdue", "Dear {name}"]])
    new = tables([["C1", "A", 25000, 45, "Yes", "2026-12-31", "Talks"],
                  ["C3", "New", 2000, None, None, None, None]],
                 levels=[[1, "Friendly", 3, "reminder1", "Email", "No"],
                         [2, "Firm", 14, "reminder2", "", ""]],
                 settings=[["Review Score", 60]],
                 templates=[["reminder1", "en", "Overdue", "x" * 300]])
    got = {(c.subject, c.field): (c.old, c.new) for c in audit.diff(old, new)}
    assert got[("C1", "Credit Limit")] == ("10000", "25000")
    assert got[("C1", "Terms (days)")] == ("30", "45")
    assert got[("C1", "Do Not Chase")] == ("No", "Yes")
    assert got[("C1", "Paused Until")] == ("", "2026-12-31")
    assert got[("C1", "Pause Reason")] == ("", "Talks")
    assert got[("C3", "Customer added")] == ("", "Credit Limit=2000")  # blank is No
    assert got[("C2", "Customer removed")] == ("Credit Limit=500; Terms (days)=14", "")
    assert got[("levels", "Level 1: Days After Due")] == ("1", "3")
    kinds = {c.subject: c.kind for c in audit.diff(old, new)}
    assert kinds["C1"] == "customer" and kinds["levels"] == "levels"
    assert kinds["settings"] == "settings" and kinds["templates"] == "templates"
    assert got[("levels", "Level 2: Name")] == ("", "Firm")
    assert got[("settings", "Review Score")] == ("50", "60")
    assert got[("settings", "Phone")] == ("0100", "")
    old_body, new_body = got[("templates", "reminder1 (en): Body")]
    assert old_body == "Dear {name}"
    assert new_body.startswith("x" * 200) and "[sha256 " in new_body and len(new_body) < 240
    assert ("C1", "Name") not in got  # not audited


def test_debtor_type_is_audited_when_the_table_has_it():
    header = [*CUSTOMER_HEADER, "Debtor Type"]
    old = tables([["C1", "A", 1, 30, None, None, None, "Business"]], header=header)
    new = tables([["C1", "A", 1, 30, None, None, None, "Consumer"]], header=header)
    assert audit.diff(old, new) == [audit.Change("C1", "Debtor Type", "Business", "Consumer")]
    assert "Debtor Type" in audit.AUDITED_FIELDS
    assert audit.diff(tables([["C1", "A", 1, 30, None, None, None]]),
                      tables([["C1", "A", 1, 30, None, None, None]])) == []
    # the column added to the table: one entry, not one per customer
    gained = audit.diff(tables([["C1", "A", 1, 30, None, None, None],
                                ["C2", "B", 1, 30, None, None, None]]),
                        tables([["C1", "A", 1, 30, None, None, None, "Business"],
                                ["C2", "B", 1, 30, None, None, None, ""]], header=header))
    assert gained == [audit.Change("ledger", "Customers column Debtor Type", "",
                                   "added: 1 customer(s) with a value", "ledger")]


def _entry(old, new, at="2026-12-07 10:00:00", subject="C1"):
    return audit.Entry(at, "k", subject, "Credit Limit", old, new)


def test_limit_raise_at_the_boundary():
    assert audit.limit_raise(_entry("10000", "15000"), 50) is None  # exactly 50%
    flagged = audit.limit_raise(_entry("10000", "15000.01"), 50)
    assert flagged is not None and flagged.old == 10000 and flagged.new == 15000.01
    assert audit.limit_raise(_entry("10000", "9000"), 50) is None
    assert audit.limit_raise(_entry("", "9000"), 50) is None  # set, not raised
    assert audit.limit_raise(_entry("0", "1"), 50) is not None


def test_read_audit_latest_change_and_bad_dates():
    raw = RawTable.from_rows("Audit", "Audit", list(audit.AUDIT_HEADER), [
        ["2026-12-08 09:00:00", "k", "C1", "Credit Limit", "15000", "30000"],
        ["2026-12-07 09:00:00", "k", "C1", "Credit Limit", "10000", "15000"],
        ["yesterday", "k", "C2", "Credit Limit", "1", "2"],
        ["2026-12-07 09:00:00", "k", "settings", "Credit Limit", "1", "2"],
    ], 2)
    issues = []
    entries = audit.read_audit(raw, issues)
    assert [e.row for e in entries] == [3, 5, 2]
    assert len(issues) == 1 and issues[0].row == 4 and issues[0].column == "Date"
    latest = audit.latest_limit_changes(entries)
    assert set(latest) == {"C1"} and latest["C1"].new == "30000"


# -- the flag on the Credit sheet -------------------------------------------------------------



def _checked(new_limit, rows, **settings):
    extra = {"Audit": (list(audit.AUDIT_HEADER), rows)}
    ledger = make_ledger(customers=[customer("C1", **{"Credit Limit": new_limit}),
                                    customer("C2", **{"Credit Limit": 100000})],
                         invoices=[invoice("I1", 100.0, days_before(5)),
                                   invoice("I2", 100.0, days_before(5), customer="C2")],
                         settings=settings, extra=extra)
    return credit_check(ledger)


def test_a_limit_raised_by_more_than_the_share_is_reviewed_with_the_words():
    row = ["2026-06-20 08:15:00", "abc123def456", "C1", "Credit Limit", "10000", "15000.01"]
    r = _checked(15000.01, [row])
    assert r.decision.tolist() == ["Review", "Approve"]
    assert ("credit limit raised from 10,000.00 to 15,000.01 on 2026-06-20 08:15 UTC "
            "(+50%, more than the 50% Limit Raise Review)") in r.reasons[0]


def test_exactly_the_share_is_not_flagged_and_the_share_is_a_setting():
    row = ["2026-06-20 08:15:00", "k", "C1", "Credit Limit", "10000", "15000"]
    assert _checked(15000, [row]).decision[0] == "Approve"
    r = _checked(15000, [row], **{"Limit Raise Review": "40%"})
    assert r.decision[0] == "Review" and "more than the 40% Limit Raise Review" in \
        r.summary(0)


def test_only_the_latest_change_counts_and_only_while_the_limit_is_the_raised_one():
    up = ["2026-06-01 08:00:00", "k", "C1", "Credit Limit", "10000", "30000"]
    down = ["2026-06-10 08:00:00", "k", "C1", "Credit Limit", "30000", "20000"]
    assert _checked(20000, [down, up]).decision[0] == "Approve"  # latest: lowered
    assert _checked(30000, [up]).decision[0] == "Review"
    assert _checked(25000, [up]).decision[0] == "Approve"  # changed since the audit
