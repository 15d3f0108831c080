"""The mails of a kept payment plan (issue 13, item 1; docs/plans.md): the courtesy note before
an instalment and the reminder once one is missed read as plan mails, in the customer's
language: the plan, which instalment of how many, its day and amount, the invoices it covers
with what each owes, the plan's total and what is left, the instalments still to pay, and
(missed) what happens after the missed instalments that end the plan. A Templates row of
the plan template's name wins; outside a plan the plan placeholders are blank.

The plan of these tests (as in test_plans.py): P1 covers I1 (300.00, due 31 Mar 2026) and
I2 (600.00, due 30 Apr 2026), 3 monthly instalments of 300.00 from 15 May 2026 (15 May,
15 Jun, 15 Jul); the courtesy one starts on 15 Jul 2026 instead."""

from __future__ import annotations

from creditdesk.analysis.report import Analysis
from creditdesk.domain.templates import PLACEHOLDERS, template_problems
from tests.builders import customer, d, invoice, make_ledger
from tests.unit.test_plans import INVOICES, PAYMENTS_HEADER, PLANS_HEADER, plan_row

TEMPLATES_HEADER = ["Template", "Language", "Subject", "Body"]


def ledger(as_of, plans=(), paid=(), language="en", templates=(), settings=None,
           invoices=INVOICES):
    extra = {"Plans": (PLANS_HEADER, [list(p) for p in plans])}
    if paid:
        extra["Payments"] = (PAYMENTS_HEADER, [[d(day), "C1", amt, "", "", inv]
                                               for day, amt, inv in paid])
    if templates:
        extra["Templates"] = (TEMPLATES_HEADER, [list(t) for t in templates])
    fields = {"Language": language}
    if language == "de":
        fields["Contact Name"] = "Anna Beck"
    led = make_ledger(customers=[customer("C1", **fields)], invoices=invoices, extra=extra,
                      settings={"As Of Date": d(as_of), "Late Payment Law": "EU",
                                "Company Name": "Acme Supplies Ltd", **(settings or {})})
    assert not led.issues, [str(i) for i in led.issues]
    return led


def the_mail(led):
    (m,) = Analysis(led).remind_report().reminders
    return m


def courtesy(language="en", **kw):
    return the_mail(ledger("2026-07-12", [plan_row(start="2026-07-15")], language=language,
                           **kw))


def missed(language="en", **kw):
    # 15 May paid (300.00 on I1), 15 Jun missed: one missed, the plan kept (2 end it)
    return the_mail(ledger("2026-06-16", [plan_row()], [("2026-05-15", 300.0, "I1")],
                           language=language, **kw))


def test_the_courtesy_note_before_an_instalment_names_the_plan_and_the_instalment():
    m = courtesy()
    assert m.template == "plan_courtesy" and m.level_name == "Courtesy note"
    assert m.amount == 300.0  # the instalment; the lines keep what each invoice owes
    assert [(ln.invoice, ln.outstanding) for ln in m.invoices] == [("I1", 300.0),
                                                                   ("I2", 600.0)]
    assert m.subject == ("Payment plan P1: instalment 1 of 3, €300.00 due 15 July 2026 - "
                         "account C1 - Acme Supplies Ltd")
    text = m.text
    assert text.startswith("Dear Accounts team at C1 Ltd,\n\nA friendly note about your "
                           "payment plan P1 on account C1: instalment 1 of 3, €300.00, falls "
                           "due on 15 July 2026.")
    assert "The plan covers invoices I1, I2;" in text
    assert "I1       1 Mar 2026   15 Jul 2026  due in 3 days  €300.00" in text
    assert "I2       31 Mar 2026  15 Jul 2026  due in 3 days  €600.00" in text
    assert "The plan's total is €900.00; €900.00 is left to pay." in text
    assert ("Instalment  Date           Amount  Status\n"
            "1           15 Jul 2026   €300.00  due\n"
            "2           15 Aug 2026   €300.00  due\n"
            "3           15 Sept 2026  €300.00  due") in text
    assert "Total: €300.00" in text and "If you have already paid, thank you" in text
    assert text.endswith("Kind regards,\nCredit Control\nAcme Supplies Ltd")
    html = m.html
    assert "payment plan P1 on account C1: instalment 1 of 3, €300.00, falls due on " \
           "15 July 2026.</p>" in html
    assert ("<tr><td>2</td><td>15 Aug 2026</td><td style=\"text-align:right;white-space:"
            "nowrap\">€300.00</td><td>due</td></tr>") in html
    assert "<p>The plan&#x27;s total is €900.00; €900.00 is left to pay." in html


