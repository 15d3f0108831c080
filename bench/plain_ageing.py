"""The baseline of bench/cli_file.py: ageing as an analyst writes it with pandas.

    python bench/plain_ageing.py WORKBOOK AS_OF BASE_CURRENCY RESULTS.xlsx

Reads the Invoices and Customers sheets (and the two-row FX sheet, for the base currency)
with ``pandas.read_excel(engine="calamine")``, ages the open items per customer with a
groupby (debts in the buckets, credits apart as unapplied credits, as the rules say),
writes a one-sheet results workbook with ``DataFrame.to_excel`` and prints the ageing table
as JSON, as ``creditdesk ageing --json -o`` does. It does only ageing: no validation, no
per-row issues, no credit checks, scores or reminders.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

LABELS = ["Not due", "1-30", "31-60", "61-90", "91-120", "Over 120"]


def main(path: str, as_of_text: str, base: str, out: str) -> None:
    as_of = pd.Timestamp(as_of_text)
    sheets = pd.read_excel(path, sheet_name=["Invoices", "Customers", "FX"], engine="calamine")
    inv, cus, fx = sheets["Invoices"], sheets["Customers"], sheets["FX"]
    rates = {base: 1.0, **dict(zip(fx["Currency"], fx["Rate"], strict=True))}

    settled = pd.to_datetime(inv["Settled Date"])
    amount, paid = inv["Amount"], inv["Paid"].fillna(0.0)
    # on a credit note, what was paid (refunded, used) reduces the credit, never beyond 0
    net = np.where(amount < 0, np.minimum(amount + paid, 0.0), amount - paid)
    outstanding = np.where(settled.notna(), np.where(settled > as_of, amount, 0.0), net)
    is_open = (pd.to_datetime(inv["Invoice Date"]) <= as_of).to_numpy() & (outstanding != 0)
    op = inv[is_open].copy()
    op["Outstanding"] = outstanding[is_open] * op["Currency"].map(rates)
    days = (as_of - pd.to_datetime(op["Due Date"])).dt.days
    op["Bucket"] = pd.cut(days, bins=[-np.inf, 0, 30, 60, 90, 120, np.inf], labels=LABELS)

    # debts in the buckets; credit notes and overpayments apart, as unapplied credits
    debt = op["Outstanding"] > 0
    ageing = (op[debt].groupby(["Customer", "Bucket"], observed=False)["Outstanding"].sum()
              .unstack(fill_value=0.0))
    ageing = ageing.reindex(op["Customer"].unique(), fill_value=0.0)  # customers with open items
    ageing["Unapplied Credits"] = (op[~debt].groupby("Customer")["Outstanding"].sum()
                                   .reindex(ageing.index, fill_value=0.0))
    ageing["Total"] = ageing.sum(axis=1)
    ageing = (cus[["Customer", "Name"]].merge(ageing, left_on="Customer", right_index=True)
              .sort_values(["Total", "Customer"], ascending=[False, True]))
    ageing.columns = [str(c) for c in ageing.columns]
    ageing.to_excel(out, sheet_name="Ageing", index=False)
    sys.stdout.write(ageing.to_json(orient="records"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__.split("\n\n")[1])
    main(*sys.argv[1:])
