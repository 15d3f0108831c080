"""EventBridge schedule expressions, evaluated locally (moto never fires schedules).

``rate(5 minutes)`` and ``cron(0 * * * ? *)`` (minutes hours day-of-month month day-of-week
year, UTC, as EventBridge reads them; day-of-week 1-7 = SUN-SAT or names). Not supported here:
``L``, ``W`` and ``#`` (such a field never matches, and the stack says so at start).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])}
_RANGES = {"minute": (0, 59), "hour": (0, 23), "dom": (1, 31), "month": (1, 12),
           "dow": (1, 7), "year": (1970, 2199)}


class ScheduleError(ValueError):
    pass


def _field(text: str, kind: str) -> frozenset[int] | None:
    """The values a cron field allows; None for any ('*' or '?')."""
    text = text.strip().upper()
    if text in ("*", "?"):
        return None
    lo, hi = _RANGES[kind]
    names = _DAYS if kind == "dow" else _MONTHS if kind == "month" else {}
    out: set[int] = set()
    for part in text.split(","):
        m = re.fullmatch(r"(\*|[A-Z0-9]+)(?:-([A-Z0-9]+))?(?:/(\d+))?", part)
        if not m:
            raise ScheduleError(f"unsupported cron field '{text}'")
        a, b, step = m.groups()

        def num(v: str) -> int:
            if v in names:
                return names[v]
            if not v.isdigit():
                raise ScheduleError(f"unsupported cron field '{text}'")
            return int(v)

        start = lo if a == "*" else num(a)
        end = num(b) if b else (hi if (a == "*" or step) else start)
        out.update(range(start, end + 1, int(step or 1)))
    return frozenset(out)


@dataclass(frozen=True)
class Schedule:
    expression: str
    every: dt.timedelta | None = None  # rate(...)
    fields: tuple[frozenset[int] | None, ...] = ()  # cron(...)

    @classmethod
    def parse(cls, expression: object) -> Schedule:
        text = expression.to_string() if hasattr(expression, "to_string") else str(expression)
        m = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", text.strip())
        if m:
            unit = m[2].rstrip("s")
            n = int(m[1])
            return cls(text, every=dt.timedelta(**{f"{unit}s": n}))
        m = re.fullmatch(r"cron\((.+)\)", text.strip())
        if not m or len(m[1].split()) != 6:
            raise ScheduleError(f"cannot read the schedule '{text}'")
        parts = m[1].split()
        kinds = ("minute", "hour", "dom", "month", "dow", "year")
        return cls(text, fields=tuple(_field(p, k) for p, k in zip(parts, kinds, strict=True)))

    def due(self, minute: dt.datetime, started: dt.datetime) -> bool:
        """Whether the schedule fires in this UTC minute (``started``: when the clock began,
        the origin of a rate)."""
        if self.every is not None:
            elapsed = minute - started.replace(second=0, microsecond=0)
            step = int(self.every.total_seconds() // 60)
            mins = int(elapsed.total_seconds() // 60)
            return mins > 0 and mins % step == 0
        mi, hr, dom, mon, dow, yr = self.fields
        aws_dow = minute.isoweekday() % 7 + 1  # SUN=1 .. SAT=7

        def ok(allowed: frozenset[int] | None, value: int) -> bool:
            return allowed is None or value in allowed

        return (ok(mi, minute.minute) and ok(hr, minute.hour) and ok(dom, minute.day)
                and ok(mon, minute.month) and ok(dow, aws_dow) and ok(yr, minute.year))