def test_the_courtesy_note_in_german():
    m = courtesy("de")
    assert m.template == "plan_courtesy" and m.language == "de"
    assert m.subject == ("Ratenplan P1: Rate 1 von 3, 300,00 € fällig am 15. Juli 2026 - "
                         "Kundennummer C1 - Acme Supplies Ltd")
    text = m.text
    assert text.startswith("Guten Tag Anna Beck,\n\nein freundlicher Hinweis zu Ihrem "
                           "Ratenplan P1 für die Kundennummer C1: Die Rate 1 von 3 über "
                           "300,00 € ist am 15. Juli 2026 fällig.")
    assert "I2        31.03.2026  15.07.2026  fällig in 3 Tagen  600,00 €" in text
    assert "insgesamt 900,00 €; offen sind noch 900,00 €." in text
    assert "3     15.09.2026  300,00 €  fällig" in text and "Summe: 300,00 €" in text
    assert "<td>15.09.2026</td>" in m.html and "Mit freundlichen Grüßen" in text


def test_the_reminder_of_a_missed_instalment_says_what_ends_the_plan():
    m = missed()
    assert m.template == "plan_missed" and m.level == 2
    assert m.amount == 300.0 and [(ln.invoice, ln.outstanding) for ln in m.invoices] == [
        ("I2", 600.0)]
    assert m.subject == ("Missed instalment: €300.00 - payment plan P1 - account C1 - "
                         "Acme Supplies Ltd")
    text = m.text
    assert ("Instalment 2 of 3 of your payment plan P1 on account C1, €300.00, was due on "
            "15 June 2026 and we have not received it.") in text
    assert "I2       31 Mar 2026  15 Jun 2026  1 day overdue  €600.00" in text
    assert "The plan's total is €900.00; €600.00 is left to pay." in text
    assert ("2           15 Jun 2026  €300.00  missed\n"
            "3           15 Jul 2026  €300.00  due") in text
    assert "If 2 instalments are missed, the plan ends" in text
    assert "Due now: €300.00" in text
    assert "<td>missed</td>" in m.html and "<p>Due now: €300.00</p>" in m.html
    # the setting that ends the plan is what the mail says
    assert "If 3 instalments are missed" in missed(
        settings={"Plan Missed Instalments To Default": 3}).text


def test_the_missed_reminder_in_german():
    m = missed("de")
    assert m.template == "plan_missed"
    assert m.subject == ("Versäumte Rate: 300,00 € - Ratenplan P1 - Kundennummer C1 - "
                         "Acme Supplies Ltd")
    text = m.text
    assert ("die Rate 2 von 3 Ihres Ratenplans P1 zur Kundennummer C1 über 300,00 € war am "
            "15. Juni 2026 fällig") in text
    assert "I2        31.03.2026  15.06.2026  1 Tag überfällig  600,00 €" in text
    assert "2     15.06.2026  300,00 €  versäumt" in text
    assert "Werden 2 Raten versäumt, endet der Ratenplan" in text
    assert "Jetzt fällig: 300,00 €" in text
    assert "<td>versäumt</td>" in m.html


def test_several_missed_instalments_and_one_part_paid():
    # four of 225.00; 300.00 paid: the first and 75.00 of the second; 15 Jun and 15 Jul
    # missed, kept (3 end it): what is left of both, 375.00
    led = ledger("2026-07-16", [plan_row(n=4, amounts="225;225;225;225")],
                 [("2026-05-15", 300.0, "I1")],
                 settings={"Plan Missed Instalments To Default": 3})
    m = the_mail(led)
    assert m.template == "plan_missed" and m.amount == 375.0
    assert "Instalment 2 and 3 of 4 of your payment plan P1" in m.text
    assert "was due on 15 June 2026" in m.text
    assert "The plan's total is €900.00; €600.00 is left to pay." in m.text
    assert ("2           15 Jun 2026  €150.00  missed, €75.00 paid\n"
            "3           15 Jul 2026  €225.00  missed\n"
            "4           15 Aug 2026  €225.00  due") in m.text


