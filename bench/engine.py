"""Benchmark: ageing + credit check + dunning selection in memory on a full Excel sheet.

    .venv/bin/python -m bench.engine [--write-docs] [--profile] [--repeat N]

1,048,575 invoices and 50,000 customers (``devkit.sample.full_sheet_tables``, seeded),
validated once by ``build_ledger``. The engine (``position``, ``ageing``, ``credit_check``,
``select``) is timed against a plain pandas implementation of the same three computations in
the same run, after checking that both give the same numbers. BRIEF §5 target: under 1 s on
one core, at least 10x the pandas one. The process is pinned to one core.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.benchlib import best_median, machine, pin_one_core, s, table, timings, write_docs
from creditdesk.domain import dunning as D
from creditdesk.domain.ageing import ageing, position
from creditdesk.domain.credit import credit_check
from creditdesk.domain.dunning import SEND, select
from creditdesk.domain.interest import round_money_array
from creditdesk.domain.ledger import Ledger, build_ledger, raw_tables
from devkit.sample import AS_OF, FULL_SHEET, full_sheet_tables, sample_tables

CUSTOMERS = 50_000
TARGET_SECONDS, TARGET_RATIO = 1.0, 10.0


# ---------------------------------------------------------------------------------------
# The engine, as the add-in and the CLI call it


def engine(ledger: Ledger) -> tuple:
    pos = position(ledger)
    age = ageing(ledger, pos)
    check = credit_check(ledger, pos, age, scores=None)
    sel = select(ledger, pos)
    return pos, age, check, sel


# ---------------------------------------------------------------------------------------
# The baseline: what a competent analyst writes in pandas


def frames(ledger: Ledger, keys: str = "str") -> tuple[pd.DataFrame, pd.DataFrame,
                                                        pd.DataFrame, dict]:
    """The ledger's columns as the DataFrames an analyst has after loading the workbook
    (not timed, like ``build_ledger`` for the engine). ``keys``: 'str' = customer and
    currency keys as text, as read; 'category' = converted to pandas categoricals once."""
    c, inv, h, st = ledger.customers, ledger.invoices, ledger.history, ledger.settings
    ids = pd.Series(c.ids.astype(str))
    ccys = np.array(ledger.currencies, dtype=object)

    def date(a: np.ndarray) -> pd.Series:
        return pd.Series(a.astype("datetime64[ns]"))

    invoices = pd.DataFrame({
        "Customer": ids.to_numpy()[inv.customer],
        "Currency": ccys[inv.currency],
        "Invoice Date": date(inv.invoice_date),
        "Due Date": date(inv.due_date),
        "Settled Date": date(inv.settled_date),
        "Amount": inv.amount,
        "Paid": inv.paid,
        "Rate": inv.rate,  # the FX rate looked up when loading, as build_ledger does
        "Disputed": inv.disputed,
    })
    customers = pd.DataFrame({
        "Customer": ids,
        "Email": pd.Series(c.email.astype(str)),
        "Credit Limit": c.credit_limit,
        "Open Orders": c.open_orders,
        "Do Not Chase": c.do_not_chase,
        "Paused Until": date(c.paused_until),
        "Promise Date": date(c.promise_date),
        "Promise Amount": c.promise_amount,
        "Promise Made": date(c.promise_made),
    })
    history = pd.DataFrame({
        "Date": date(h.date),
        "Customer": pd.Series(h.customer.astype(str)),
        "Type": pd.Series(h.type.astype(str)),
        "Level": h.level,
        "Currency": pd.Series(h.currency.astype(str)),
        "Email": pd.Series(h.email.astype(str)),
    })
    if keys == "category":  # a key not in the categories (history of a closed account): NaN
        for col, values in (("Customer", ids), ("Currency", pd.Series(ccys, dtype=str))):
            dtype = pd.CategoricalDtype(values)
            for df in (invoices, customers, history):
                if col in df:
                    df[col] = df[col].where(df[col].isin(values)).astype(dtype)
    levels = sorted(ledger.levels, key=lambda lv: (lv.days, lv.level))
    params = {
        "as_of": pd.Timestamp(ledger.as_of_date),
        "edges": list(st.bucket_edges),
        "labels": st.bucket_labels(),
        "basis": st.ageing_basis,
        "hold_days": st.hold_days_overdue,
        "review_pct": st.review_utilisation_pct,
        "days": [lv.days for lv in levels],
        "numbers": sorted(lv.level for lv in levels),
        "email_channel": [lv.channel == "Email" for lv in levels],
        "minimum": st.minimum_reminder_amount,
        "cooldown": st.reminder_cooldown_days,
    }
    return invoices, customers, history, params


def ageing_total(codes: np.ndarray, op: pd.DataFrame, debt: pd.Series, n_buckets: int
                 ) -> np.ndarray:
    """Each customer's balance as the Ageing sheet shows it: the sum of its bucket columns
    plus its unapplied credits, added up in ledger order (``codes``: the customer group of
    each open item). Not pandas' groupby sum: that one is compensated (Kahan), so on an exact
    half cent (a 2-decimal amount times a 2-decimal FX rate, e.g. 66,857.955) its last bit, and
    with it the cent the exposure rounds to, can differ from the ledger-order sum the engine
    compares with the limit (66,857.95499999999 -> 66,857.95)."""
    n = int(codes.max()) + 1 if len(codes) else 0
    base = op["Base"].to_numpy(float)
    converted = op["Rate"].notna().to_numpy()
    d = debt.to_numpy() & converted
    cell = codes[d] * n_buckets + op["Bucket"].cat.codes.to_numpy()[d]
    buckets = np.bincount(cell, weights=base[d], minlength=n * n_buckets)
    c = (op["Outstanding"] < 0).to_numpy() & converted
    return buckets.reshape(n, n_buckets).sum(axis=1) + np.bincount(codes[c], weights=base[c],
                                                                    minlength=n)


def pandas_engine(inv: pd.DataFrame, cus: pd.DataFrame, hist: pd.DataFrame, p: dict
                  ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Ageing table, credit decisions and dunning groups, plain pandas (no Python loop over
    rows or groups). Returns (buckets per customer, per customer, per customer+currency).

    Long on purpose: it is the baseline, one script top to bottom as an analyst writes it,
    its three parts marked by the numbered comments."""
    as_of = p["as_of"]

    # Open items as of the date: outstanding = amount - paid (on a credit note, paid reduces
    # the credit, never beyond 0), or by the settled date.
    settled = inv["Settled Date"]
    net = np.where(inv["Amount"] < 0, np.minimum(inv["Amount"] + inv["Paid"], 0.0),
                   inv["Amount"] - inv["Paid"])
    outstanding = np.where(settled.notna(),
                           np.where(settled > as_of, inv["Amount"], 0.0), net)
    is_open = (inv["Invoice Date"] <= as_of).to_numpy() & (outstanding != 0)
    op = inv[is_open].copy()
    op["Outstanding"] = outstanding[is_open]
    op["Base"] = op["Outstanding"] * op["Rate"]
    op["Days"] = (as_of - op["Due Date"]).dt.days
    age = op["Days"] if p["basis"] == "Due Date" else (as_of - op["Invoice Date"]).dt.days
    op["Bucket"] = pd.cut(age, bins=[-np.inf, 0, *p["edges"], np.inf], labels=p["labels"])

    # 1. Ageing: customer x bucket, debts only (credits are unapplied credits, apart).
    debt = op["Outstanding"] > 0
    buckets = (op[debt].groupby(["Customer", "Bucket"], observed=True)["Base"].sum()
               .unstack(fill_value=0.0)
               .reindex(index=cus["Customer"], columns=p["labels"], fill_value=0.0))

    # 2. Credit check: per-customer figures, merged with the customers' limits.
    chase = debt & ~op["Disputed"]
    promise = op["Customer"].map(cus.set_index("Customer")["Promise Date"])
    op = op.assign(
        Overdue=op["Base"].where(debt & (op["Days"] > 0), 0.0),
        DebtDays=op["Days"].where(debt),
        Late=chase & (op["Days"] > p["hold_days"]),
        Aging=chase & (op["Days"] > p["edges"][0]),
        DisputedOpen=debt & op["Disputed"],
        Promised=chase & (op["Due Date"] <= promise),
        Debt=debt,
        Chase=chase,
    )
    by_customer = op.groupby("Customer", observed=True)
    per = by_customer.agg(
        overdue=("Overdue", "sum"), open_items=("Base", "size"),
        oldest=("DebtDays", "max"), n_late=("Late", "sum"), n_aging=("Aging", "sum"),
        n_disputed=("DisputedOpen", "sum"), n_promised=("Promised", "sum"))
    per.insert(0, "outstanding", ageing_total(by_customer.ngroup().to_numpy(), op, debt,
                                              len(p["labels"])))
    cr = cus.merge(per, left_on="Customer", right_index=True, how="left")
    cr[per.columns] = cr[per.columns].fillna(0)
    cr["oldest"] = cr["oldest"].clip(lower=0)
    cr["exposure"] = cr["outstanding"] + cr["Open Orders"]
    limit = cr["Credit Limit"]
    has_limit = limit.notna()
    # compared in cents, as shown: half away from zero on the decimal form (round_money), not
    # pandas' round (half to even on the binary value: 18,799.815 -> 18,799.81)
    cents = pd.Series(round_money_array(cr["exposure"].to_numpy(float)), index=cr.index)
    cr["utilisation"] = (cents / limit * 100).where(has_limit & (limit > 0))
    over = has_limit & (cents > round_money_array(limit.fillna(0).to_numpy(float))) & (cents > 0)
    # a promise is kept when its amount was paid by its date: here, by the invoices settled
    # after it was made (else in the 30 days before its date)
    made = cr["Promise Made"].fillna(cr["Promise Date"] - pd.Timedelta(days=30))
    paid = inv[inv["Settled Date"].notna() & (inv["Amount"] > 0)].merge(
        cr[["Customer", "Promise Date"]].assign(Made=made), on="Customer")
    paid = paid[(paid["Settled Date"] > paid["Made"])
                & (paid["Settled Date"] <= paid["Promise Date"])]
    paid_by = (paid["Amount"] * paid["Rate"]).groupby(paid["Customer"], observed=True).sum()
    kept = cr["Promise Amount"].notna() & (
        cr["Customer"].map(paid_by).fillna(0.0).round(2) >= cr["Promise Amount"].round(2))
    cr["broken"] = (cr["Promise Date"].notna() & (cr["Promise Date"] < as_of)
                    & (cr["n_promised"] > 0) & ~kept)
    hold = over | (cr["n_late"] > 0) | cr["broken"]
    review = ~hold & ((has_limit & (cr["utilisation"] >= p["review_pct"])) | ~has_limit
                      | (cr["n_aging"] > 0) | (cr["n_disputed"] > 0))
    cr["decision"] = np.select([hold, review], ["Hold", "Review"], "Approve")

    # 3. Dunning: one message per customer and currency.
    days = p["days"]
    level_of = pd.cut(op["Days"], bins=[-np.inf, *days, np.inf], right=False, labels=False)
    op["Listed"] = np.where(chase, level_of - 1, -1)
    first_due = int(np.searchsorted(days, 0, side="left"))
    # past its due date, an item counts for the courtesy level only until one was sent
    op["ReachedDue"] = np.where((op["Days"] > 0) & (op["Listed"] < first_due), -1,
                                op["Listed"])
    dunned = op["Listed"] >= 0
    in_msg = dunned | (op["Outstanding"] < 0)
    # asked for: the overdue items and the credits; items falling due only in a courtesy note
    due_now = in_msg & (~debt | (op["Days"] > 0))
    soon = in_msg & ~due_now
    op["MsgAmount"] = op["Outstanding"].where(due_now, 0.0)
    op["MsgBase"] = op["Base"].where(due_now, 0.0)
    op["SoonAmount"] = op["Outstanding"].where(soon, 0.0)
    op["SoonBase"] = op["Base"].where(soon, 0.0)
    op["DunnedDue"] = op["Due Date"].where(dunned)
    g = op.groupby(["Customer", "Currency"], observed=True).agg(
        reached=("Listed", "max"), reached_due=("ReachedDue", "max"),
        n_debt=("Debt", "sum"), n_chase=("Chase", "sum"),
        amount=("MsgAmount", "sum"), base=("MsgBase", "sum"), soon=("SoonAmount", "sum"),
        soon_base=("SoonBase", "sum"), oldest_due=("DunnedDue", "min"),
    ).reset_index()

    # History: the last reminder per group (cool-down) and the highest level sent about
    # these debts (escalation order), and the addresses that bounced.
    rem = hist[(hist["Type"] == "reminder") & hist["Date"].notna() & (hist["Date"] <= as_of)]
    # a blank currency (NaN with categorical keys): every currency of the customer
    blank = rem["Currency"].astype(object).fillna("").astype(str) == ""
    rem = pd.concat([
        rem[~blank].merge(g[["Customer", "Currency", "oldest_due"]],
                          on=["Customer", "Currency"]),
        rem[blank].drop(columns="Currency").merge(
            g[["Customer", "Currency", "oldest_due"]], on="Customer")])
    last_date = rem.groupby(["Customer", "Currency"], observed=True)["Date"].max()
    rel = rem[rem["Date"] >= rem["oldest_due"] + pd.Timedelta(days=days[0])]
    last_level = (rel.assign(Level=rel["Level"].fillna(0))
                  .groupby(["Customer", "Currency"], observed=True)["Level"].max())
    g = (g.merge(last_date.rename("last_date"), left_on=["Customer", "Currency"],
                 right_index=True, how="left")
         .merge(last_level.rename("last_level"), left_on=["Customer", "Currency"],
                right_index=True, how="left")
         .merge(cus[["Customer", "Email", "Do Not Chase", "Paused Until", "Promise Date"]],
                on="Customer", how="left")
         .merge(per[["outstanding"]].rename(columns={"outstanding": "net"}),
                left_on="Customer", right_index=True, how="left"))
    last_idx = np.where(g["last_level"].notna(),
                        np.searchsorted(p["numbers"], g["last_level"].fillna(0),
                                        side="right") - 1, -1)
    g["reached"] = np.where(last_idx >= 0, g["reached_due"], g["reached"])
    allowed = np.maximum(last_idx + 1, min(first_due, max(len(days) - 1, 0)))
    g["level"] = np.where(g["reached"] >= 0, np.minimum(g["reached"], allowed), -1)
    courtesy = np.array([d < 0 for d in days] + [False])[g["level"]]
    g["amount"] = g["amount"] + np.where(courtesy, g["soon"], 0.0)
    g["base"] = g["base"] + np.where(courtesy, g["soon_base"], 0.0)
    bounced = set(hist.loc[hist["Type"].isin(["bounce", "complaint"]) & (hist["Email"] != ""),
                           "Email"].str.strip().str.casefold())
    email_channel = np.array([*p["email_channel"], False])[g["level"]]
    g["status"] = np.select([  # in the engine's order: the first reason found is given
        g["Do Not Chase"],
        g["Paused Until"].notna() & (g["Paused Until"] >= as_of),
        g["Promise Date"].notna() & (g["Promise Date"] >= as_of),
        (g["n_debt"] > 0) & (g["n_chase"] == 0),
        g["n_debt"] == 0,
        g["reached"] < 0,
        g["net"] <= 0,
        g["amount"] <= 0,
        g["base"] < p["minimum"],
        email_channel & (g["Email"] == ""),
        g["Email"].str.casefold().isin(bounced),
        g["last_date"].notna() & (g["last_date"] + pd.Timedelta(days=p["cooldown"]) > as_of),
    ], [D.DO_NOT_CHASE, D.PAUSED, D.PROMISE, D.ALL_DISPUTED, D.CREDIT_ONLY, D.NOTHING_DUE,
        D.NET_NOT_POSITIVE, D.CREDITS_COVER, D.UNDER_MINIMUM, D.NO_ADDRESS, D.BOUNCED,
        D.COOL_DOWN], SEND)
    return buckets, cr, g


