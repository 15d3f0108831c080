"""The letter before action (issue 12, item 4), as rules: the Debtor Type column, the final
level's Letter Before Action flag, the period to reply during which chasing waits (30 days for
an Individual, 30 more after a completed Reply Form; Business Reply Days, 14 by default, for a
business), and no late-payment law's interest or compensation for an Individual. A Sole
Trader: the Protocol's period, and the law's interest and compensation.
As of 2026-06-30 (tests.builders)."""

import datetime as dt

import pytest

from creditdesk.domain.contract import CUSTOMERS, DUNNING_LEVELS
from creditdesk.domain.dunning import SkipCode, select
from creditdesk.domain.interest import law_for_debtor, statutory_interest
from tests.builders import AS_OF, customer, days_before, invoice, make_ledger

LEVELS_HEADER = ["Level", "Name", "Days After Due", "Template", "Channel", "Add Interest",
                 "Letter Before Action"]
LEVELS = [[1, "First reminder", 7, "first_reminder", "Email", "No", ""],
          [2, "Final demand", 21, "final_demand", "Email", "Yes", ""],
          [3, "Letter before action", 35, "final_demand", "Letter", "Yes", "Yes"]]
HISTORY_HEADER = ["Date", "Customer", "Type", "Level", "Currency"]


def extra(*history, levels=LEVELS):
    out = {"Dunning Levels": (LEVELS_HEADER, levels)}
    if history:
        out["History"] = (HISTORY_HEADER, [list(r) for r in history])
    return out


def ledger_of(debtor_type="", history=(), settings=None, levels=LEVELS, invoices=None):
    return make_ledger([customer("C1", Debtor_Type=debtor_type)],
                       invoices or [invoice("I1", 1200.0, days_before(60))],
                       settings=settings, extra=extra(*history, levels=levels))


def outcome(ledger):
    sel = select(ledger)
    skipped = {(s.customer, s.currency): s for s in sel.skipped()}
    return sel.reminders(), skipped


FINAL_DEMAND_SENT = [(days_before(10), "C1", "Reminder", 2, "")]  # the LBA may go next


def sent_lba(day):
    return (day, "C1", "Reminder", 3, "EUR")


# -- the columns ------------------------------------------------------------------------


def test_debtor_type_and_letter_before_action_are_columns_after_the_older_ones():
    # appended after the address columns (the hand-off's columns follow it), so workbooks
    # made before it keep their column order
    heads = [c.header for c in CUSTOMERS.columns]
    assert heads.index("Debtor Type") > heads.index("Country")
    debtor_type = CUSTOMERS.columns[heads.index("Debtor Type")]
    assert "blank = Business" in debtor_type.help
    assert DUNNING_LEVELS.columns[-1].header == "Letter Before Action"


@pytest.mark.parametrize(("typed", "kind"), [
    ("", "Business"), ("Business", "Business"), ("business", "Business"),
    ("Individual", "Individual"), ("  INDIVIDUAL ", "Individual"),
    ("Sole Trader", "Sole Trader"), ("sole  trader", "Sole Trader"),
    ("Sole-Trader", "Sole Trader")])
def test_debtor_type_reads_its_three_values_and_blank_is_business(typed, kind):
    ledger = ledger_of(typed)
    assert not ledger.issues, ledger.issues
    c = ledger.customers
    assert c.debtor_type(0) == kind
    assert c.is_individual(0) is (kind != "Business")  # the Protocol applies
    assert c.is_consumer(0) is (kind == "Individual")  # no late-payment law
    assert c.consumer.tolist() == [kind == "Individual"]


def test_an_unknown_debtor_type_is_an_issue_naming_the_cell_and_the_row_is_a_business():
    ledger = ledger_of("Consumer")
    [issue] = ledger.issues
    assert (issue.sheet, issue.row, issue.column) == ("Customers", 2, "Debtor Type")
    assert ("'Consumer' is not Business, Individual or Sole Trader; read as Business"
            in issue.message)
    assert len(ledger.customers) == 1 and not ledger.customers.is_individual(0)