def test_a_templates_row_named_plan_courtesy_wins_and_is_escaped_in_html():
    own = ("plan_courtesy", "en", "Plan {plan}: {instalment} on {instalment_date}",
           "{greeting}\n\n<b>{plan}</b> no. {instalment_number}\n\n{plan_schedule}")
    m = the_mail(ledger("2026-07-12", [plan_row(start="2026-07-15", plan="P&1")],
                        templates=[own]))
    assert m.template == "plan_courtesy"
    assert m.subject == "Plan P&1: €300.00 on 15 July 2026"
    assert "<b>P&1</b> no. 1 of 3" in m.text
    assert "1           15 Jul 2026   €300.00  due" in m.text
    assert "&lt;b&gt;P&amp;1&lt;/b&gt; no. 1 of 3" in m.html
    assert "<td>15 Sept 2026</td>" in m.html
    # the table defines only English: a German customer still gets the built-in German one
    de = the_mail(ledger("2026-07-12", [plan_row(start="2026-07-15")], language="de",
                         templates=[own]))
    assert de.subject.startswith("Ratenplan P1: Rate 1 von 3")


def test_the_plan_placeholders_are_blank_outside_a_plan():
    probe = "[{plan}][{plan_invoices}][{instalment}][{instalment_number}][{instalment_date}]" \
            "[{plan_total}][{plan_left}][{plan_schedule}][{plan_default_after}]"
    own = ("first_reminder", "en", "Overdue {plan}", "{greeting}\n\n" + probe)
    assert all(k in PLACEHOLDERS for k in ("plan", "instalment", "instalment_number",
                                            "instalment_date", "plan_schedule"))
    # no plan: an ordinary first reminder, 15 days past due
    led = ledger("2026-06-15", templates=[own],
                 invoices=[invoice("I9", 120.0, d("2026-05-31"))])
    assert [template_problems(t) for t in led.templates if t.row] == [[]]
    m = the_mail(led)
    assert m.template == "first_reminder" and m.subject == "Overdue"
    assert "[][][][][][][][][]" in m.text and "[][][][][][][][][]" in m.html
    # a Defaulted plan (two missed): ordinary chasing, no plan in the mail
    m = the_mail(ledger("2026-07-16", [plan_row()], templates=[own]))
    assert m.template != "plan_missed" and "Missed instalment" not in m.subject
    assert "payment plan" not in m.text


def test_a_message_above_the_first_reminder_keeps_its_levels_template():
    # I3 (50.00, due 1 Apr) had a first reminder on 1 Jun: the message is a second reminder,
    # with the plan's missed instalment in it; the level's own template, the plan's amount
    extra_invoice = invoice("I3", 50.0, d("2026-04-01"))
    led = make_ledger(
        customers=[customer("C1")], invoices=[*INVOICES, extra_invoice],
        extra={"Plans": (PLANS_HEADER, [plan_row()]),
               "Payments": (PAYMENTS_HEADER, [[d("2026-05-15"), "C1", 300.0, "", "", "I1"]]),
               "History": (["Date", "Customer", "Type", "Level", "Currency"],
                           [[d("2026-06-01"), "C1", "Reminder", 2, "EUR"]])},
        settings={"As Of Date": d("2026-06-16"), "Late Payment Law": "EU"})
    m = the_mail(led)
    assert (m.template, m.level, m.amount) == ("second_reminder", 3, 350.0)
    assert [ln.invoice for ln in m.invoices] == ["I3", "I2"]
    # without the reminder about I3 the message is the first reminder: the plan's mail, which
    # lists I3 too and asks for both
    m = the_mail(ledger("2026-06-16", [plan_row()], [("2026-05-15", 300.0, "I1")],
                        invoices=[*INVOICES, extra_invoice]))
    assert (m.template, m.amount) == ("plan_missed", 350.0)
    assert "Due now: €350.00" in m.text and "€300.00, was due on 15 June 2026" in m.text
