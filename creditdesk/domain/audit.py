"""The audit trail of credit decisions: what changed between two snapshots of a workbook,
and the workbook's Audit table read back (the latest credit-limit change per customer).

``diff`` compares the tables of the snapshot before with the one now in force and gives one
``Change`` per value that changed:

- per customer (subject: the customer key), the fields of ``AUDITED_FIELDS``: Credit Limit,
  Terms (days), Do Not Chase, Paused Until, Pause Reason and Debtor Type (each where the
  Customers table has the column); a customer that appears or leaves is one entry
  (``Customer added`` / ``Customer removed``) with its audited values; an audited column the
  table gains or loses is one entry (subject ``ledger``), not one per customer;
- the dunning policy (subject ``levels``): each column of each Dunning Levels row, by level
  number (``Level 2: Days After Due``);
- the settings (subject ``settings``): each Setting's Value, by setting name;
- the templates (subject ``templates``): Subject and Body of each template and language
  (``reminder1 (en): Body``).

Values are compared as the rules read them (``10000`` and ``10,000.00`` are the same limit,
``Net 30`` and ``30`` the same terms, blank and ``No`` the same Do Not Chase) and recorded as
text; a text longer than ``SNIPPET`` characters is recorded as its first ``SNIPPET``
characters and a short SHA-256 of the whole, so a change beyond them still shows.

The first snapshot of a tenant has nothing to compare with: ``diff(None, new)`` gives one
``initial`` entry (subject ``ledger``) that says how many customers it held, not one entry
per customer and field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from creditdesk.domain import cells
from creditdesk.domain.contract import (
    AUDIT,
    CUSTOMERS,
    DUNNING_LEVELS,
    SETTINGS,
    TEMPLATES,
    Kind,
    normalise_header,
)
from creditdesk.domain.issues import Issue

# The Customers columns whose every change is recorded (Debtor Type: where the table has it).
AUDITED_FIELDS: tuple[str, ...] = ("Credit Limit", "Terms (days)", "Do Not Chase",
                                   "Paused Until", "Pause Reason", "Debtor Type")
LEDGER, SETTINGS_SUBJECT, LEVELS_SUBJECT, TEMPLATES_SUBJECT = \
    "ledger", "settings", "levels", "templates"
INITIAL, CUSTOMER = "initial", "customer"
ADDED, REMOVED = "Customer added", "Customer removed"
SNIPPET = 200  # characters of a text recorded as they are; longer: these and a hash
CREDIT_LIMIT = "Credit Limit"


@dataclass(frozen=True)
class Change:
    subject: str  # a customer key, or settings / levels / templates / ledger
    field: str
    old: str
    new: str
    kind: str = CUSTOMER  # customer, or the subject (settings, levels, templates, ledger)


# -- values as the rules read them, as text ---------------------------------------------------


def snippet(text: str) -> str:
    """``text`` itself up to ``SNIPPET`` characters; else its first ``SNIPPET`` characters
    and the first 12 hex digits of the whole text's SHA-256."""
    if len(text) <= SNIPPET:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return f"{text[:SNIPPET]}... [sha256 {digest}]"


def number_text(x: float) -> str:
    """12000.0 -> '12000', 0.1 -> '0.1'."""
    return str(int(x)) if float(x).is_integer() else format(x, ".15g")


def value_text(kind: Kind | str, value: object, *, terms: bool = False) -> str:
    """A cell as the rules read it, as text: the form an audit entry records. What the rules
    cannot read is kept as typed (so a change of it still shows)."""
    if kind == "bool":
        read, errors = cells.to_bool([value])
        return " ".join(str(value).split()) if errors else ("Yes" if read[0] else "No")
    if cells.is_blank(value):
        return ""
    if terms:
        parsed = cells.parse_terms(value)
        return str(parsed) if isinstance(parsed, int) else " ".join(str(value).split())
    if kind in ("number", "integer"):
        parsed = cells.parse_number(value)
        return number_text(parsed) if isinstance(parsed, float) else " ".join(
            str(value).split())
    if kind == "date":
        parsed = cells.date_or_reason(value)
        return parsed.isoformat() if isinstance(parsed, dt.date) else " ".join(
            str(value).split())
    text = str(cells.to_text([value])[0])
    return snippet(text if "\n" in text else " ".join(text.split()))


