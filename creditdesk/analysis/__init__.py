"""One run of the rules over a ledger, and the documents it returns."""
