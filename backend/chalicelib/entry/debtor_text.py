"""The debtor's page in the customer's language (Customers' Language; the templates'
languages: en, de, fr). Dates and amounts are formatted by Babel in the same locale."""

from __future__ import annotations

LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR"}

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your account with {company}",
        "account": "Account of {name} (customer {customer})",
        "owed": "You owe", "overdue": "of which overdue", "nothing": "Nothing is open on "
        "your account. Thank you.",
        "open": "Open invoices", "statement": "Statement (last 12 months)",
        "invoice": "Invoice", "date": "Date", "due": "Due", "amount": "Amount",
        "outstanding": "Outstanding", "status": "Status",
        "days_overdue": "{n} days overdue", "not_due": "not yet due", "disputed": "disputed",
        "paid": "paid",
        "promise_h": "Promise to pay", "promise_amount": "Amount you will pay",
        "promise_date": "Date you will pay by", "promise_b": "Send my promise",
        "dispute_h": "Dispute an invoice", "dispute_invoice": "Invoice",
        "dispute_reason": "Reason", "dispute_text": "What is wrong?",
        "dispute_b": "Send my dispute",
        "r_not_received": "Goods or service not received", "r_wrong_amount": "Wrong amount",
        "r_already_paid": "Already paid", "r_quality": "Quality problem", "r_other": "Other",
        "plan_h": "Ask for a payment plan", "plan_n": "Number of monthly instalments",
        "plan_currency": "Currency", "plan_start": "First instalment on",
        "plan_b": "Ask for this plan", "message_h": "Leave a message",
        "message_text": "Your message", "message_b": "Send my message",
        "done_promise": "Thank you: your promise to pay is recorded.",
        "done_dispute": "Thank you: your dispute is recorded; we will be in touch.",
        "done_plan": "Thank you: your request for a plan is recorded; we will confirm it.",
        "done_message": "Thank you: your message is recorded.",
        "error": "Please check this form: {message}",
        "footer": "This page is only for you: do not share its link.",
    },
    "de": {
        "title": "Ihr Konto bei {company}",
        "account": "Konto von {name} (Kunde {customer})",
        "owed": "Offener Betrag", "overdue": "davon überfällig",
        "nothing": "Auf Ihrem Konto ist nichts offen. Vielen Dank.",
        "open": "Offene Rechnungen", "statement": "Kontoauszug (letzte 12 Monate)",
        "invoice": "Rechnung", "date": "Datum", "due": "Fällig", "amount": "Betrag",
        "outstanding": "Offen", "status": "Status",
        "days_overdue": "{n} Tage überfällig", "not_due": "noch nicht fällig",
        "disputed": "beanstandet", "paid": "bezahlt",
        "promise_h": "Zahlung zusagen", "promise_amount": "Betrag, den Sie zahlen",
        "promise_date": "Zahlung bis", "promise_b": "Zusage senden",
        "dispute_h": "Rechnung beanstanden", "dispute_invoice": "Rechnung",
        "dispute_reason": "Grund", "dispute_text": "Was ist falsch?",
        "dispute_b": "Beanstandung senden",
        "r_not_received": "Ware oder Leistung nicht erhalten", "r_wrong_amount":
        "Falscher Betrag", "r_already_paid": "Bereits bezahlt", "r_quality":
        "Qualitätsmangel", "r_other": "Anderes",
        "plan_h": "Ratenzahlung anfragen", "plan_n": "Anzahl monatlicher Raten",
        "plan_currency": "Währung", "plan_start": "Erste Rate am",
        "plan_b": "Ratenplan anfragen", "message_h": "Nachricht hinterlassen",
        "message_text": "Ihre Nachricht", "message_b": "Nachricht senden",
        "done_promise": "Vielen Dank: Ihre Zahlungszusage ist erfasst.",
        "done_dispute": "Vielen Dank: Ihre Beanstandung ist erfasst; wir melden uns.",
        "done_plan": "Vielen Dank: Ihre Anfrage ist erfasst; wir bestätigen den Plan.",
        "done_message": "Vielen Dank: Ihre Nachricht ist erfasst.",
        "error": "Bitte prüfen Sie dieses Formular: {message}",
        "footer": "Diese Seite ist nur für Sie: geben Sie den Link nicht weiter.",
    },
    "fr": {
        "title": "Votre compte chez {company}",
        "account": "Compte de {name} (client {customer})",
        "owed": "Montant dû", "overdue": "dont en retard",
        "nothing": "Rien n'est ouvert sur votre compte. Merci.",
        "open": "Factures ouvertes", "statement": "Relevé (12 derniers mois)",
        "invoice": "Facture", "date": "Date", "due": "Échéance", "amount": "Montant",
        "outstanding": "Restant dû", "status": "Statut",
        "days_overdue": "{n} jours de retard", "not_due": "pas encore échue",
        "disputed": "contestée", "paid": "payée",
        "promise_h": "Promettre un paiement", "promise_amount": "Montant que vous paierez",
        "promise_date": "Date de paiement", "promise_b": "Envoyer ma promesse",
        "dispute_h": "Contester une facture", "dispute_invoice": "Facture",
        "dispute_reason": "Motif", "dispute_text": "Qu'est-ce qui ne va pas ?",
        "dispute_b": "Envoyer ma contestation",
        "r_not_received": "Marchandise ou service non reçu", "r_wrong_amount":
        "Montant erroné", "r_already_paid": "Déjà payée", "r_quality": "Problème de qualité",
        "r_other": "Autre",
        "plan_h": "Demander un échéancier", "plan_n": "Nombre de mensualités",
        "plan_currency": "Devise", "plan_start": "Première mensualité le",
        "plan_b": "Demander cet échéancier", "message_h": "Laisser un message",
        "message_text": "Votre message", "message_b": "Envoyer mon message",
        "done_promise": "Merci : votre promesse de paiement est enregistrée.",
        "done_dispute": "Merci : votre contestation est enregistrée ; nous vous recontactons.",
        "done_plan": "Merci : votre demande d'échéancier est enregistrée ; nous la confirmerons.",
        "done_message": "Merci : votre message est enregistré.",
        "error": "Veuillez vérifier ce formulaire : {message}",
        "footer": "Cette page est réservée à vous : ne partagez pas son lien.",
    },
}


def language(code: str | None) -> str:
    code = (code or "en").strip().casefold()[:2]
    return code if code in TEXT else "en"