# -- tables as {key: {field: value}} ----------------------------------------------------------


def _table(tables: Mapping[str, object], name: str) -> object | None:
    """The table named ``name`` among ``tables`` (RawTables), matched as Excel names it
    ('Dunning Levels', 'DunningLevels', 'dunning_levels')."""
    want = re.sub(r"[\s_]+", "", name).casefold()
    for k, t in tables.items():
        if re.sub(r"[\s_]+", "", str(k)).casefold() == want:
            return t
    return None


def _columns(raw: object) -> dict[str, Sequence]:
    """Normalised header -> column of a RawTable."""
    return {normalise_header(h): c for h, c in zip(raw.header, raw.columns, strict=False)}


def _kind(spec_columns, header: str) -> Kind | str:
    for c in spec_columns:
        if normalise_header(c.header) == normalise_header(header):
            return c.kind
    return "text"


def _key_text(value: object) -> str:
    return str(cells.to_text([value])[0])


def customer_values(raw: object | None) -> tuple[dict[str, dict[str, str]], list[str]]:
    """({customer: {field: value}}, the audited fields the table has), the first row of a
    customer key counting (the ledger reports the duplicates)."""
    if raw is None:
        return {}, []
    cols = _columns(raw)
    ids = cols.get(normalise_header("Customer"))
    fields = [f for f in AUDITED_FIELDS if normalise_header(f) in cols]
    out: dict[str, dict[str, str]] = {}
    if ids is None:
        return out, fields
    spec = [(f, _kind(CUSTOMERS.columns, f), cols[normalise_header(f)], f == "Terms (days)")
            for f in fields]
    for i, k in enumerate(cells.to_text(ids).tolist()):
        if not k or k in out:
            continue
        out[k] = {f: value_text(kind, column[i], terms=terms)
                  for f, kind, column, terms in spec}
    return out, fields


def _level_values(raw: object | None) -> dict[str, dict[str, str]]:
    if raw is None:
        return {}
    cols = _columns(raw)
    levels = cols.get(normalise_header("Level"))
    if levels is None:
        return {}
    fields = [c.header for c in DUNNING_LEVELS.columns if c.header != "Level"
              and normalise_header(c.header) in cols]
    spec = [(f, _kind(DUNNING_LEVELS.columns, f), cols[normalise_header(f)]) for f in fields]
    out: dict[str, dict[str, str]] = {}
    for i, level in enumerate(levels):
        k = value_text("integer", level)
        if not k or k in out:
            continue
        out[k] = {f: value_text(kind, column[i]) for f, kind, column in spec}
    return out


def _setting_values(raw: object | None) -> dict[str, tuple[str, str]]:
    """normalised setting -> (the setting as typed, its value)."""
    if raw is None:
        return {}
    cols = _columns(raw)
    names, values = cols.get("setting"), cols.get("value")
    if names is None:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for i, name in enumerate(names):
        k = normalise_header(name)
        if k and k not in out:
            v = values[i] if values is not None else None
            out[k] = (" ".join(str(name).split()), value_text("text", v))
    return out


def _template_values(raw: object | None) -> dict[str, dict[str, str]]:
    if raw is None:
        return {}
    cols = _columns(raw)
    names, langs = cols.get("template"), cols.get("language")
    if names is None:
        return {}
    out: dict[str, dict[str, str]] = {}
    for i, name in enumerate(names):
        n = _key_text(name)
        if not n:
            continue
        lang = _key_text(langs[i]).casefold() if langs is not None else ""
        k = f"{n} ({lang or 'en'})"
        if k.casefold() in {x.casefold() for x in out}:
            continue
        out[k] = {f: value_text("text", cols[normalise_header(f)][i])
                  if normalise_header(f) in cols else "" for f in ("Subject", "Body")}
    return out


def _compare(kind: str, subject_of, old: Mapping[str, Mapping[str, str]],
             new: Mapping[str, Mapping[str, str]], fields: Sequence[str],
             blank: Mapping[str, str]) -> list[Change]:
    out: list[Change] = []
    for key in [*new, *(k for k in old if k not in new)]:
        before, after = old.get(key, {}), new.get(key, {})
        for f in fields:
            default = blank.get(f, "")
            a, b = before.get(f, default), after.get(f, default)
            if a != b:
                subject, name = subject_of(key, f)
                out.append(Change(subject, name, a, b, kind))
    return out


