"""The hand-off's rules: the Collection Status column, dunning's skip for a handed-off
customer, the hand-off rule (Hand-off Days, Hand-off Minimum, after the final level only) and
the claim per invoice."""

from __future__ import annotations

import pytest

from creditdesk.analysis.report import Analysis
from creditdesk.domain.ageing import position
from creditdesk.domain.dunning import SkipCode, select
from creditdesk.domain.handoff import candidates, claims, final_level
from creditdesk.domain.interest import statutory_interest
from tests.builders import AS_OF, customer, days_before, invoice, make_ledger

HISTORY_HEADER = ["Date", "Customer", "Type", "Level", "Currency"]


def _history(*rows) -> dict:
    return {"History": (HISTORY_HEADER, [list(r) for r in rows])}


def _final_sent(cid: str = "C1", days_ago: int = 20) -> list:
    return [days_before(days_ago), cid, "Reminder", 4, "EUR"]


def _ledger(days: int, amount: float, history=None, settings=None, **cust):
    return make_ledger([customer("C1", **cust)], [invoice("INV-1", amount, days_before(days))],
                       settings, extra=_history(*(history if history is not None
                                                  else [_final_sent()])))


# -- the Collection Status column ------------------------------------------------------


@pytest.mark.parametrize(("typed", "read"), [("", ""), ("With agency", "With agency"),
                                             ("  with   AGENCY ", "With agency"),
                                             ("legal", "Legal")])
def test_collection_status_reads_blank_with_agency_or_legal(typed, read):
    led = _ledger(100, 500.0, collection_status=typed)
    assert led.customers.collection_of(0) == read
    assert not [i for i in led.issues if i.column == "Collection Status"]


def test_an_invalid_collection_status_is_an_issue_and_reads_as_blank():
    led = _ledger(100, 500.0, collection_status="Solicitor?")
    assert led.customers.collection_of(0) == ""
    (issue,) = [i for i in led.issues if i.column == "Collection Status"]
    assert issue.sheet == "Customers" and issue.row == 2
    assert "'Solicitor?' is not blank, With agency or Legal" in issue.message
    assert len(select(led).reminders()) == 1  # chased as usual


@pytest.mark.parametrize(("status", "words"), [("With agency", "a collection agency"),
                                               ("Legal", "solicitors")])
def test_dunning_does_not_chase_a_customer_handed_off(status, words):
    chased = _ledger(100, 500.0, history=[])
    assert len(select(chased).reminders()) == 1
    led = _ledger(100, 500.0, history=[], collection_status=status)
    sel = select(led)
    assert sel.reminders() == []
    (skip,) = sel.skipped()
    assert skip.code is SkipCode.COLLECTION
    assert words in skip.reason and status in skip.reason
    doc = Analysis(led).remind_report()
    assert doc.skipped[0].code == SkipCode.COLLECTION


def test_do_not_chase_is_given_before_the_collection_status():
    led = _ledger(100, 500.0, history=[], collection_status="Legal", do_not_chase="Yes")
    assert select(led).skipped()[0].code is SkipCode.DO_NOT_CHASE


# -- the rule -------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "amount", "listed"), [
    (90, 250.0, True), (89, 250.0, False), (90, 249.99, False), (200, 10_000.0, True)])
def test_the_rule_bounds_are_90_days_and_250_inclusive(days, amount, listed):
    led = _ledger(days, amount)
    found = candidates(led, position(led))
    assert bool(found) is listed
    if listed:
        (c,) = found
        assert (c.customer, c.oldest_days, c.overdue) == (0, days, pytest.approx(amount))
        assert c.final_level.level == 4 and c.final_sent == days_before(20)


def test_the_rule_needs_the_final_level_sent():
    second = [days_before(20), "C1", "Reminder", 3, "EUR"]
    led = _ledger(120, 1000.0, history=[second])
    assert candidates(led, position(led)) == []
    other = _ledger(120, 1000.0, history=[_final_sent("C2")])
    assert candidates(other, position(other)) == []
    assert candidates(*(lambda x: (x, position(x)))(_ledger(120, 1000.0))) != []


def test_the_rule_follows_the_settings_and_skips_who_is_handed_off():
    led = _ledger(60, 100.0, settings={"Hand-off Days": 60, "Hand-off Minimum": 100})
    assert len(candidates(led, position(led))) == 1
    assert led.settings.handoff_days == 60
    done = _ledger(120, 1000.0, collection_status="With agency")
    assert candidates(done, position(done)) == []


