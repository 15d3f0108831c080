"""Running a script the way xlwings Lite does: payload in, actions out, Excel applies them."""

from __future__ import annotations

import copy
import json
import types
from typing import Any

import xlwings as xw

from devkit.officejs import apply_actions, parse_address, payload_from_file


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


class Excel:
    """The xlwings Lite client as the engine calls it (``await js.xlwings.<func>(...)``): it
    answers reads from a payload, applies the flushed actions to it, and measures both."""

    def __init__(self, payload: dict):
        self.payload = copy.deepcopy(payload)
        self.reads: list[int] = []
        self.writes: list[int] = []
        self.actions: list[dict] = []

    async def getRangeValues(self, sheet_name, address):
        sheet = next(s for s in self.payload["sheets"] if s["name"] == sheet_name)
        r1, c1, r2, c2 = parse_address(address)
        values = [(list(row) + [""] * c2)[c1 - 1:c2] for row in sheet["values"][r1 - 1:r2]]
        self.reads.append(len(json.dumps(values, separators=(",", ":"))))
        return types.SimpleNamespace(to_py=lambda: values)

    async def runActions(self, data):
        actions = json.loads(json.dumps(data["actions"], default=str))
        self.writes.append(len(json.dumps({"actions": actions}, separators=(",", ":"))))
        self.actions.extend(actions)
        self.payload = apply_actions(self.payload, actions)