def _summary(values: Mapping[str, str], blank: Mapping[str, str]) -> str:
    shown = [f"{f}={v}" for f, v in values.items() if v not in ("", blank.get(f, ""))]
    return snippet("; ".join(shown))


def _customer_changes(old: Mapping[str, Mapping[str, str]],
                      new: Mapping[str, Mapping[str, str]], old_fields: Sequence[str],
                      new_fields: Sequence[str]) -> list[Change]:
    """Per customer in both: each audited field that changed; a customer that appeared or
    left: one entry with its audited values; an audited column the table gained or lost:
    one entry (not one per customer: no customer's terms changed by it)."""
    fields = [f for f in AUDITED_FIELDS if f in old_fields or f in new_fields]
    blank = {f: "No" for f in fields if _kind(CUSTOMERS.columns, f) == "bool"}
    both = [f for f in fields if f in old_fields and f in new_fields]
    out: list[Change] = []
    for key in [*new, *(k for k in old if k not in new)]:
        before, after = old.get(key), new.get(key)
        if before is None:
            out.append(Change(key, ADDED, "", _summary(after, blank)))
        elif after is None:
            out.append(Change(key, REMOVED, _summary(before, blank), ""))
        else:
            for f in both:
                a, b = before.get(f, blank.get(f, "")), after.get(f, blank.get(f, ""))
                if a != b:
                    out.append(Change(key, f, a, b))
    for f in fields:
        if (f in old_fields) == (f in new_fields):
            continue
        values = (new if f in new_fields else old).values()
        n = sum(v.get(f, "") not in ("", blank.get(f, "")) for v in values)
        what = f"{n} customer(s) with a value"
        out.append(Change(LEDGER, f"Customers column {f}", "" if f in new_fields else what,
                          f"added: {what}" if f in new_fields else "removed", LEDGER))
    return out


def diff(old: Mapping[str, object] | None, new: Mapping[str, object]) -> list[Change]:
    """The changes from the tables ``old`` (None: there was no snapshot before) to ``new``
    (RawTables keyed by table name), customers first in the new table's order, then the
    dunning levels, the settings and the templates."""
    new_customers, new_fields = customer_values(_table(new, CUSTOMERS.name))
    if old is None:
        return [Change(LEDGER, INITIAL, "", f"first snapshot: {len(new_customers)} "
                       "customer(s); changes are recorded from the next one", LEDGER)]
    old_customers, old_fields = customer_values(_table(old, CUSTOMERS.name))
    out = _customer_changes(old_customers, new_customers, old_fields, new_fields)

    old_levels, new_levels = (_level_values(_table(t, DUNNING_LEVELS.name)) for t in (old, new))
    level_fields = [c.header for c in DUNNING_LEVELS.columns if c.header != "Level"]
    flags = {c.header: "No" for c in DUNNING_LEVELS.columns if c.kind == "bool"}
    present = {f for v in (*old_levels.values(), *new_levels.values()) for f in v}
    out += _compare(LEVELS_SUBJECT, lambda k, f: (LEVELS_SUBJECT, f"Level {k}: {f}"),
                    old_levels, new_levels, [f for f in level_fields if f in present], flags)

    old_settings, new_settings = (_setting_values(_table(t, SETTINGS.name)) for t in (old, new))
    for k in [*new_settings, *(k for k in old_settings if k not in new_settings)]:
        name, after = new_settings.get(k, ("", ""))
        before_name, before = old_settings.get(k, ("", ""))
        if before != after:
            out.append(Change(SETTINGS_SUBJECT, name or before_name, before, after,
                              SETTINGS_SUBJECT))

    old_templates, new_templates = (_template_values(_table(t, TEMPLATES.name))
                                    for t in (old, new))
    out += _compare(TEMPLATES_SUBJECT, lambda k, f: (TEMPLATES_SUBJECT, f"{k}: {f}"), old_templates,
                    new_templates, ("Subject", "Body"), {})
    return out


