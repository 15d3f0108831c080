"""A plan asked for on the debtor's page: the note the page writes and Sync reads
(``domain.plans.request_note`` / ``read_request``), and the Proposed Plans rows Sync makes of
Plan events (``app.history.plan_rows``), each request once, the others said."""

import datetime as dt

from creditdesk.api.models import EventOut
from creditdesk.app.history import plan_rows
from creditdesk.domain.contract import PLANS
from creditdesk.domain.ledger import raw_tables
from creditdesk.domain.plans import read_request, request_note, request_plan_id
from tests.builders import customer, d, invoice, make_ledger, tables

START = d("2026-07-31")


def test_the_note_reads_back_as_the_request():
    note = request_note(4, START, ["INV-1", "INV 2"])
    assert note == "Proposed: 4 monthly instalments from 2026-07-31; invoices INV-1; INV 2"
    req = read_request(note)
    assert (req.instalments, req.frequency, req.start, req.invoices) == (
        4, "Monthly", START, ("INV-1", "INV 2"))
    # an older note (invoices separated by commas), a weekly one without invoices or start
    assert read_request("Proposed: 3 monthly instalments from 2026-08-01; invoices A,B"
                        ).invoices == ("A", "B")
    req = read_request("Proposed: 6 weekly instalments", start=START)
    assert (req.instalments, req.frequency, req.start, req.invoices) == (6, "Weekly", START, ())
    assert read_request("please call me") is None


def _event(eid: str, cust: str, note: str) -> EventOut:
    return EventOut(id=eid, at=dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC), customer=cust,
                    type="plan", note=note, date=START, currency="EUR", amount=1000.0)


def test_each_plan_event_becomes_a_proposed_row_once_and_the_others_are_said():
    ledger = make_ledger(customers=[customer("C1")],
                         invoices=[invoice("I1", 300.0, d("2026-05-31")),
                                   invoice("I2", 700.0, d("2026-06-15")),
                                   invoice("I3", 50.0, d("2026-06-15"), Paid=50.0)])
    events = [_event("pg1", "C1", request_note(2, START, ["I1", "I3"])),
              _event("pg2", "C9", request_note(2, START, ["X1"])),
              _event("pg3", "C1", "Proposed: instalments, please"),
              _event("pg4", "C1", request_note(3, START, ["I3"])),
              EventOut(id="pg5", at=dt.datetime(2026, 7, 1, tzinfo=dt.UTC), customer="C1",
                       type="note", note=request_note(2, START, ["I1"]))]
    made = plan_rows(None, events, ledger)
    (row,) = made.rows
    assert row["Plan"] == request_plan_id("pg1") == "REQ-pg1"
    # I3 is paid: left out; what I1 owes split in two
    assert (row["Invoices"], row["Amounts"], row["Status"], row["Start Date"]) == (
        "I1", "150.00; 150.00", "Proposed", START)
    assert len(made.skipped) == 3 and made.already == 0
    assert "no customer 'C9' in the Customers table" in made.skipped[0]
    assert "names no number of instalments" in made.skipped[1]
    assert "none of its invoices (I3) is open" in made.skipped[2]
    # the Plans table holds REQ-pg1 now: a second Sync adds nothing
    header = [c.header for c in PLANS.columns]
    raw = raw_tables({**tables(), "Plans": (header, [[row[h] for h in header]])})["plans"]
    again = plan_rows(raw, events, ledger)
    assert again.rows == [] and again.already == 1