def test_letter_before_action_only_on_the_final_level_and_only_by_letter():
    levels = [[1, "First", 7, "first_reminder", "Letter", "No", "Yes"], LEVELS[1],
              [3, "Last", 35, "final_demand", "Email", "Yes", "Yes"]]
    ledger = ledger_of(levels=levels)
    messages = sorted(i.message for i in ledger.issues)
    assert any("must have Channel Letter" in m for m in messages), messages
    assert any("level 1 is not the final level (level 3 is)" in m for m in messages), messages
    assert not any(lv.letter_before_action for lv in ledger.levels)
    assert next(lv for lv in ledger.levels if lv.level == 3).channel == "Email"
    ok = ledger_of()
    assert [lv.letter_before_action for lv in ok.levels] == [False, False, True]


# -- the period to reply ------------------------------------------------------------------


def test_an_individual_has_30_days_to_reply_to_the_letter_and_chasing_waits():
    letter = days_before(20)  # 2026-06-10: reply by 2026-07-10
    ledger = ledger_of("Individual", [sent_lba(letter)])
    reminders, skipped = outcome(ledger)
    assert not reminders
    skip = skipped[(0, "EUR")]
    assert skip.code is SkipCode.REPLY_PERIOD
    assert skip.reason == ("letter before action sent on 2026-06-10: the Pre-Action Protocol "
                           "for Debt Claims gives 30 days to reply; no chasing until after "
                           "2026-07-10")


@pytest.mark.parametrize("debtor", ["Individual", "Sole Trader"])
@pytest.mark.parametrize(("ago", "waits"), [(30, True), (31, False)])
def test_the_individual_s_period_ends_30_days_after_the_letter(ago, waits, debtor):
    reminders, skipped = outcome(ledger_of(debtor, [sent_lba(days_before(ago))]))
    assert bool(skipped) is waits and bool(reminders) is not waits
    if not waits:
        assert reminders[0].level.level == 3  # the letter goes again only after the period


def test_a_completed_reply_form_gives_30_more_days_from_its_date():
    letter, form = days_before(40), days_before(20)  # the form on 2026-06-10
    history = [sent_lba(letter), (form, "C1", "Reply Form", "", "")]
    reminders, skipped = outcome(ledger_of("Individual", history))
    assert not reminders
    skip = skipped[(0, "EUR")]
    assert skip.code is SkipCode.REPLY_PERIOD
    assert "the completed Reply Form came on 2026-06-10: 30 more days from it" in skip.reason
    assert skip.reason.endswith("no chasing until after 2026-07-10")
    # the same form, 31 days ago: the 30 more days are over
    history = [sent_lba(days_before(45)), (days_before(31), "C1", "Reply Form", "", "")]
    reminders, _ = outcome(ledger_of("Individual", history))
    assert reminders


def test_a_reply_form_before_the_letter_or_from_another_customer_does_not_count():
    history = [sent_lba(days_before(40)), (days_before(41), "C1", "Reply Form", "", ""),
               (days_before(5), "C2", "Reply Form", "", "")]
    reminders, skipped = outcome(ledger_of("Individual", history))
    assert reminders and not skipped


def test_a_business_has_14_days_by_default():
    reminders, skipped = outcome(ledger_of("Business", [sent_lba(days_before(14))]))
    assert not reminders
    skip = skipped[(0, "EUR")]
    assert skip.code is SkipCode.REPLY_PERIOD
    assert skip.reason == ("letter before action sent on 2026-06-16: 14 days to reply "
                           "(Practice Direction on Pre-Action Conduct; Business Reply Days); "
                           "no chasing until after 2026-06-30")
    reminders, _ = outcome(ledger_of("Business", [sent_lba(days_before(15))]))
    assert reminders and reminders[0].level.level == 3