# -- the workbook's Audit table read back ---------------------------------------------------


AUDIT_HEADER: tuple[str, ...] = tuple(c.header for c in AUDIT.columns)


@dataclass(frozen=True)
class Entry:
    """One row of the workbook's Audit table."""

    at: str  # UTC, 'YYYY-MM-DD HH:MM:SS' (sorts in time order)
    key: str
    subject: str
    field: str
    old: str
    new: str
    row: int = 0

    def cells(self) -> dict[str, str]:
        return dict(zip(AUDIT_HEADER, (self.at, self.key, self.subject, self.field, self.old,
                                       self.new), strict=True))

    def identity(self) -> tuple[str, ...]:
        """What makes two rows the same entry (Sync adds an entry once)."""
        return (self.at, self.key, self.subject, self.field, self.old, self.new)


def stamp_text(when: dt.datetime) -> str:
    """The Audit table's Date: UTC to the second, as text that sorts in time order."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _date_text(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return stamp_text(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    if isinstance(value, dt.date):
        return f"{value.isoformat()} 00:00:00"
    text = " ".join(str(value).split()).removesuffix(" UTC").removesuffix("Z")
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp_text(when if when.tzinfo else when.replace(tzinfo=dt.UTC))


def read_audit(raw: object | None, issues: list[Issue] | None = None) -> list[Entry]:
    """The Audit table's rows, oldest first; a row whose Date cannot be read is an issue
    (and left out)."""
    if raw is None or not len(raw):
        return []
    cols = _columns(raw)
    n = len(raw)

    def col(h: str) -> Sequence:
        return cols.get(normalise_header(h)) or [None] * n

    dates, who, subject, field, old, new = (col(h) for h in AUDIT_HEADER)
    out: list[Entry] = []
    for i in range(n):
        if all(cells.is_blank(c[i]) for c in (dates, subject, field)):
            continue
        at = _date_text(dates[i]) if not cells.is_blank(dates[i]) else None
        if at is None:
            if issues is not None:
                issues.append(Issue(raw.sheet, raw.first_row + i, "Date",
                                    f"'{dates[i]}' is not a date and time (YYYY-MM-DD HH:MM:SS,"
                                    " UTC); the row is left out"))
            continue
        out.append(Entry(at, _key_text(who[i]), _key_text(subject[i]), _key_text(field[i]),
                         _key_text(old[i]), _key_text(new[i]), raw.first_row + i))
    out.sort(key=lambda e: (e.at, e.row))
    return out


@dataclass(frozen=True)
class LimitRaise:
    """A customer's latest credit-limit change, when it raised the limit by more than the
    Limit Raise Review share."""

    customer: str
    old: float
    new: float
    at: str

    @property
    def share(self) -> float:
        """The raise in percent of the old limit (inf from 0)."""
        return math.inf if self.old == 0 else (self.new - self.old) / self.old * 100.0


def latest_limit_changes(entries: Sequence[Entry]) -> dict[str, Entry]:
    """Per customer, the newest Audit row of its Credit Limit."""
    out: dict[str, Entry] = {}
    key = normalise_header(CREDIT_LIMIT)
    for e in entries:  # oldest first: a later row replaces an earlier one
        if normalise_header(e.field) == key and e.subject not in (
                LEDGER, SETTINGS_SUBJECT, LEVELS_SUBJECT, TEMPLATES_SUBJECT):
            out[e.subject] = e
    return out


def limit_raise(entry: Entry, threshold_pct: float) -> LimitRaise | None:
    """The change as a ``LimitRaise`` when it raised the limit by more than
    ``threshold_pct`` percent of the old one (compared in cents: a raise of exactly the share
    is not flagged); None otherwise. A limit set where there was none is not a raise (a
    customer without a limit is reviewed anyway); from 0 any raise is flagged."""
    old, new = cells.parse_number(entry.old), cells.parse_number(entry.new)
    if isinstance(old, str) or isinstance(new, str) or old < 0:
        return None
    old_c, new_c = round(old * 100), round(new * 100)
    if new_c <= old_c:
        return None
    if (new_c - old_c) * 100 <= old_c * threshold_pct:
        return None
    return LimitRaise(entry.subject, old, new, entry.at)