# ---------------------------------------------------------------------------------------
# Same numbers?


def compare(ledger: Ledger, result: tuple, base: tuple) -> list[str]:
    """What differs between the engine and the baseline ([] = the same numbers)."""
    _, age, check, sel = result
    buckets, cr, g = base
    bad: list[str] = []

    def close(name: str, a: np.ndarray, b: np.ndarray) -> None:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-9, atol=1e-6, equal_nan=True):
            diff = np.flatnonzero(~np.isclose(a, b, rtol=1e-9, atol=1e-6, equal_nan=True)) \
                if a.shape == b.shape else []
            bad.append(f"{name}: {len(diff)} differ (shape {a.shape} vs {b.shape})")

    def same(name: str, a: np.ndarray, b: np.ndarray) -> None:
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or not (a == b).all():
            bad.append(f"{name}: {int((a != b).sum()) if a.shape == b.shape else 'shape'} "
                       "differ")

    close("buckets per customer", age.buckets, buckets.to_numpy())
    close("outstanding", age.outstanding, cr["outstanding"])
    close("overdue", age.overdue, cr["overdue"])
    same("open items", age.open_items, cr["open_items"].astype(np.int64))
    same("oldest days overdue", age.oldest_days_overdue, cr["oldest"].astype(np.int64))
    close("exposure", check.exposure, cr["exposure"])
    close("utilisation", check.utilisation, cr["utilisation"])
    same("broken promises", check.broken_promise, cr["broken"].to_numpy(bool))
    same("decisions", check.decision.astype(str), cr["decision"].astype(str))

    ids, ccys = ledger.customers.ids, np.array(ledger.currencies, dtype=object)
    mine = pd.DataFrame({"Customer": ids[sel.group_customer].astype(str),
                         "Currency": ccys[sel.group_currency].astype(str),
                         "status": sel.group_status.astype(np.int64),
                         "level": sel.group_level, "reached": sel.group_reached,
                         "amount": sel.group_amount, "base": sel.group_base_amount})
    theirs = g.astype({"Customer": str, "Currency": str})
    both = mine.merge(theirs, on=["Customer", "Currency"], how="outer", indicator=True,
                      suffixes=("", "_pd"))
    if (both["_merge"] != "both").any():
        bad.append(f"groups: {int((both['_merge'] != 'both').sum())} in one result only")
        return bad
    same("selected groups", both["status"] == SEND, both["status_pd"] == SEND)
    same("skip reasons", both["status"], both["status_pd"])
    same("message levels", both["level"], both["level_pd"])
    same("levels reached", both["reached"], both["reached_pd"])
    close("message amounts", both["amount"], both["amount_pd"])
    close("message amounts, base", both["base"], both["base_pd"])
    return bad