def test_business_reply_days_sets_the_business_period_and_a_reply_form_does_not_extend_it():
    settings = {"Business Reply Days": 21}
    history = [sent_lba(days_before(20)), (days_before(2), "C1", "Reply Form", "", "")]
    _, skipped = outcome(ledger_of("", history, settings))
    assert skipped[(0, "EUR")].reason.endswith("21 days to reply (Practice Direction on "
                                               "Pre-Action Conduct; Business Reply Days); no "
                                               "chasing until after 2026-07-01")
    reminders, _ = outcome(ledger_of("", [sent_lba(days_before(22))], settings))
    assert reminders


def test_an_ordinary_reminder_at_another_level_starts_no_period():
    reminders, skipped = outcome(ledger_of("Individual",
                                           [(days_before(10), "C1", "Reminder", 2, "EUR")]))
    assert reminders and reminders[0].level.level == 3 and not skipped


def test_without_a_letter_before_action_level_the_history_means_nothing_more():
    plain = [[*r[:6], ""] for r in LEVELS]
    reminders, skipped = outcome(ledger_of("Individual", [sent_lba(days_before(10))],
                                           levels=plain))
    assert reminders and not skipped


# -- interest and compensation by debtor type ------------------------------------------


def test_no_late_payment_law_for_an_individual():
    assert law_for_debtor("UK", True) == "None" and law_for_debtor("EU", True) == "None"
    assert law_for_debtor("UK", False) == "UK" and law_for_debtor("None", False) == "None"
    with pytest.raises(ValueError):
        law_for_debtor("US", False)


def test_an_individual_owes_no_statutory_interest_nor_compensation():
    settings = {"Late Payment Law": "UK", "Base Currency": "GBP"}
    due = days_before(60)
    biz = select(ledger_of("Business", FINAL_DEMAND_SENT, settings,
                           invoices=[invoice("I1", 1200.0, due, Currency="GBP")])).reminders()
    ind = select(ledger_of("Individual", FINAL_DEMAND_SENT, settings,
                           invoices=[invoice("I1", 1200.0, due, Currency="GBP")])).reminders()
    expected = statutory_interest(1200.0, due, AS_OF, "UK")
    assert biz[0].interest.sum() == pytest.approx(expected.interest)
    assert biz[0].compensation.sum() == 70.0
    assert ind[0].interest.sum() == 0.0 and ind[0].compensation.sum() == 0.0
    assert ind[0].total == 1200.0


def test_a_sole_trader_owes_the_statutory_interest_and_compensation_a_business_does():
    settings = {"Late Payment Law": "UK", "Base Currency": "GBP"}
    due = days_before(60)
    [m] = select(ledger_of("Sole Trader", FINAL_DEMAND_SENT, settings,
                           invoices=[invoice("I1", 1200.0, due, Currency="GBP")])).reminders()
    expected = statutory_interest(1200.0, due, AS_OF, "UK")
    assert m.interest.sum() == pytest.approx(expected.interest) and expected.interest > 0
    assert m.compensation.sum() == 70.0


def test_an_individual_owes_the_contract_rate_when_one_is_set_but_no_compensation():
    settings = {"Late Payment Law": "UK", "Contract Interest Rate": 4, "Base Currency": "GBP"}
    due = days_before(60)
    [m] = select(ledger_of("Individual", FINAL_DEMAND_SENT, settings,
                           invoices=[invoice("I1", 1200.0, due, Currency="GBP")])).reminders()
    assert m.interest.sum() == pytest.approx(1200.0 * 0.04 * 60 / 365)
    assert m.compensation.sum() == 0.0


def test_an_individual_under_no_law_still_owes_the_contract_rate():
    settings = {"Contract Interest Rate": 8}
    [m] = select(ledger_of("Individual", FINAL_DEMAND_SENT, settings)).reminders()
    assert m.interest.sum() == pytest.approx(1200.0 * 0.08 * 60 / 365)


def test_reply_form_is_a_history_type():
    ledger = ledger_of("Individual", [(AS_OF - dt.timedelta(days=1), "C1", "Reply Form", "",
                                       "")])
    assert not ledger.issues
