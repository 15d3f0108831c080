"""One writer for a workbook whose contract tables change: ``update_tables``.

    from creditdesk.files.xlsx_update import update_tables

    done = update_tables("new.xlsx", {"Plans": (header, rows)}, source="book.xlsx")
    done = update_tables("book.xlsx", {"Plans": (header, rows)})   # in place

``tables`` maps a contract table's name ("Plans", "History", "Rates") to its new content,
``(headers, rows)``: those tables are written with exactly these rows (a table the workbook
lacks is added); every other contract table of ``source`` keeps its rows, and the user's own
sheets are carried (``xlsx_carry``: values, formulas, number formats, widths, their Excel
tables and the defined names; what cannot be carried is named in ``Updated.lost``).

What it refuses, with a ``WorkbookError`` naming the file and nothing written:

- writing over a macro workbook (``.xlsm`` or a VBA project: the rewrite cannot carry macros),
  or over any file when ``source`` holds macros; a new file from a macro workbook is written
  (``Updated.lost`` names the VBA project);
- writing over a workbook open in Excel (its ``~$`` owner file lies beside it);
- writing over an existing file other than ``source`` without ``force``;
- a name that does not end in .xlsx.

The new workbook is written to a temporary file beside the target and moved onto it with
``os.replace`` (never half a workbook); a file it replaces is first copied to
``<name>.backup.xlsx`` beside it (``backup=False``: the caller made one already).

``rates update --into``, ``plan propose``, ``letters --printed`` and ``creditdesk sync`` (when
the workbook has no Plans table yet) write through it. Rows added to a table that exists,
in place and with nothing else touched, are ``xlsx_append.append_rows``'s job.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from creditdesk.domain import contract
from creditdesk.domain.errors import WorkbookError
from creditdesk.domain.ledger import RawTable

Rows = list[list[Any]]


@dataclass
class Updated:
    """What ``update_tables`` wrote."""

    path: Path
    sheets_carried: list[str] = field(default_factory=list)  # the user's own sheets
    lost: list[str] = field(default_factory=list)  # what the rewrite could not carry
    backup: Path | None = None  # the replaced file, as it was
    added_tables: list[str] = field(default_factory=list)  # tables the workbook lacked


def table_rows(raw: RawTable) -> tuple[list[str], Rows]:
    """A table as ``read_workbook`` read it, as (headers, rows) with blanks as None."""
    rows = [[None if v == "" else v for v in r] for r in zip(*raw.columns, strict=True)] \
        if raw.columns else []
    return list(raw.header), rows


def contract_tables(raw: Mapping[str, RawTable]) -> dict[str, tuple[list[str], Rows]]:
    """Every contract table of a workbook read by ``read_workbook``, by its contract name."""
    return {spec.name: table_rows(t) for spec in contract.TABLES
            if (t := raw.get(contract.normalise_header(spec.name))) is not None}


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.resolve() == b.resolve()
    except OSError:
        return False


def check_target(path: str | os.PathLike, source: str | os.PathLike | None = None, *,
                 force: bool = False) -> None:
    """``WorkbookError`` now, before any work, when ``update_tables`` would refuse to write
    ``path`` (see the module's docstring)."""
    from creditdesk.files.xlsx_append import refuse_if_open
    from creditdesk.files.xlsx_carry import overwrites_macros

    target = Path(path)
    src = Path(source) if source is not None else target
    if target.suffix.lower() != ".xlsx":
        what = "a macro workbook cannot be rewritten (its macros would be lost)" \
            if target.suffix.lower() in (".xlsm", ".xlsb") else "the file name must end in .xlsx"
        raise WorkbookError(f"cannot write '{target}': {what}")
    if not target.exists():
        return
    if (why := overwrites_macros(target, src)) is not None:
        raise WorkbookError(why)
    refuse_if_open(target)
    if not force and not _same(target, src):
        raise WorkbookError(f"{target} exists; use --force to overwrite it")


def update_tables(path: str | os.PathLike,
                  tables: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]], *,
                  source: str | os.PathLike | None = None, force: bool = False,
                  backup: bool = True, raw: Mapping[str, RawTable] | None = None
                  ) -> Updated:
    """Write ``path``: the workbook ``source`` (default: ``path`` itself, rewritten in
    place) with the contract ``tables`` given (name -> (headers, rows)) in place of its own,
    every other table and sheet carried. ``raw``: ``source`` as ``read_workbook`` already
    read it (saves reading it twice). See the module's docstring for what is refused."""
    from creditdesk.files.xlsx_append import backup_path, refuse_if_open
    from creditdesk.files.xlsx_carry import read_carry
    from creditdesk.files.xlsx_read import read_workbook
    from creditdesk.files.xlsx_write import write_workbook

    target = Path(path)
    src = Path(source) if source is not None else target
    check_target(target, src, force=force)
    if raw is None:
        raw = read_workbook(src)
    out = contract_tables(raw)
    added = [contract.table(name).name for name in tables
             if contract.table(name).name not in out]
    for name, (header, rows) in tables.items():
        out[contract.table(name).name] = (list(header), [list(r) for r in rows])
    carry = read_carry(src, raw)
    saved = None
    if backup and target.exists():
        saved = backup_path(target)
        shutil.copy2(target, saved)
    if target.exists():
        refuse_if_open(target)  # opened in Excel while we worked
    write_workbook(target, out, readme=True, source=None if src == target else src,
                   carry=carry, widths=carry.table_widths)
    return Updated(target, carry.sheet_names, list(carry.lost), saved, added)
