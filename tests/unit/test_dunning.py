"""Dunning selection. As of 2026-06-30; default policy: 1 courtesy (-5 days), 2 first
reminder (+7), 3 second reminder (+21), 4 final demand (+35, adds interest); minimum 25.00;
cool-down 7 days."""

import datetime as dt

import pytest

from creditdesk.domain.dunning import SkipCode, select
from creditdesk.domain.interest import statutory_interest
from tests.builders import AS_OF, customer, days_before, invoice, make_ledger

HISTORY_HEADER = ["Date", "Customer", "Type", "Level", "Currency", "Email", "Message Id", "Note"]


def history(*rows):
    return {"History": (HISTORY_HEADER, [list(r) + [""] * (8 - len(r)) for r in rows])}


def run(invoices, customers=None, settings=None, extra=None, fx=None):
    ledger = make_ledger(customers=customers or [customer("C1")], invoices=invoices,
                         settings=settings, extra=extra, fx=fx)
    assert not ledger.issues, ledger.issues
    sel = select(ledger)
    return ledger, sel.reminders(), {(s.customer, s.currency): s.reason for s in sel.skipped()}


def only(reminders):
    assert len(reminders) == 1, reminders
    return reminders[0]


def numbers(ledger, reminder):
    return ledger.invoices.invoice[reminder.items].tolist()


def test_an_item_ten_days_overdue_gets_the_first_reminder():
    _, rem, skipped = run([invoice("I1", 100.0, days_before(10))])
    assert only(rem).level.level == 2 and not skipped


def test_an_item_due_in_three_days_gets_the_courtesy_note():
    _, rem, _ = run([invoice("I1", 100.0, AS_OF + dt.timedelta(days=3))])
    assert only(rem).level.name == "Courtesy note"


def test_an_item_due_in_six_days_is_not_due_yet_and_says_when():
    _, rem, skipped = run([invoice("I1", 100.0, AS_OF + dt.timedelta(days=6))])
    assert not rem
    assert skipped[(0, "EUR")] == ("nothing due for a reminder yet; next reminder (Courtesy "
                                   "note) on 2026-07-01")


def test_each_level_boundary_is_reached_on_its_day():
    for days, level in [(-5, 1), (-6, None), (6, 1), (7, 2)]:
        _, rem, _ = run([invoice("I1", 100.0, days_before(days))])
        assert (rem[0].level.level if rem else None) == level, days


def test_escalation_waits_for_the_previous_level():
    # 25 days overdue reaches level 3, but nothing was sent yet: level 2 goes first.
    _, rem, _ = run([invoice("I1", 100.0, days_before(25))])
    assert only(rem).level.level == 2


def test_after_level_two_was_sent_the_next_one_is_level_three():
    _, rem, _ = run([invoice("I1", 100.0, days_before(25))],
                    extra=history((days_before(10), "C1", "Reminder", 2, "EUR")))
    assert only(rem).level.level == 3


def test_a_reminder_about_older_debts_does_not_count_for_escalation():
    # sent 200 days ago, long before these items were due: start again at level 2
    _, rem, _ = run([invoice("I1", 100.0, days_before(40))],
                    extra=history((days_before(200), "C1", "Reminder", 3, "EUR")))
    assert only(rem).level.level == 2


def test_no_reminder_within_the_cool_down():
    _, rem, skipped = run([invoice("I1", 100.0, days_before(25))],
                          extra=history((days_before(6), "C1", "Reminder", 2, "EUR")))
    assert not rem
    assert skipped[(0, "EUR")] == "level 2 sent on 2026-06-24; cool-down until 2026-07-01"
    _, rem, _ = run([invoice("I1", 100.0, days_before(25))],
                    extra=history((days_before(7), "C1", "Reminder", 2, "EUR")))
    assert only(rem).level.level == 3


def test_a_reminder_in_the_history_without_a_level_reads_as_a_reminder_not_level_nan():
    _, rem, skipped = run([invoice("I1", 100.0, days_before(25))],
                          extra=history((days_before(6), "C1", "Reminder", None, "EUR")))
    assert not rem
    assert skipped[(0, "EUR")] == ("a reminder sent on 2026-06-24; cool-down until "
                                   "2026-07-01")


