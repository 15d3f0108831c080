"""An import, written once for ``creditdesk import`` and the add-in's Import button: sheets of
cell values (an export file's, or a sheet pasted into Excel) into the workbook's contract
tables, with the report of what happened.

    run = import_sheets([sheets], tables)            # tables: the workbook's, as read
    run.tables["Customers"], run.tables["Invoices"]  # (header, rows) to write back
    run.report()                                     # the JSON document of `import --json`
    run.lines()                                      # the same for people

The parsing is ``creditdesk.imports``' (pure: rows of cell values in); the caller reads the
files or the Excel sheet and writes the tables, so this module opens no file and imports no
file library (it runs in xlwings Lite).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from creditdesk.domain import contract
from creditdesk.domain.errors import CreditdeskError
from creditdesk.domain.issues import Issue
from creditdesk.domain.ledger import RawTable
from creditdesk.imports import ImportResult, Merged, Options, Sheet

Table = tuple[list[str], list[list]]


class ImportSetupError(CreditdeskError):
    """The mapping asked for cannot be used (unknown, or it does not fit)."""


def pairs(items: Sequence[str]) -> list[tuple[str, str]]:
    """``FIELD=VALUE`` texts as pairs (``--map``)."""
    out = []
    for item in items:
        f, sep, v = item.partition("=")
        if not sep or not f.strip():
            raise ImportSetupError(f"--map '{item}' is not FIELD=VALUE")
        out.append((f.strip(), v.strip()))
    return out


def table_of(raw: RawTable) -> Table:
    """A table as read, as (header, rows) with blanks as None."""
    rows = [[None if v == "" else v for v in r] for r in zip(*raw.columns, strict=True)] \
        if raw.columns else []
    return list(raw.header), rows


def date_order(tables: Mapping[str, RawTable]) -> tuple[str | None, str]:
    """The workbook's Date Order setting, for dates an export writes with numbers only."""
    raw = tables.get("settings")
    if raw is None or len(raw.columns) < 2:
        return None, ""
    from creditdesk.domain.settings import parse_settings

    rows = [(n, s, v) for n, (s, v) in enumerate(zip(raw.columns[0], raw.columns[1],
                                                        strict=True))
            if str(s).strip().casefold() == "date order"]
    settings, _ = parse_settings(rows)
    if settings.date_order:
        return settings.date_order, "the workbook's Date Order setting"
    return None, ""


def saved_mappings(tables: Mapping[str, RawTable]) -> dict[str, list[tuple[str, str]]]:
    from creditdesk.imports import mappings_from_table

    raw = tables.get("mappings")
    return mappings_from_table(*raw.columns[:3]) if raw is not None and \
        len(raw.columns) >= 3 else {}


def mapping(name: str | None, map_pairs: Sequence[tuple[str, str]],
            tables: Mapping[str, RawTable], where: str = "the workbook's Mappings table"):
    """The mapping to read with: made from ``map_pairs`` (saved as ``name``), or the one saved
    under ``name`` in the Mappings table; None for neither."""
    from creditdesk.imports import build_mapping, find_mapping

    if not map_pairs and not name:
        return None
    if map_pairs:
        m, problems = build_mapping(name or "import", map_pairs)
    else:
        saved = saved_mappings(tables)
        found = find_mapping(saved, name)
        if found is None:
            known = f" (it has: {', '.join(sorted(saved))})" if saved else ""
            raise ImportSetupError(f"no mapping named '{name}' in {where}{known}; make one "
                                   "with --map")
        m, problems = build_mapping(name, found)
    if problems:
        raise ImportSetupError(f"mapping '{m.name}': " + "; ".join(problems))
    return m


MOSTLY_UNUSABLE = 3  # the exit status when most rows that looked like items could not be used
SETTLES_TOO_MUCH = 4  # the exit status when an export would settle most of the ledger
MERGED = ("Customers", "Invoices", "Payments")  # the tables an import merges into


