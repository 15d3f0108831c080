"""The rules: the ledger model and how it is built from raw tables, cells, settings, the
workbook contract, ageing, KPIs, credit, dunning, interest, scores and templates.

Pure: the standard library, numpy and pydantic (with email-validator), babel for the
reminders' dates and money, nothing else and
nothing of the rest of Creditdesk."""