def test_disputed_debts_do_not_count_towards_the_rule():
    led = make_ledger([customer("C1")],
                      [invoice("A", 5000.0, days_before(120), disputed="Yes"),
                       invoice("B", 100.0, days_before(95))], extra=_history(_final_sent()))
    assert candidates(led, position(led)) == []


def test_the_final_level_is_the_policy_last():
    led = _ledger(100, 500.0)
    assert final_level(led.levels).name == "Final demand"


# -- the claim ------------------------------------------------------------------------


def test_claims_under_the_uk_act_match_the_interest_calculator():
    led = make_ledger([customer("C1")],
                      [invoice("A", 1200.0, days_before(100), paid=200.0),
                       invoice("B", 300.0, days_before(40)),
                       invoice("N", 50.0, days_before(-10)),  # not due: not claimed
                       invoice("CN", -80.0, days_before(50))],
                      {"Late Payment Law": "UK", "Base Currency": "GBP"})
    got = claims(led, position(led), 0)
    assert [led.invoices.invoice[c.item] for c in got] == ["A", "B"]
    a = got[0]
    ref = statutory_interest(1000.0, days_before(100), AS_OF, "UK")
    assert (a.principal, a.days, a.law) == (1000.0, 100, "UK")
    assert a.interest == pytest.approx(ref.interest) and a.rate == ref.rate
    assert a.compensation == 70.0  # £1,000.00 is in the £70 band
    assert got[1].compensation == 40.0


def test_claims_without_a_law_use_the_contract_rate_or_nothing():
    none = make_ledger([customer("C1")], [invoice("A", 1000.0, days_before(73))])
    (c,) = claims(none, position(none), 0)
    assert (c.law, c.rate, c.interest, c.compensation) == ("None", None, 0.0, 0.0)
    rate = make_ledger([customer("C1")], [invoice("A", 1000.0, days_before(73))],
                       {"Contract Interest Rate": 10})
    (c,) = claims(rate, position(rate), 0)
    assert (c.law, c.rate, c.compensation) == ("Contract", 10.0, 0.0)
    assert c.interest == pytest.approx(1000.0 * 0.10 * 73 / 365)


# -- the contact history ----------------------------------------------------------------


def test_the_backend_events_join_the_workbook_rows_once_with_their_deliveries():
    from creditdesk.analysis.documents import ContactEvent
    from creditdesk.analysis.handoff import merged_history

    day = days_before

    def ev(d, kind, source="backend", **kw):
        return ContactEvent(date=day(d), type=kind, channel="Email", source=source, **kw)

    own = [ev(30, "Reminder", "workbook", message_id="m1", event_id="e1"),
           ev(10, "Promise", "workbook")]
    theirs = [ev(30, "Reminder", message_id="m1", event_id="e1"),  # synced already
              ev(29, "Delivery", message_id="m1", event_id="e2"),
              ev(20, "Reminder", message_id="m2", event_id="e3"),
              ev(19, "Bounce", message_id="m2", event_id="e4")]
    rows = merged_history(own, theirs)
    assert [(r.type, r.source) for r in rows] == [
        ("Reminder", "workbook"), ("Delivery", "backend"), ("Reminder", "backend"),
        ("Bounce", "backend"), ("Promise", "workbook")]
    assert rows[0].deliveries == [f"delivery {day(29).isoformat()}"]
    assert rows[2].deliveries == [f"bounce {day(19).isoformat()}"]
    assert merged_history(own, None) == sorted(own, key=lambda e: e.date)


def test_the_activity_statement_covers_the_last_12_months_or_all_time():
    from creditdesk.analysis.handoff import statements_start
    from tests.builders import d

    led = make_ledger([customer("C1")], [invoice("OLD", 100.0, d("2024-02-10")),
                                         invoice("NEW", 100.0, days_before(10))])
    assert statements_start(led, 0, False) == d("2025-07-01")  # as of 2026-06-30
    assert statements_start(led, 0, True) == d("2024-01-11")  # the first invoice date
    leap = make_ledger([customer("C1")], [], {"As Of Date": d("2028-02-29")})
    assert statements_start(leap, 0, False) == d("2027-03-01")