@dataclass
class ImportRun:
    """One import: what was read, the merge into the workbook's tables, and its report."""

    result: ImportResult
    merged: Merged
    tables: dict[str, Table]  # every contract table after the import, in contract order
    written: list[str]  # the tables the import changed (Customers, Invoices, ...)
    fresh: bool  # the workbook had no Customers and Invoices: they were made
    sources: list[str] = field(default_factory=list)

    @property
    def status(self) -> int:
        return MOSTLY_UNUSABLE if self.result.mostly_unusable else 0

    def settles_too_much(self, partial_hint: str = "--partial",
                         settle_hint: str = "--settle-missing") -> str | None:
        """Why the import is refused, or None: an export that is not said to be partial
        would take more than half of the workbook's open balance off its customers by
        settling the items it no longer lists (customer by customer, no more than each
        balance falls: items replaced by new ones of the same customer take nothing off), or
        make more than half of its customers with a balance leave the ledger (a filtered
        export, one contact or one period, would silently remove the others' balances)."""
        m = self.merged
        if m.partial or not m.items_settled:
            return None
        share = m.removed_balance / m.open_before if m.open_before > 0.005 else 0.0
        many = m.with_balance > 0 and len(m.left) * 2 > m.with_balance
        if share <= 0.5 and not many:
            return None
        return (f"the export would take {_m(m.removed_balance)} off the workbook's "
                f"{_m(m.open_before)} open balance ({share:.0%}), and {len(m.left)} of its "
                f"{m.with_balance} customer(s) with a balance would leave the ledger; more "
                "than a whole ledger's export usually settles, so nothing was written. If "
                "it is filtered (one contact, one period), import it with "
                f"{partial_hint} (only the customers it lists are updated); if it is the "
                f"whole ledger and the others did pay, with {settle_hint}")

    @property
    def notes(self) -> list[Issue]:
        return sorted(self.result.notes, key=lambda n: (n.sheet, n.row or 0))

    @property
    def issues(self) -> list[Issue]:
        return sorted(self.result.issues + self.merged.issues,
                      key=lambda n: (n.sheet, n.row or 0))

    @property
    def outstanding(self) -> float:
        return sum(it.outstanding for it in self.result.items)

    @property
    def customers(self) -> set[str]:
        return {it.customer for it in self.result.items}

    def report(self) -> dict:
        """The import's report: the JSON document of ``creditdesk import --json`` without
        the paths (the caller adds ``sources``, ``output``, ``into``)."""
        r, m = self.result, self.merged
        return {
            "format": r.format, "sources": list(self.sources),
            "as_at": r.as_at.isoformat() if r.as_at else None,
            "currency": r.currency or None, "matched": r.matched,
            "items": {"imported": len(r.items), "added": m.items_added,
                      "updated": m.items_updated, "settled": m.items_settled,
                      "settled_on": m.settled_on.isoformat() if m.settled_on else None,
                      "outstanding": round(self.outstanding, 2)},
            "customers": {"in_export": len(self.customers) or len(r.contacts),
                          "new": m.new_customers,
                          "left": [{"customer": k, "balance_before": round(b, 2)}
                                   for k, b in m.left],
                          "changed": [{"customer": k, "before": round(b, 2),
                                       "after": round(a, 2)} for k, b, a in m.changed],
                          "fields_filled": m.filled, "fields_kept": m.kept,
                          "not_in_export_left_alone": m.untouched},
            "payments": {"added": m.payments_added, "updated": m.payments_updated,
                         "removed": list(m.payments_removed)},
            "partial": m.partial,
            "rows": {"looked_like_items": r.candidates, "unusable": r.unusable},
            "notes": [_issue(n) for n in self.notes],
            "issues": [_issue(i) for i in self.issues],
            "exit_status": self.status,
        }

    def _changes(self, written_to: str, limit: int) -> list[str]:
        """What the merge changed: items, payments, customers and their balances."""
        m = self.merged
        out = [f"Wrote {written_to}: {len(m.new_customers)} new customer(s), "
               f"{m.items_added} item(s) added, {m.items_updated} updated, "
               f"{m.items_settled} no longer in the export marked settled on "
               f"{m.settled_on}."]
        if m.partial:
            out.append(f"Partial export: only the {len(self.customers)} customer(s) it lists "
                       f"were updated; {m.untouched} other customer(s) with a balance were "
                       "left as they were.")
        if m.payments_added or m.payments_updated or m.payments_removed:
            out.append(f"Payments: {m.payments_added} dated unapplied payment(s) added to the "
                       f"Payments table, {m.payments_updated} updated"
                       + (f"; {len(m.payments_removed)} no longer unapplied in the export "
                          f"(applied or refunded there) removed: "
                          + ", ".join(m.payments_removed[:limit]) if m.payments_removed
                          else "") + ".")
        if m.filled or m.kept:
            out.append(f"Customer details: {m.filled} empty cell(s) filled from the export; "
                       f"{m.kept} value(s) you typed kept where the export differs.")
        if m.left:
            out.append("Customers that left the ledger (no open items now): "
                       + ", ".join(f"{k} (was {_m(b)})" for k, b in m.left))
        if m.changed:
            out.append("Changed balances:")
            out += [f"  {k:<24} {_m(b):>14} -> {_m(a):>14}" for k, b, a in m.changed[:limit]]
            if len(m.changed) > limit:
                out.append(f"  ... and {len(m.changed) - limit} more")
        return out

    def lines(self, written_to: str, *, base_currency_set: bool = False, limit: int = 20,
              issue_lines: bool = True) -> list[str]:
        """The report for people: what was read and what changed in ``written_to``
        (``issue_lines``: each issue too, else their count)."""
        r = self.result
        out = [f"Read {', '.join(self.sources)}: {r.format}"
               + (f", as at {r.as_at}" if r.as_at else "") + "."]
        if r.matched:
            out.append("Columns: " + ", ".join(f"{f} <- {h}" for f, h in r.matched.items()))
        if r.currency:
            out.append(f"Currency: {r.currency} ({r.currency_from or 'its Currency column'})"
                       + ("; set as the Base Currency" if base_currency_set else ""))
        out.append(f"{len(r.items)} item(s) for {len(self.customers)} customer(s), "
                   f"{_m(self.outstanding)} outstanding"
                   + (f"; {len(r.contacts)} contact(s)" if not r.items else "") + ".")
        out += self._changes(written_to, limit)
        notes, issues = self.notes, self.issues
        if notes:
            out.append(f"{len(notes)} row(s) were not items and were skipped: "
                       f"{note_counts(notes)}.")
        if issues and not issue_lines:
            out.append(f"{len(issues)} issue(s), listed below.")
        elif issues:
            out.append(f"{len(issues)} issue(s):")
            for i in issues[:limit]:
                where = i.sheet + (f", row {i.row}" if i.row is not None else "")
                where += f", column {i.column}" if i.column else ""
                out.append(f"  {where}: {i.message}")
            if len(issues) > limit:
                out.append(f"  ... and {len(issues) - limit} more")
        else:
            out.append("No issues: the export's totals agree with its items.")
        if self.status:
            out.append(f"Most of the {r.candidates} rows that looked like items could not be "
                       f"used ({r.unusable}); check the format or the mapping.")
        return out


