"""The score's quality is measured, not asserted: learned from the ledger as it stood on a
cut-off date, it must rank customers by how late they pay on the invoices issued after it at
least as well as the plain average of their past days late does.

Data: IBM's public accounts-receivable sample (docs: /work/shared/data/README.md); every
invoice carries its settlement date, so the ledger on any day can be rebuilt from it.
Cut-offs: every month end from 2012-06-30 to 2013-10-31. One cut-off with ~100 customers is
noisy, so the requirement is stated over all of them: the mean correlation.
Run this file as a script to print the figures quoted in docs/score.md.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from creditdesk.domain.ledger import RawTable, build_ledger
from creditdesk.domain.score import Scores, paydex, score

DATA = Path(os.environ.get("CREDITDESK_SAMPLE_AR",
                           "/work/shared/data/ibm-accounts-receivable.csv"))
FIRST_CUTOFF = dt.date(2012, 6, 30)
LAST_CUTOFF = dt.date(2013, 10, 31)
MIN_CUSTOMERS = 30  # a cut-off with fewer customers to compare is skipped
BOOTSTRAP_DRAWS = 1000

pytestmark = pytest.mark.skipif(
    not DATA.exists(),
    reason=f"the IBM accounts-receivable sample is not at {DATA} "
           "(set CREDITDESK_SAMPLE_AR to its path)",
)


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(dt.date(y, m, calendar.monthrange(y, m)[1]))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


CUTOFFS = month_ends(FIRST_CUTOFF, LAST_CUTOFF)


def us_date(text: str) -> dt.date:
    month, day, year = (int(p) for p in text.split("/"))
    return dt.date(year, month, day)


@dataclass
class Row:
    customer: str
    invoice: str
    invoice_date: dt.date
    due: dt.date
    settled: dt.date
    amount: float
    disputed: bool

    @property
    def days_late(self) -> int:
        return max(0, (self.settled - self.due).days)


def read_sample() -> list[Row]:
    with DATA.open(newline="") as f:
        return [Row(r["customerID"], r["invoiceNumber"], us_date(r["InvoiceDate"]),
                    us_date(r["DueDate"]), us_date(r["SettledDate"]), float(r["InvoiceAmount"]),
                    r["Disputed"] == "Yes")
                for r in csv.DictReader(f)]


def ledger_on(rows: list[Row], cutoff: dt.date):
    """The ledger as it stood on ``cutoff``: invoices issued by then; settled ones only if
    settled by then, the rest open (Settled Date blank)."""
    known = [r for r in rows if r.invoice_date <= cutoff]
    customers = sorted({r.customer for r in rows})
    tables = {
        "Customers": RawTable.from_rows("Customers", "Customers", ["Customer", "Terms (days)"],
                                        [[c, 30] for c in customers], 2),
        "Invoices": RawTable.from_rows(
            "Invoices", "Invoices",
            ["Invoice", "Customer", "Invoice Date", "Due Date", "Amount", "Settled Date",
             "Disputed"],
            [[r.invoice, r.customer, r.invoice_date, r.due, r.amount,
              r.settled if r.settled <= cutoff else None, "Yes" if r.disputed else "No"]
             for r in known], 2),
        "Settings": RawTable.from_rows("Settings", "Settings", ["Setting", "Value"],
                                       [["As Of Date", cutoff], ["Base Currency", "USD"]], 2),
    }
    ledger = build_ledger(tables)
    assert ledger.issues == []
    assert len(ledger.invoices) == len(known)
    assert ledger.customers.ids.tolist() == customers
    return ledger


def ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks; ties share the average of the ranks they span."""
    order = np.argsort(x, kind="mergesort")
    sx = x[order]
    first = np.r_[True, sx[1:] != sx[:-1]]
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], len(x)]
    average = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    out = np.empty(len(x))
    out[order] = average[group]
    return out


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    rx, ry = ranks(np.asarray(x, float)), ranks(np.asarray(y, float))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = np.sqrt((rx * rx).sum() * (ry * ry).sum())
    return float((rx * ry).sum() / den) if den > 0 else float("nan")


