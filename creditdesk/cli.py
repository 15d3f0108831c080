"""The ``creditdesk`` command.

Exit status: 0 when the run completed (issues in the input or not; they are reported), 2 for a
usage error or a workbook that cannot be used (one line on stderr), 1 for an internal error
(one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .errors import CreditdeskError

PROG = "creditdesk"


class UsageError(CreditdeskError):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _amount(text: str) -> float:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an amount") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"'{text}' is not an amount")
    return value


def _parser() -> _Parser:
    p = _Parser(prog=PROG, description="Credit management and debt collection on your "
                "Excel workbook: ageing, credit checks, reminders, interest and scores.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    new = sub.add_parser("new", help="write a fresh workbook from the template",
                         description="Write a fresh Creditdesk workbook (the contract tables "
                         "with default settings, reminder levels and templates).")
    new.add_argument("path", type=Path, help="where to write the .xlsx")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")

    demo = sub.add_parser("demo", help="build a sample workbook and run everything on it",
                          description="Build a realistic sample workbook, run ageing, credit "
                          "checks, scores and the reminder preview on it, and leave the "
                          "results where you can open them.")
    demo.add_argument("--out", type=Path, default=Path("demo-output"),
                      help="folder for the results (default: demo-output)")

    for name, what in (("ageing", "ageing buckets per customer and the KPIs"),
                       ("check", "credit decisions (Approve, Review, Hold) with reasons"),
                       ("remind", "preview today's reminders and who is skipped, and why"),
                       ("score", "payment scores, grades and recommended limits")):
        c = sub.add_parser(name, help=what, description=f"Show {what} for a workbook. "
                           "Problems in the workbook are listed as issues; every good row is "
                           "still used.")
        c.add_argument("workbook", type=Path, help="the .xlsx or .xlsm workbook")
        c.add_argument("--as-of", type=_date, metavar="DATE",
                       help="the as-of date (default: Settings' As Of Date, else today)")
        c.add_argument("--json", action="store_true", help="print one JSON document")
        c.add_argument("-o", "--output", type=Path, metavar="RESULTS.xlsx",
                       help="also write a results workbook (the input is never changed)")
        if name == "check":
            c.add_argument("--customer", help="check one customer for a proposed order")
            c.add_argument("--order", type=_amount, metavar="AMOUNT",
                           help="the proposed order amount, base currency")

    it = sub.add_parser("interest", help="statutory interest and compensation on a debt",
                        description="Late-payment interest and fixed compensation under the "
                        "UK Late Payment of Commercial Debts (Interest) Act 1998 or the EU "
                        "Late Payment Directive 2011/7/EU.")
    it.add_argument("--amount", type=_amount, required=True, help="the debt")
    it.add_argument("--due", type=_date, required=True, metavar="DATE", help="due date")
    it.add_argument("--paid", type=_date, metavar="DATE",
                    help="payment date (default: today, for a debt still unpaid)")
    it.add_argument("--law", choices=("UK", "EU"), type=str.upper, required=True)
    it.add_argument("--contract-rate", type=_amount, metavar="PERCENT",
                    help="a contractual annual rate that replaces the statutory rate")
    it.add_argument("--json", action="store_true", help="print one JSON document")
    return p


# ---------------------------------------------------------------------------------------


def _load(path: Path, as_of: dt.date | None):
    from .ledger import build_ledger
    from .report import Analysis
    from .xlsx_read import read_workbook

    return Analysis(build_ledger(read_workbook(path), as_of=as_of))


def _write_results(analysis, output: Path, source: Path | None) -> None:
    from .xlsx_write import write_results

    if source is not None and output.resolve() == source.resolve():
        raise UsageError(f"{PROG}: -o must not be the input workbook {source}")
    write_results(output, analysis.all_docs())


def _print_json(doc: dict) -> None:
    json.dump(doc, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def _issues_line(issues: list[dict]) -> str:
    if not issues:
        return "No issues in the workbook."
    lines = [f"{len(issues)} issue(s) in the workbook (those rows were left out):"]
    for i in issues[:20]:
        where = i["sheet"] + (f" row {i['row']}" if i["row"] is not None else "")
        where += f", column {i['column']}" if i["column"] else ""
        lines.append(f"  {where}: {i['message']}")
    if len(issues) > 20:
        lines.append(f"  ... and {len(issues) - 20} more (use --json or -o for all)")
    return "\n".join(lines)


def _m(x: float | None) -> str:
    return "" if x is None else f"{x:,.2f}"


def _show_ageing(doc: dict) -> None:
    labels = doc["buckets"]
    head = f"{'Customer':<12}{'Name':<32}" + "".join(f"{b:>13}" for b in labels)
    print(f"Ageing as of {doc['as_of']} in {doc['base_currency']}")
    print(head + f"{'Total':>14}")
    for r in doc["customers"]:
        print(f"{r['customer'][:11]:<12}{r['name'][:31]:<32}"
              + "".join(f"{_m(x):>13}" for x in r["buckets"]) + f"{_m(r['outstanding']):>14}")
    t = doc["total"]
    print(f"{'Total':<44}" + "".join(f"{_m(x):>13}" for x in t["buckets"])
          + f"{_m(t['outstanding']):>14}")
    k = doc["kpis"]
    print(f"\nKPIs over the last {k['period_days']} days:")
    for key, label in (("dso_countback", "DSO (countback), days"),
                       ("dso_simple", "DSO (simple), days"),
                       ("best_possible_dso", "Best possible DSO, days"),
                       ("average_days_delinquent", "Average days delinquent"),
                       ("cei", "Collection effectiveness index, %"),
                       ("average_days_to_pay", "Average days to pay"),
                       ("percent_overdue", "Overdue, % of receivables")):
        v = k[key]
        print(f"  {label:<36}{'n/a' if v is None else f'{v:,.1f}':>10}")


def _show_check(doc: dict) -> None:
    print(f"Credit checks as of {doc['as_of']} in {doc['base_currency']}")
    for r in doc["customers"]:
        print(f"{r['customer']:<12}{r['name'][:30]:<31}{_m(r['exposure']):>14}  {r['summary']}")


def _show_score(doc: dict) -> None:
    print(f"Payment scores as of {doc['as_of']}")
    for r in doc["customers"]:
        s = "  -" if r["score"] is None else f"{r['score']:>3.0f}"
        print(f"{r['customer']:<12}{r['name'][:30]:<31}{s} {r['grade']:<2}"
              f"{_m(r['recommended_limit']):>14}  {'; '.join(r['reasons'])}")


def _show_remind(doc: dict) -> None:
    print(f"Reminders as of {doc['as_of']}: {len(doc['reminders'])} to send, "
          f"{len(doc['skipped'])} skipped")
    for r in doc["reminders"]:
        print(f"  {r['customer']:<10} L{r['level']} {r['currency']} {_m(r['total']):>12}  "
              f"{r['to']}  {r['subject']}")
    if doc["skipped"]:
        print("Skipped:")
        for r in doc["skipped"]:
            print(f"  {r['customer']:<10} {r['currency']}  {r['reason']}")


def _run_report(args: argparse.Namespace) -> int:
    from .report import order_check

    analysis = _load(args.workbook, args.as_of)
    if args.command == "check" and (args.customer or args.order is not None):
        if not (args.customer and args.order is not None):
            raise UsageError(f"{PROG} check: --customer and --order go together")
        try:
            doc = order_check(analysis, args.customer, args.order)
        except KeyError:
            raise UsageError(f"{PROG} check: no customer '{args.customer}' in the "
                             "Customers table") from None
        doc["issues"] = analysis.issues()
        if args.json:
            _print_json(doc)
        else:
            print(doc["summary"])
        return 0
    doc = {"ageing": analysis.ageing_doc, "check": analysis.check_doc,
           "remind": analysis.remind_doc, "score": analysis.score_doc}[args.command]()
    if args.output:
        _write_results(analysis, args.output, args.workbook)
    if args.json:
        _print_json(doc)
        return 0
    {"ageing": _show_ageing, "check": _show_check, "remind": _show_remind,
     "score": _show_score}[args.command](doc)
    print()
    print(_issues_line(doc["issues"]))
    if args.output:
        print(f"Results written to {args.output}")
    return 0


def _run_interest(args: argparse.Namespace) -> int:
    from .interest import round_money, statutory_interest

    paid = args.paid or dt.date.today()
    r = statutory_interest(args.amount, args.due, paid, args.law, args.contract_rate)
    doc = {"law": r.law, "amount": round_money(args.amount), "due": args.due.isoformat(),
           "paid": paid.isoformat(), "rate": r.rate, "days": r.days,
           "interest": round_money(r.interest), "compensation": round_money(r.compensation),
           "compensation_currency": r.compensation_currency,
           "reference_date": r.reference_date.isoformat() if r.reference_date else None,
           "warnings": [r.warning] if r.warning else []}
    if args.json:
        _print_json(doc)
    else:
        print(f"{r.days} days late at {r.rate:g}% a year ({r.law}): interest "
              f"{doc['interest']:,.2f}, fixed compensation {r.compensation_currency} "
              f"{doc['compensation']:,.2f}")
        for w in doc["warnings"]:
            print(f"Note: {w}")
    return 0


def _run_new(args: argparse.Namespace) -> int:
    from .xlsx_write import write_template

    if args.path.exists() and not args.force:
        raise UsageError(f"{PROG} new: {args.path} exists; use --force to overwrite it")
    write_template(args.path)
    print(f"Wrote {args.path}: fill in Customers and Invoices, then run "
          f"'{PROG} ageing {args.path}'.")
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(args.out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        run = {"new": _run_new, "demo": _run_demo, "interest": _run_interest}.get(
            args.command, _run_report)
        return run(args)
    except CreditdeskError as exc:
        print(str(exc) if str(exc).startswith(PROG) else f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: no traceback reaches the user
        print(f"{PROG}: internal error ({type(exc).__name__}: {exc}); please report it",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