def import_sheets(sources: Sequence[Sequence[Sheet]], tables: Mapping[str, RawTable], *,
                  fresh: Mapping[str, Table] | None = None, format: str | None = None,
                  mapping=None, save_mapping: bool = False, partial: bool = False
                  ) -> ImportRun:
    """Each source's sheets (a file, or a pasted sheet) read and merged into ``tables`` (the
    workbook's contract tables as read, keyed by normalised name). ``fresh``: the tables of a
    new workbook, used instead when there are none (the CLI without --into: the template's;
    its Base Currency becomes the export's). ``save_mapping``: the mapping's rows go into the
    Mappings table. ``partial``: the export lists some customers only; nobody else's items
    are settled. Raises ``ExportError`` when a source is not an export Creditdesk knows."""
    from creditdesk.imports import merge, parse_export

    opts = Options(*date_order(tables))
    result = ImportResult()
    names: list[str] = []
    for sheets in sources:
        result.extend(parse_export(list(sheets), format, mapping, opts))
        names += sorted({s.source for s in sheets} - set(names))
    existing = {name: table_of(tables[name.casefold()]) for name in MERGED
                if name.casefold() in tables}
    merged = merge(existing, result, partial=partial)
    out: dict[str, Table] = {}
    new = fresh is not None and not {"Customers", "Invoices"} & set(existing)
    if not new:
        for spec in contract.TABLES:
            raw = tables.get(contract.normalise_header(spec.name))
            if raw is not None:
                out[spec.name] = table_of(raw)
    else:
        out = {k: (list(h), [list(r) for r in rows]) for k, (h, rows) in fresh.items()}
        if result.currency and "Settings" in out:
            for r in out["Settings"][1]:
                if r[0] == "Base Currency":
                    r[1] = result.currency
    out["Customers"] = merged.customers
    out["Invoices"] = merged.invoices
    written = ["Customers", "Invoices"]
    if merged.payments is not None:
        out["Payments"] = merged.payments
        written.append("Payments")
    if mapping is not None and save_mapping:
        header, rows = out.get("Mappings", (["Mapping", "Field", "Value"], []))
        keep = [r for r in rows if str(r[0] or "").strip().casefold() != mapping.name.casefold()]
        out["Mappings"] = (header, keep + mapping.rows())
        written.append("Mappings")
    order = [t.name for t in contract.TABLES]
    out = {k: out[k] for k in sorted(out, key=lambda k: order.index(k) if k in order else 99)}
    return ImportRun(result, merged, out, written, new, names)


_KINDS = (("title row", "title rows"), ("heading", "headings"), ("total row", "totals"),
          ("blank", "blank rows"), ("percentage", "percentage lines"),
          ("the date the report was made", "generated-at lines"),
          ("header row repeated", "repeated headers"), ("account information",
                                                        "account information lines"),
          ("lines (rows", "invoices of several lines"))


def note_counts(notes: Sequence[Issue]) -> str:
    """The skipped rows by kind: "1 title rows, 2 totals"."""
    c: Counter = Counter()
    for n in notes:
        label = next((name for k, name in _KINDS if k in n.message), "other notes")
        c[label] += 1
    return ", ".join(f"{v} {k}" for k, v in c.items())


def _issue(i: Issue) -> dict:
    return {"sheet": i.sheet, "row": i.row, "column": i.column, "message": i.message}


def _m(x: float) -> str:
    return f"{x:,.2f}"