def test_the_same_level_goes_again_after_the_cool_down():
    _, rem, _ = run([invoice("I1", 100.0, days_before(50))],
                    extra=history((days_before(10), "C1", "Reminder", 4, "EUR")))
    assert only(rem).level.level == 4


def test_one_message_per_customer_and_currency_takes_the_highest_level():
    ledger, rem, _ = run([invoice("I1", 100.0, days_before(40)),
                          invoice("I2", 50.0, days_before(8)),
                          invoice("I3", 70.0, AS_OF + dt.timedelta(days=2)),
                          invoice("I4", 900.0, days_before(10), Currency="USD")],
                         extra=history((days_before(9), "C1", "Reminder", 3, "EUR")),
                         fx={"USD": 0.9})
    eur, usd = sorted(rem, key=lambda r: r.currency)
    # a final demand: only the overdue I1 + I2 are asked for and listed (I3 is not yet due)
    assert (eur.currency, eur.level.level, eur.amount) == ("EUR", 4, 150.0)
    assert numbers(ledger, eur) == ["I1", "I2"]  # by due date
    assert (usd.currency, usd.level.level, numbers(ledger, usd)) == ("USD", 2, ["I4"])


def test_a_reminder_lists_invoices_falling_due_but_a_final_demand_never_does():
    due_soon = [invoice("I1", 100.0, days_before(25)), invoice("I3", 70.0, AS_OF),
                invoice("I4", 30.0, AS_OF + dt.timedelta(days=2)),
                invoice("CN", -20.0, days_before(60))]
    ledger, rem, _ = run(due_soon, extra=history((days_before(10), "C1", "Reminder", 2, "EUR")))
    second = only(rem)
    assert second.level.level == 3 and numbers(ledger, second) == ["I1", "I3", "I4", "CN"]
    assert second.amount == 80.0  # I1 less the credit note: what falls due is not asked for
    due_soon[0] = invoice("I1", 100.0, days_before(40))
    ledger, rem, _ = run(due_soon, extra=history((days_before(10), "C1", "Reminder", 3, "EUR")))
    final = only(rem)
    assert final.level.level == 4 and numbers(ledger, final) == ["I1", "CN"]
    assert final.amount == 80.0 == float(final.outstanding.sum())
    assert final.total == pytest.approx(final.amount + final.interest.sum()
                                        + final.compensation.sum())


def test_the_last_level_is_a_final_demand_even_without_interest():
    from creditdesk.domain.dunning import is_final
    from creditdesk.domain.ledger import DunningLevel

    levels = [DunningLevel(1, "One", 7, "first_reminder"),
              DunningLevel(2, "Last", 30, "final_demand")]
    assert [is_final(lv, levels) for lv in levels] == [False, True]
    assert is_final(DunningLevel(1, "One", 7, "first_reminder", add_interest=True), levels)


def test_disputed_items_are_never_chased():
    ledger, rem, _ = run([invoice("I1", 100.0, days_before(10)),
                          invoice("I2", 500.0, days_before(10), Disputed="Yes")])
    assert numbers(ledger, only(rem)) == ["I1"]
    _, rem, skipped = run([invoice("I2", 500.0, days_before(10), Disputed="Yes")])
    assert not rem and skipped[(0, "EUR")] == "every overdue invoice is disputed"