@dataclass
class Backtest:
    cutoff: dt.date
    who: np.ndarray  # customer positions (sorted sample ids) with a score, history and sales
    score: np.ndarray  # the score on the cut-off
    baseline: np.ndarray  # -(plain mean days late of the invoices settled by the cut-off)
    future: np.ndarray  # amount-weighted days late of the invoices issued after it
    scores: Scores  # all of it, for the variants in __main__
    noise: float = float("nan")  # s.e. of |score_rho| - |baseline_rho| (paired bootstrap)

    @property
    def customers(self) -> int:
        return len(self.who)

    @property
    def score_rho(self) -> float:
        return spearman(self.score, self.future)

    @property
    def baseline_rho(self) -> float:
        return spearman(self.baseline, self.future)

    def row(self) -> str:
        s, b = self.score_rho, self.baseline_rho
        return (f"| {self.cutoff} | {self.customers} | {s:+.3f} | {b:+.3f} | "
                f"{abs(s) - abs(b):+.3f} | {self.noise:.3f} |")


def backtest(rows: list[Row], cutoff: dt.date) -> Backtest:
    ledger = ledger_on(rows, cutoff)
    s = score(ledger)
    index = {c: i for i, c in enumerate(ledger.customers.ids.tolist())}
    n = len(index)
    fut_w, fut_wl = np.zeros(n), np.zeros(n)
    past_n, past_late = np.zeros(n), np.zeros(n)
    for r in rows:
        i = index[r.customer]
        if r.invoice_date > cutoff:
            fut_w[i] += r.amount
            fut_wl[i] += r.amount * r.days_late
        elif r.settled <= cutoff:
            past_n[i] += 1
            past_late[i] += r.days_late
    who = np.flatnonzero((fut_w > 0) & ~np.isnan(s.score) & (past_n > 0))
    return Backtest(cutoff, who, s.score[who], -(past_late[who] / past_n[who]),
                    fut_wl[who] / fut_w[who], s)


@dataclass
class Summary:
    results: list[Backtest]  # the cut-offs with at least MIN_CUSTOMERS customers
    skipped: list[dt.date]

    @property
    def mean_score_rho(self) -> float:
        return float(np.mean([b.score_rho for b in self.results]))

    @property
    def mean_baseline_rho(self) -> float:
        return float(np.mean([b.baseline_rho for b in self.results]))

    @property
    def at_least_as_strong(self) -> int:
        return sum(abs(b.score_rho) >= abs(b.baseline_rho) for b in self.results)


def run_backtests(rows: list[Row]) -> Summary:
    results, skipped = [], []
    for c in CUTOFFS:
        b = backtest(rows, c)
        if b.customers >= MIN_CUSTOMERS:
            results.append(b)
        else:
            skipped.append(c)
    return Summary(results, skipped)


def paired_bootstrap(results: list[Backtest], n_customers: int, first=None, second=None,
                     draws: int = BOOTSTRAP_DRAWS, seed: int = 0) -> np.ndarray:
    """Resample the sample's customers with replacement, the same draw for every cut-off, and
    recompute |rho(first)| - |rho(second)| at each (by default the score and the baseline).
    Returns the standard errors: one per cut-off, then that of the mean over the cut-offs."""
    rng = np.random.default_rng(seed)
    a = [b.score if first is None else first[j] for j, b in enumerate(results)]
    c = [b.baseline if second is None else second[j] for j, b in enumerate(results)]
    diffs = np.empty((draws, len(results)))
    for k in range(draws):
        counts = np.bincount(rng.integers(0, n_customers, n_customers), minlength=n_customers)
        for j, b in enumerate(results):
            pick = np.repeat(np.arange(b.customers), counts[b.who])
            diffs[k, j] = (abs(spearman(a[j][pick], b.future[pick]))
                           - abs(spearman(c[j][pick], b.future[pick])))
    return np.r_[np.nanstd(diffs, axis=0), np.nanstd(np.nanmean(diffs, axis=1))]


