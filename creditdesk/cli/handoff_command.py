"""``creditdesk handoff``: the pack for a collection agency or a solicitor, and the account
marked as handed off.

    creditdesk handoff WORKBOOK --customer ID [--to agency|legal] [-o DIR] [--all-time]
                       [--as-of DATE] [--force] [--json] [--url URL] [--api-key KEY]

Writes ``DIR/handoff-CUSTOMER-YYYY-MM-DD.zip`` (the summary, the statements, the open items,
the interest and compensation per invoice, the contact history and the debtor's details;
docs/handoff.md), then sets the customer's Collection Status (With agency or Legal; dunning no
longer chases it) and adds a Hand-off row to the History table of the workbook itself. The
workbook is written whole again (its other sheets carried, ``creditdesk.files.xlsx_carry``),
to a temporary file moved into place, after a copy of it as it was (NAME.backup.xlsx); a macro
workbook (its macros cannot be carried) and a workbook open in Excel are refused before
anything is written. The contact history is the workbook's History table and, with a backend
address (--url, CREDITDESK_URL or Settings' Backend URL) and an API key, the backend's events
of the customer; the summary says which. Exit status as the other commands: 0, 3 when most
invoice rows could not be used, 2 for a usage error or a workbook that cannot be used.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from creditdesk.cli.options import date_option
from creditdesk.cli.statements_command import MOSTLY_UNUSABLE, folder_for
from creditdesk.domain.errors import CreditdeskError

PROG = "creditdesk handoff"
URL_ENV = "CREDITDESK_URL"
KEY_ENV = "CREDITDESK_API_KEY"


class HandoffUsageError(CreditdeskError):
    pass


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "handoff", help="the pack for a collection agency or solicitor; mark the account",
        description="Write one zip for a collection agency or a solicitor (a one-page "
        "summary, statements of account, open items, interest and compensation per invoice, "
        "the full contact history, the debtor's details), then set the customer's "
        "Collection Status and record the hand-off in the workbook's History (a backup of "
        "the workbook is kept beside it). See docs/handoff.md.")
    p.add_argument("workbook", type=Path, help="the .xlsx workbook (written back)")
    p.add_argument("--customer", required=True, metavar="ID", help="the customer key")
    p.add_argument("--to", choices=("agency", "legal"), default="agency",
                   help="agency: Collection Status 'With agency' (default); legal: 'Legal'")
    p.add_argument("-o", "--output", type=Path, metavar="DIR",
                   help="the folder for the zip (default: the workbook's folder)")
    p.add_argument("--all-time", action="store_true",
                   help="the activity statement from the customer's first invoice (default: "
                   "the last 12 months)")
    p.add_argument("--as-of", type=date_option, metavar="DATE",
                   help="the as-of date (default: Settings' As Of Date, else today)")
    p.add_argument("--force", action="store_true", help="overwrite an existing zip")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--url", help=f"the backend's address (default: ${URL_ENV}, else "
                   "Settings' Backend URL)")
    p.add_argument("--api-key", help=f"the API key (default: ${KEY_ENV})")
    p.set_defaults(run=run, takes_transport=True)


def run(args: argparse.Namespace, transport=None) -> int:
    from creditdesk.analysis.handoff import handoff_pack, history_row
    from creditdesk.analysis.statements import statements_report
    from creditdesk.app.handoff import contact_history
    from creditdesk.app.workbook import Workbook
    from creditdesk.files.handoff_pack import write_pack

    _check_writable(args.workbook)
    try:
        folder = folder_for(args.output or args.workbook.resolve().parent)
    except CreditdeskError as exc:
        raise HandoffUsageError(f"{PROG}: {exc}") from None
    book = Workbook.read(args.workbook, args.as_of)
    ledger = book.analysis.ledger
    status = 0
    if unusable := ledger.mostly_unusable():
        print(f"{PROG}: {args.workbook}: {unusable}", file=sys.stderr)
        status = MOSTLY_UNUSABLE
    if args.customer not in ledger.customer_index:
        raise HandoffUsageError(f"{PROG}: no customer '{args.customer}' in the Customers "
                                "table of " + str(args.workbook))
    fetch, why_not = _backend(args, ledger.settings.backend_url, transport)
    history, source = contact_history(ledger, book.tables.get("history"), args.customer,
                                      fetch, why_not)
    pack = handoff_pack(ledger, args.customer, args.to, history, source,
                        all_time=args.all_time)
    statements = [statements_report(ledger, pack.statements_from, "activity", args.customer),
                  statements_report(ledger, None, "open-items", args.customer)]
    try:
        path, names = write_pack(pack, statements, folder, force=args.force)
    except CreditdeskError as exc:
        raise HandoffUsageError(f"{PROG}: {exc}") from None
    from creditdesk.documents.pdf import missing_letters

    d = pack.debtor
    if missing := missing_letters([d.name, d.contact_name, *d.address]):
        print(f"{PROG}: {d.customer}: the PDF font has no {missing}; those letters are blank "
              "in the PDFs (the CSVs have them)", file=sys.stderr)
    before = ledger.customers.collection_of(ledger.customer_index[args.customer])
    backup, lost = write_back(args.workbook, book.tables, args.customer, pack.status,
                              history_row(pack, path.name))
    if args.json:
        doc = {"zip": str(path), "workbook": str(args.workbook), "backup": str(backup),
               "not_carried": lost, **pack.model_copy(update={"files": names}).as_json()}
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return status
    print(f"Wrote {path}: {len(names)} files ({', '.join(names)})")
    for t in pack.totals:
        print(f"  {t.currency}: outstanding {t.outstanding:,.2f}, overdue {t.overdue:,.2f}, "
              f"interest {t.interest:,.2f}, compensation {t.compensation:,.2f}, claim "
              f"{t.claim:,.2f}")
    print(f"  contact history: {len(pack.history)} contact(s), from {pack.history_source}")
    was = f" (it was {before})" if before else ""
    print(f"{args.workbook}: {d.customer} ({' '.join(d.name.split())}) Collection Status set "
          f"to {pack.status}{was}, so it is no longer chased; a Hand-off row added to History. "
          f"The workbook as it was: {backup}")
    if lost:
        print(f"NOT CARRIED into {args.workbook} (XlsxWriter cannot rewrite them; the backup "
              "has them): " + "; ".join(lost))
    return status


def _check_writable(path: Path) -> None:
    """Refused before anything is written: a macro workbook, one open in Excel, no file."""
    from creditdesk.files.xlsx_append import refuse_if_open
    from creditdesk.files.xlsx_carry import has_vba

    if not path.is_file():
        raise HandoffUsageError(f"{PROG}: {path} is not a workbook file")
    if has_vba(path):
        raise HandoffUsageError(f"{PROG}: {path} holds macros (a VBA project) that a rewrite "
                                "cannot carry, so the hand-off cannot be written back into "
                                "it; use the add-in's Hand-off button in it, or a .xlsx copy")
    if path.suffix.lower() != ".xlsx":
        raise HandoffUsageError(f"{PROG}: {path}: only an .xlsx workbook can be written back")
    try:
        refuse_if_open(path)
    except CreditdeskError as exc:
        raise HandoffUsageError(f"{PROG}: {exc}") from None


def _backend(args: argparse.Namespace, setting: str | None, transport):
    """The backend's history of a customer as a function, or None and why not."""
    url = args.url or os.environ.get(URL_ENV, "") or (setting or "")
    key = args.api_key or os.environ.get(KEY_ENV, "")
    if not url:
        return None, "no backend configured"
    if not key:
        return None, f"no API key for the backend at {url}: set {KEY_ENV}"
    from creditdesk.api.client import Client

    def fetch(customer: str):
        with Client(url, key, transport=transport, retries=1) as cd:
            return cd.history(customer)

    return fetch, ""