@pytest.mark.parametrize(("fields", "reason", "code"), [
    ({"Do Not Chase": "Yes"}, "customer marked do-not-chase", SkipCode.DO_NOT_CHASE),
    ({"Paused Until": AS_OF, "Pause Reason": "CFO agreed"},
     "paused until 2026-06-30: CFO agreed", SkipCode.PAUSED),
    ({"Promise Date": AS_OF + dt.timedelta(days=4), "Promise Amount": 100},
     "promise to pay 100.00 by 2026-07-04", SkipCode.PROMISE),
    ({"Email": ""}, "no e-mail address", SkipCode.NO_ADDRESS),
])
def test_customer_level_exclusions_give_their_reason_and_its_code(fields, reason, code):
    ledger = make_ledger(customers=[customer("C1", **fields)],
                         invoices=[invoice("I1", 100.0, days_before(10))])
    sel = select(ledger)
    (skip,) = sel.skipped()
    assert not sel.reminders()
    assert (skip.reason, skip.code) == (reason, code)
    assert not skip.code.not_due_yet


def test_only_nothing_due_yet_is_the_rule_at_work_every_other_skip_is_an_exception():
    ledger = make_ledger(customers=[customer("C1"), customer("C2")],
                         invoices=[invoice("I1", 100.0, AS_OF + dt.timedelta(days=20)),
                                   invoice("I2", 300.0, days_before(50), customer="C2",
                                           Disputed="Yes")])
    codes = {s.customer: s.code for s in select(ledger).skipped()}
    assert codes == {0: SkipCode.NOTHING_DUE, 1: SkipCode.ALL_DISPUTED}
    assert [c for c in SkipCode if c.not_due_yet] == [SkipCode.NOTHING_DUE]


def test_a_pause_that_ended_and_a_broken_promise_bring_the_customer_back():
    _, rem, _ = run([invoice("I1", 100.0, days_before(10))],
                    customers=[customer("C1", **{"Paused Until": days_before(1),
                                                 "Promise Date": days_before(1)})])
    assert only(rem).level.level == 2


def test_a_customer_whose_net_balance_is_not_positive_is_not_chased():
    _, rem, skipped = run([invoice("I1", 100.0, days_before(10)),
                           invoice("CN1", -150.0, days_before(3), Currency="USD")],
                          fx={"USD": 1.0})
    assert not rem
    assert skipped[(0, "EUR")].startswith("net balance is not positive")


def test_credit_notes_are_listed_and_reduce_the_amount():
    ledger, rem, _ = run([invoice("I1", 100.0, days_before(10)),
                          invoice("CN1", -30.0, days_before(3))])
    r = only(rem)
    assert numbers(ledger, r) == ["I1", "CN1"]
    assert r.amount == 70.0


def test_credit_notes_that_cover_the_overdue_items_stop_the_reminder():
    _, rem, skipped = run([invoice("I1", 100.0, days_before(10)),
                           invoice("I2", 500.0, AS_OF + dt.timedelta(days=20)),
                           invoice("CN1", -120.0, days_before(3))])
    assert not rem
    assert skipped[(0, "EUR")] == "open credit notes cover the overdue EUR items"


def test_amounts_under_the_minimum_are_not_chased():
    _, rem, skipped = run([invoice("I1", 24.99, days_before(10))])
    assert not rem
    assert skipped[(0, "EUR")] == "amount 24.99 EUR is under the minimum of 25.00"
    _, rem, _ = run([invoice("I1", 25.0, days_before(10))])
    assert len(rem) == 1


def test_an_address_that_bounced_is_not_used_again():
    _, rem, skipped = run([invoice("I1", 100.0, days_before(10))],
                          extra=history((days_before(30), "C1", "Bounce", "", "",
                                         "AP@C1.example.com")))
    assert not rem
    assert "bounced" in skipped[(0, "EUR")]


def test_part_payments_are_chased_for_what_is_left():
    _, rem, _ = run([invoice("I1", 100.0, days_before(10), Paid=60.0)])
    assert only(rem).amount == 40.0


def test_final_demand_adds_statutory_interest_and_compensation_under_uk_law():
    due = days_before(40)
    _, rem, _ = run([invoice("I1", 1000.0, due)],
                    settings={"Late Payment Law": "UK", "Base Currency": "GBP"},
                    extra=history((days_before(10), "C1", "Reminder", 3, "GBP")))
    r = only(rem)
    expected = statutory_interest(1000.0, due, AS_OF, "UK")
    assert r.level.level == 4
    assert r.interest.tolist() == [pytest.approx(expected.interest)]
    assert expected.days == 40
    assert r.compensation.tolist() == [70.0]  # £1,000 to £9,999.99
    assert r.total == pytest.approx(1070.0 + expected.interest)


