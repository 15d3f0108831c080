"""Running a script the way xlwings Lite does: payload in, actions out, Excel applies them."""

from __future__ import annotations

import json
from typing import Any

import xlwings as xw

from devkit.officejs import apply_actions, payload_from_file


def book_of(payload: dict) -> xw.Book:
    """A book from the payload as JSON carries it (ints for whole numbers, no tuples)."""
    return xw.Book(json=json.loads(json.dumps(payload)))


def run(payload: dict, script, **kw: Any) -> tuple[str, list[dict], dict]:
    """(summary, actions, the payload after Excel applied the actions)."""
    book = book_of(payload)
    summary = script(book, **kw)
    actions = json.loads(json.dumps(book.json()["actions"], default=str))
    return summary, actions, apply_actions(payload, actions)


def payload(path) -> dict:
    return payload_from_file(path)


def table(payload: dict, name: str) -> list[dict]:
    """An Excel table of the payload as records, read through xlwings."""
    book = book_of(payload)
    for sheet in book.sheets:
        for t in sheet.tables:
            if t.name == name:
                values = t.range.options(ndim=2).value
                header = values[0]
                return [dict(zip(header, row, strict=True)) for row in values[1:]]
    raise KeyError(name)


def cell(payload: dict, sheet: str, row: int, col: int) -> Any:
    for s in payload["sheets"]:
        if s["name"] == sheet:
            values = s["values"]
            if row - 1 < len(values) and col - 1 < len(values[row - 1]):
                return values[row - 1][col - 1]
            return ""
    raise KeyError(sheet)