def write_back(path: Path, tables, customer: str, status: str, row: dict[str, object]
               ) -> tuple[Path, list[str]]:
    """The workbook with the customer's Collection Status set and ``row`` added to History,
    written in place through ``update_tables`` (atomic, a backup beside it, the user's own
    sheets carried). Returns the backup and what could not be carried."""
    from creditdesk.domain import cells, contract
    from creditdesk.files.xlsx_update import contract_tables, update_tables

    out = contract_tables(tables)

    def column(table: contract.Table, header: str) -> int:
        heads, rows = out.get(table.name, ([c.header for c in table.columns], []))
        keys = [contract.normalise_header(h) for h in heads]
        if contract.normalise_header(header) not in keys:
            heads, rows = [*heads, header], [[*r, None] for r in rows]
            keys.append(contract.normalise_header(header))
        out[table.name] = (heads, rows)
        return keys.index(contract.normalise_header(header))

    j, k = column(contract.CUSTOMERS, "Customer"), column(contract.CUSTOMERS, "Collection Status")
    ids = cells.to_text([r[j] for r in out[contract.CUSTOMERS.name][1]])
    for r, key in zip(out[contract.CUSTOMERS.name][1], ids, strict=True):
        if key == customer:
            r[k] = status
    at = {h: column(contract.HISTORY, h) for h in row}
    heads, rows = out[contract.HISTORY.name]
    new = [None] * len(heads)
    for h, v in row.items():
        new[at[h]] = v
    out[contract.HISTORY.name] = (heads, [*rows, new])
    changed = {name: out[name] for name in (contract.CUSTOMERS.name, contract.HISTORY.name)}
    done = update_tables(path, changed, raw=tables)
    return done.backup or path, list(done.lost)