def test_levels_without_add_interest_claim_nothing():
    _, rem, _ = run([invoice("I1", 1000.0, days_before(10))],
                    settings={"Late Payment Law": "UK", "Base Currency": "GBP"})
    assert only(rem).interest.sum() == 0 and only(rem).compensation.sum() == 0


def test_compensation_in_another_currency_is_converted():
    # UK law, invoice in EUR, base GBP; EUR 0.8 GBP: GBP 40 = EUR 50
    _, rem, _ = run([invoice("I1", 500.0, days_before(40), Currency="EUR")],
                    settings={"Late Payment Law": "UK", "Base Currency": "GBP"},
                    fx={"EUR": 0.8},
                    extra=history((days_before(10), "C1", "Reminder", 3, "EUR")))
    assert only(rem).compensation.tolist() == [pytest.approx(50.0)]


def test_every_customer_with_open_items_is_either_reminded_or_skipped_with_a_reason():
    customers = [customer(f"C{i}") for i in range(6)]
    invoices = [invoice(f"I{i}", 10.0 * (i + 1), days_before(i * 9 - 10), customer=f"C{i}")
                for i in range(6)]
    _ledger, rem, skipped = run(invoices, customers=customers)
    assert len(rem) + len(skipped) == 6
    assert all(skipped.values())


def test_a_courtesy_note_asks_for_the_invoices_falling_due():
    _, rem, _ = run([invoice("I1", 100.0, AS_OF + dt.timedelta(days=3)),
                     invoice("I2", 40.0, days_before(2))])
    r = only(rem)
    assert (r.level.level, r.amount) == (1, 140.0)


def test_an_account_flag_is_the_reason_even_when_nothing_is_due_yet():
    _, _, skipped = run([invoice("I1", 100.0, AS_OF + dt.timedelta(days=20))],
                        customers=[customer("C1", **{"Paused Until": AS_OF + dt.timedelta(9),
                                                     "Pause Reason": "restructuring"})])
    assert skipped[(0, "EUR")] == "paused until 2026-07-09: restructuring"


def test_nothing_due_mentions_disputed_invoices_left_alone():
    _, _, skipped = run([invoice("I1", 100.0, AS_OF + dt.timedelta(days=20)),
                         invoice("I2", 300.0, days_before(50), Disputed="Yes")])
    assert skipped[(0, "EUR")].endswith("; 1 disputed invoice not chased")


def test_a_promise_recorded_in_history_pauses_chasing_until_its_date():
    extra = {"History": ([*HISTORY_HEADER, "Amount", "Promised Date"],
                         [[days_before(2), "C1", "Promise", "", "", "", "", "by phone", 100.0,
                           AS_OF + dt.timedelta(days=3)]])}
    _, rem, skipped = run([invoice("I1", 100.0, days_before(10))], extra=extra)
    assert not rem
    assert skipped[(0, "EUR")] == "promise to pay 100.00 by 2026-07-03"


def test_a_broken_promise_in_history_brings_the_customer_back():
    extra = {"History": ([*HISTORY_HEADER, "Promised Date"],
                         [[days_before(9), "C1", "Promise", "", "", "", "", "",
                           days_before(1)]])}
    _, rem, _ = run([invoice("I1", 100.0, days_before(10))], extra=extra)
    assert only(rem).level.level == 2


def test_an_invoice_disputed_in_history_is_not_chased():
    extra = {"History": ([*HISTORY_HEADER, "Invoice"],
                         [[days_before(1), "C1", "Dispute", "", "", "", "", "wrong price",
                           "I2"]])}
    ledger, rem, _ = run([invoice("I1", 100.0, days_before(10)),
                          invoice("I2", 200.0, days_before(10))], extra=extra)
    assert numbers(ledger, only(rem)) == ["I1"]
