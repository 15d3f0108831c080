"""``creditdesk plan``: payment plans in a workbook's Plans table.

    creditdesk plan propose WORKBOOK --customer ID --instalments N --start DATE
                            [--frequency monthly] [--invoices A;B] [--plan ID]
                            -o NEW.xlsx [--force] [--as-of DATE]
    creditdesk plan list WORKBOOK [--as-of DATE] [--json]

``propose`` writes a copy of the workbook (every contract table and the user's own sheets
carried) with a Proposed row added to Plans; set its Status to Active once the customer
agrees. ``list`` shows each plan's state on the as-of date. See docs/plans.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from creditdesk.domain.errors import CreditdeskError


class PlanUsageError(CreditdeskError):
    pass


def register(sub: argparse._SubParsersAction) -> None:
    from creditdesk.cli.options import date_option

    p = sub.add_parser("plan", help="payment plans: propose one, list their state",
                       description="Payment plans (the Plans table; see docs/plans.md).")
    ps = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    ps.required = True
    pr = ps.add_parser("propose", help="write a proposed plan into a copy of the workbook",
                       description="Add a Proposed plan to the Plans table of a copy of the "
                       "workbook: the customer's open invoices (or --invoices) and what they "
                       "owe on the as-of date, split evenly in cents (the last instalment "
                       "keeps the total). Set its Status to Active once agreed.")
    pr.add_argument("workbook", type=Path, help="the .xlsx or .xlsm workbook")
    pr.add_argument("--customer", required=True, help="the customer key")
    pr.add_argument("--instalments", required=True, type=int, metavar="N")
    pr.add_argument("--start", required=True, type=date_option, metavar="DATE",
                    help="the day of the first instalment")
    pr.add_argument("--frequency", default="monthly",
                    choices=("weekly", "fortnightly", "monthly"), type=str.lower)
    pr.add_argument("--invoices", metavar="A;B", help="the invoices (default: every open "
                    "invoice of the customer in its currency)")
    pr.add_argument("--plan", metavar="ID", help="the plan's id (default: PLAN-n)")
    pr.add_argument("-o", "--output", type=Path, required=True, metavar="NEW.xlsx",
                    help="the workbook to write (yours is never changed)")
    pr.add_argument("--force", action="store_true", help="let -o overwrite an existing file")
    pr.add_argument("--as-of", type=date_option, metavar="DATE",
                    help="the day what is owed is read on (default: Settings, else today)")
    pr.set_defaults(run=run_propose)
    ls = ps.add_parser("list", help="each plan's state and next instalment",
                       description="Each plan of the Plans table on the as-of date: the "
                       "computed status beside the typed one, instalments paid and missed, "
                       "the next instalment.")
    ls.add_argument("workbook", type=Path, help="the .xlsx or .xlsm workbook")
    ls.add_argument("--as-of", type=date_option, metavar="DATE")
    ls.add_argument("--json", action="store_true", help="print one JSON document")
    ls.set_defaults(run=run_list)


def _check_output(args: argparse.Namespace) -> None:
    from creditdesk.files.xlsx_carry import overwrites_macros

    out = args.output
    if out.exists() and args.workbook.exists() and out.resolve() == args.workbook.resolve():
        raise PlanUsageError("creditdesk plan propose: -o must not be the workbook itself; "
                             "write to a new file")
    if (why := overwrites_macros(out, args.workbook)) is not None:
        raise PlanUsageError(f"creditdesk plan propose: {why}")
    if out.exists() and not args.force:
        raise PlanUsageError(f"creditdesk plan propose: {out} exists; use --force to "
                             "overwrite it")


def run_propose(args: argparse.Namespace) -> int:
    from creditdesk.domain import contract
    from creditdesk.domain.ledger import build_ledger
    from creditdesk.domain.plans import PlanError, next_plan_id, propose
    from creditdesk.files.xlsx_read import read_workbook
    from creditdesk.files.xlsx_update import contract_tables, update_tables

    _check_output(args)
    tables = read_workbook(args.workbook)
    ledger = build_ledger(tables, as_of=args.as_of)
    blank = ([c.header for c in contract.PLANS.columns], [])
    header, rows = contract_tables(tables).get(contract.PLANS.name, blank)
    at = {contract.normalise_header(h): j for j, h in enumerate(header)}
    taken = {str(r[at["plan"]]) for r in rows if "plan" in at and r[at["plan"]] is not None}
    if args.plan and args.plan in taken:
        raise PlanUsageError(f"creditdesk plan propose: there is a plan '{args.plan}' already")
    plan_id = args.plan or next_plan_id(taken)
    names = [n.strip() for n in (args.invoices or "").replace(",", ";").split(";") if n.strip()]
    try:
        new = propose(ledger, args.customer, args.instalments, args.start, args.frequency,
                      names or None, plan_id)
    except PlanError as exc:
        raise PlanUsageError(f"creditdesk plan propose: {exc}") from None
    by_header = dict(zip((c.header for c in contract.PLANS.columns), new, strict=True))
    for c in contract.PLANS.columns:  # a Plans table without some optional columns
        if contract.normalise_header(c.header) not in at:
            at[contract.normalise_header(c.header)] = len(header)
            header = [*header, c.header]
            rows = [[*r, None] for r in rows]
    row = [None] * len(header)
    for h, v in by_header.items():
        row[at[contract.normalise_header(h)]] = v
    carry = update_tables(args.output, {contract.PLANS.name: (header, [*rows, row])},
                          source=args.workbook, force=args.force, raw=tables)
    print(f"Wrote {args.output}: plan {plan_id} for {args.customer}, {args.instalments} "
          f"{args.frequency} instalment(s) from {args.start} ({by_header['Amounts']} "
          f"{by_header['Currency']}) on {by_header['Invoices']}, Proposed. Set its Status to "
          "Active once the customer agrees.")
    if carry.lost:
        print(f"NOT CARRIED into {args.output} (XlsxWriter cannot rewrite them): "
              + "; ".join(carry.lost))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from creditdesk.analysis.report import Analysis
    from creditdesk.cli.text import plans
    from creditdesk.domain.ledger import build_ledger
    from creditdesk.files.xlsx_read import read_workbook

    doc = Analysis(build_ledger(read_workbook(args.workbook), as_of=args.as_of)).plan_report()
    if args.json:
        json.dump(doc.as_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    print("\n".join(plans(doc)))
    return 0
