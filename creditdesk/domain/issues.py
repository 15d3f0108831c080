"""A problem found in the user's input, located the way Excel shows it."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Issue:
    sheet: str
    row: int | None  # worksheet row number as Excel shows it; None = the whole sheet/table
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = self.sheet
        if self.row is not None:
            where += f"!{self.row}"
        if self.column:
            where += f" [{self.column}]"
        return f"{where}: {self.message}"