def check_same(ledger: Ledger) -> str:
    """Stop the run unless the engine and both pandas variants give the same numbers."""
    result = engine(ledger)
    for keys in ("str", "category"):
        bad = compare(ledger, result, pandas_engine(*frames(ledger, keys)))
        if bad:
            sys.exit(f"the engine and pandas ({keys} keys) differ: " + "; ".join(bad))
    pos, _, check, sel = result
    n = np.unique(check.decision.astype(str), return_counts=True)
    decisions = ", ".join(f"{int(k):,} {d}" for d, k in zip(*n, strict=True))
    return (f"{len(ledger.invoices):,} invoices ({len(pos):,} open), "
            f"{len(ledger.customers):,} customers: same buckets, exposures and decisions "
            f"({decisions}); {len(sel.group_status):,} customer/currency groups, "
            f"{len(sel.send):,} selected, same levels, amounts and skip reasons "
            f"({len(set(sel.group_status.tolist()))} distinct outcomes)")


def profile(ledger: Ledger, top: int) -> list[tuple[str, float, float]]:
    """(function, own seconds, cumulative seconds) of one engine run, by own time."""
    prof = cProfile.Profile()
    prof.enable()
    engine(ledger)
    prof.disable()
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (file, line, func), (_, ncalls, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = Path(file).name if file != "~" else ""
        name = f"{where}:{line} {func}" if where else func
        rows.append((f"{name} ({ncalls:,} calls)", tt, ct))
    rows.sort(key=lambda r: -r[1])
    return rows[:top]


DATASETS = (("open-items export", True), ("ledger with settled history", False))


def run_dataset(label: str, open_items: bool, repeat: int) -> dict:
    print(f"{label}: generating {FULL_SHEET:,} invoices for {CUSTOMERS:,} customers ...")
    t = time.perf_counter()
    tables = full_sheet_tables(FULL_SHEET, CUSTOMERS, as_of=AS_OF, seed=7,
                               open_items=open_items)
    t_gen = time.perf_counter() - t
    t = time.perf_counter()
    ledger = build_ledger(tables)
    t_build = time.perf_counter() - t
    del tables
    if ledger.issues or len(ledger.invoices) != FULL_SHEET:
        sys.exit(f"the generated ledger has {len(ledger.issues)} issues, "
                 f"{len(ledger.invoices)} invoices")
    print(f"  generated in {s(t_gen)}, build_ledger in {s(t_build)}; checking ...")
    checked = check_same(ledger)
    print(f"  {checked}\n  timing ...")
    out: dict = {"label": label, "ledger": ledger, "checked": checked, "gen": t_gen,
                 "build": t_build, "engine": timings(lambda: engine(ledger), repeat)}
    pos = position(ledger)
    age = ageing(ledger, pos)
    for name, fn in (("position", lambda: position(ledger)),
                     ("ageing", lambda: ageing(ledger, pos)),
                     ("credit_check", lambda: credit_check(ledger, pos, age, scores=None)),
                     ("select", lambda: select(ledger, pos))):
        out[name] = timings(fn, repeat)
    for keys in ("str", "category"):
        data = frames(ledger, keys)
        out[keys] = timings(lambda data=data: pandas_engine(*data), max(3, repeat // 2))
        del data
    return out


def information(ledger: Ledger) -> dict[str, list[float]]:
    """Materialising per-message and per-customer objects for display: not in the target."""
    from creditdesk.analysis.report import Analysis

    pos = position(ledger)
    age = ageing(ledger, pos)
    sel = select(ledger, pos)
    info = {f"Selection.reminders() ({len(sel.send):,} messages)": timings(sel.reminders, 3)}

    def check_doc() -> None:
        a = Analysis(ledger)
        a.pos, a.ageing = pos, age  # type: ignore[misc]
        a.check_doc()

    try:
        info["Analysis(ledger).check_doc(), incl. score() and credit_check()"] = \
            timings(check_doc, 3)
    except Exception as exc:  # score.py is being finished by someone else
        print(f"  Analysis.check_doc() not timed: {type(exc).__name__}: {exc}")
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write-docs", action="store_true",
                    help="rewrite the engine section of docs/performance.md")
    ap.add_argument("--repeat", type=int, default=7, help="timed runs of the engine")
    ap.add_argument("--profile", type=int, default=8, metavar="N",
                    help="functions shown in the profile (default 8)")
    args = ap.parse_args()
    pinning = pin_one_core()

    print("correctness, on the sample workbook (devkit.sample, 300 customers) ...")
    small = build_ledger(raw_tables(sample_tables(customers=300, invoices_per_customer=25.0,
                                                  as_of=AS_OF)))
    checked = [f"sample workbook: {check_same(small)}"]
    print("  " + checked[0])

    runs = []
    for label, open_items in DATASETS:
        r = run_dataset(label, open_items, args.repeat)
        checked.append(f"{label}: {r['checked']}")
        if open_items:
            r["info"] = information(r["ledger"])
            r["profile"] = profile(r["ledger"], args.profile)
        del r["ledger"]
        runs.append(r)

    header = ["what"]
    for r in runs:
        header += [f"{r['label']}: best", "median", "ratio"]
    rows = []
    names = [("engine", "engine: position + ageing + credit_check + select")]
    names += [(k, f"  {k}") for k in ("position", "ageing", "credit_check", "select")]
    names += [("str", "pandas, text keys as read"), ("category", "pandas, keys as categoricals")]
    verdicts = []
    for key, label in names:
        row = [label]
        for r in runs:
            b, m = best_median(r[key])
            ratio = f"{b / min(r['engine']):.1f}x" if key in ("str", "category") else ""
            row += [s(b), s(m), ratio]
        rows.append(row)
    for r in runs:
        e = min(r["engine"])
        plain, cat = min(r["str"]) / e, min(r["category"]) / e
        verdicts.append(
            f"- {r['label']}: engine {s(e)} (under {TARGET_SECONDS:g} s: "
            f"{'met' if e < TARGET_SECONDS else 'MISSED'}); {plain:.1f}x plain pandas, "
            f"{cat:.1f}x pandas with categorical keys (at least {TARGET_RATIO:g}x: "
            f"{'met' if min(plain, cat) >= TARGET_RATIO else 'MISSED'})")
    result = table(header, rows)
    first = runs[0]
    info_rows = [[f"{r['label']}: generate (devkit/sample.py)", s(r["gen"]), "once"]
                 for r in runs]
    info_rows += [[f"{r['label']}: build_ledger, validating {FULL_SHEET:,} rows",
                   s(r["build"]), "once"] for r in runs]
    info_rows += [[f"{first['label']}: {k}", s(min(v)), s(float(np.median(v)))]
                  for k, v in first.get("info", {}).items()]
    info_table = table(["information, not part of the target", "best", "median"], info_rows)
    prof_table = table(["function (one engine run, open-items export, cProfile)",
                        "own time", "with callees"],
                       [[n, s(tt), s(ct)] for n, tt, ct in first.get("profile", [])])
    print()
    print(result)
    print()
    print("\n".join(verdicts))
    print()
    print(info_table)
    print()
    print(prof_table)
    if args.write_docs:
        body = "\n".join([
            f"Measured by `bench/engine.py` ({args.repeat} timed runs of the engine and of "
            f"each stage, {len(first['str'])} of each baseline, each after one untimed "
            "warm-up; ratio = best baseline / best engine):",
            "",
            *machine(pinning, load=True),
            "",
            result,
            "",
            *verdicts,
            "",
            "Checked before timing (the run stops if any figure differs):",
            "",
            *(f"- {line}" for line in checked),
            "",
            info_table,
            "",
            "Where the engine's time goes (profiling adds overhead to the Python-level calls):",
            "",
            prof_table,
        ])
        write_docs("engine", body)


if __name__ == "__main__":
    main()