def report(summary: Summary, noise_of_mean: float) -> str:
    lines = ["| cut-off | customers | score | baseline | difference in strength | s.e. |",
             "|---|---|---|---|---|---|"]
    lines += [b.row() for b in summary.results]
    s, b = summary.mean_score_rho, summary.mean_baseline_rho
    lines.append(f"| **mean of {len(summary.results)}** | | **{s:+.3f}** | **{b:+.3f}** | "
                 f"**{abs(s) - abs(b):+.3f}** | {noise_of_mean:.3f} |")
    lines.append(f"\nscore at least as strong as the baseline at {summary.at_least_as_strong} "
                 f"of {len(summary.results)} cut-offs; skipped (fewer than {MIN_CUSTOMERS} "
                 f"customers): {[str(c) for c in summary.skipped] or 'none'}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def sample() -> list[Row]:
    return read_sample()


@pytest.fixture(scope="module")
def summary(sample) -> Summary:
    return run_backtests(sample)


def test_rank_helper_gives_tied_values_their_average_rank():
    assert ranks(np.array([10.0, 20.0, 20.0, 5.0])).tolist() == [2.0, 3.5, 3.5, 1.0]
    assert spearman(np.array([1, 2, 3, 4]), np.array([10, 20, 30, 40])) == pytest.approx(1.0)
    assert spearman(np.array([1, 2, 3, 4]), np.array([4, 3, 2, 1])) == pytest.approx(-1.0)


def test_cutoffs_are_the_month_ends_from_june_2012_to_october_2013():
    assert len(CUTOFFS) == 17
    assert CUTOFFS[0] == dt.date(2012, 6, 30) and CUTOFFS[-1] == dt.date(2013, 10, 31)
    assert dt.date(2013, 2, 28) in CUTOFFS


def test_the_sample_rebuilds_a_ledger_with_open_items_on_a_cutoff(sample):
    ledger = ledger_on(sample, dt.date(2013, 3, 31))
    assert np.isnat(ledger.invoices.settled_date).sum() > 0
    assert (ledger.invoices.invoice_date <= np.datetime64("2013-03-31")).all()


def test_enough_cutoffs_have_enough_customers(summary):
    assert len(summary.results) >= 12
    assert all(b.customers >= MIN_CUSTOMERS for b in summary.results)


def test_a_higher_score_means_paying_less_late_after_every_cutoff(summary):
    wrong = [(str(b.cutoff), round(b.score_rho, 3)) for b in summary.results
             if not b.score_rho < 0]
    assert wrong == []


def test_the_score_ranks_at_least_as_well_as_the_plain_average_of_past_days_late(summary,
                                                                                   sample):
    noise = paired_bootstrap(summary.results, len({r.customer for r in sample}))
    for b, se in zip(summary.results, noise, strict=False):
        b.noise = float(se)
    print("\n" + report(summary, float(noise[-1])))  # reported, not asserted: per cut-off and noise
    assert abs(summary.mean_score_rho) >= abs(summary.mean_baseline_rho)


# ---------------------------------------------------------------------------------------
# Variants for docs/score.md section 7 (python -m tests.integration.test_score_backtest)


def _invoice_arrays(rows: list[Row], cutoff: dt.date, index: dict[str, int]) -> dict:
    """What the score sees on ``cutoff``, per invoice: settled history and open items."""
    known = [r for r in rows if r.invoice_date <= cutoff]
    settled = np.array([r.settled <= cutoff for r in known])
    return {
        "cust": np.array([index[r.customer] for r in known]),
        "settled": settled,
        "days": np.array([((r.settled if r.settled <= cutoff else cutoff) - r.due).days
                          for r in known], float),
        "age": np.array([max((cutoff - r.settled).days, 0) for r in known], float),
        "amount": np.array([r.amount for r in known]),
        "disputed": np.array([r.disputed for r in known], float),
    }


def _wmean(cust, values, weights, n):
    w = np.bincount(cust, weights=weights, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(cust, weights=weights * values, minlength=n) / w


def _variants(rows: list[Row], b: Backtest) -> dict[str, np.ndarray]:
    s = b.scores
    n = len(s.score)
    index = {c: i for i, c in enumerate(sorted({r.customer for r in rows}))}
    v = _invoice_arrays(rows, b.cutoff, index)
    use = v["settled"] | (v["days"] > 0)  # history + open items already past due
    h = v["settled"]
    c, d, amount = v["cust"][h], v["days"][h], v["amount"][h]
    out = {"score shown as a whole number": s.whole,
           "settled history only (no open items)": paydex(s.days_beyond_terms),
           "settled only, plain mean of days beyond terms": -_wmean(c, d, np.ones(len(c)), n),
           "settled only, amount-weighted days late (0 if early)": -_wmean(
               c, np.maximum(d, 0), amount, n)}
    for half_life in (90, 180, 365, 730):
        w = v["amount"] * 0.5 ** (v["age"] / half_life)
        out[f"recency half-life {half_life} days"] = paydex(
            _wmean(v["cust"][use], v["days"][use], w[use], n))
    share = _wmean(v["cust"], v["disputed"], np.ones(len(v["cust"])), n)
    disputes = {}
    for points in (2.5, 5.0):
        adj = -points * share
        disputes[points] = np.where(np.abs(adj) >= 0.5, adj, 0.0)
        out[f"dispute penalty {points:g} points"] = np.clip(s.base + disputes[points], 1, 100)
    recent = h & (v["age"] < 90)
    before = h & ~recent
    r_days = _wmean(v["cust"][recent], v["days"][recent], v["amount"][recent], n)
    b_days = _wmean(v["cust"][before], v["days"][before], v["amount"][before], n)
    enough = ((np.bincount(v["cust"][recent], minlength=n) >= 3)
              & (np.bincount(v["cust"][before], minlength=n) >= 3))
    change = paydex(np.nan_to_num(r_days)) - paydex(np.nan_to_num(b_days))
    trend = 0.5 * np.sign(change) * np.maximum(np.abs(change) - 5.0, 0.0)
    trend = np.where(enough, np.clip(trend, -10, 10), 0.0)
    trend = np.where(np.abs(trend) >= 0.5, trend, 0.0)
    out["trend (0.5 x change beyond 5 points, within +-10)"] = np.clip(s.base + trend, 1, 100)
    # The version before this one: settled history only with a 365-day half-life, trend,
    # disputes 5, 30 points for the open balance over 30 days past due, rounded.
    w = v["amount"] * 0.5 ** (v["age"] / 365)
    old_base = paydex(np.nan_to_num(_wmean(v["cust"][h], v["days"][h], w[h], n)))
    is_open = ~h
    late = is_open & (v["days"] > 30)
    balance = np.bincount(v["cust"][is_open], weights=v["amount"][is_open], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        overdue = -30 * np.where(balance > 0, np.bincount(
            v["cust"][late], weights=v["amount"][late], minlength=n) / balance, 0.0)
    overdue = np.where(np.abs(overdue) >= 0.5, overdue, 0.0)
    out["the previous version (see the text)"] = np.floor(
        np.clip(old_base + trend + disputes[5.0] + overdue, 1, 100) + 0.5)
    return {k: x[b.who] for k, x in out.items()}


if __name__ == "__main__":
    rows = read_sample()
    n_customers = len({r.customer for r in rows})
    summary = run_backtests(rows)
    noise = paired_bootstrap(summary.results, n_customers)
    for b, se in zip(summary.results, noise, strict=False):
        b.noise = float(se)
    print(report(summary, float(noise[-1])))

    print("\nVariants: mean rho over the cut-offs; cut-offs at least as strong as the "
          "baseline; mean difference in strength from the shipped score, its s.e. (paired "
          "bootstrap); cut-offs better / worse than the shipped score")
    print("| variant | mean rho | >= baseline | difference from shipped | s.e. | better | worse |")
    print("|---|---|---|---|---|---|---|")
    shipped = [b.score_rho for b in summary.results]
    print(f"| shipped | {summary.mean_score_rho:+.3f} | {summary.at_least_as_strong} | | | | |")
    per = [_variants(rows, b) for b in summary.results]
    for name in per[0]:
        values = [p[name] for p in per]
        rhos = [spearman(x, b.future) for x, b in zip(values, summary.results, strict=True)]
        ge = sum(abs(r) >= abs(b.baseline_rho)
                 for r, b in zip(rhos, summary.results, strict=True))
        diff = np.abs(rhos) - np.abs(shipped)
        se = paired_bootstrap(summary.results, n_customers, first=values,
                              second=[b.score for b in summary.results])[-1]
        print(f"| {name} | {np.mean(rhos):+.3f} | {ge} | {diff.mean():+.4f} | {se:.4f} | "
              f"{(diff > 1e-12).sum()} | {(diff < -1e-12).sum()} |")
    print(f"| baseline | {summary.mean_baseline_rho:+.3f} | | "
          f"{summary.mean_baseline_rho * -1 - abs(summary.mean_score_rho):+.4f} | "
          f"{noise[-1]:.4f} | | |")
