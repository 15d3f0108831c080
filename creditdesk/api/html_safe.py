"""The HTML of a reminder a client sends, made safe before the backend mails it.

A client renders its reminders from the workbook's templates (``creditdesk.domain.templates``)
and sends the HTML with them; the backend never passes that HTML through as given. It is
parsed (the standard library's ``html.parser``) and written out again from what was parsed:
only the tags of ``ALLOWED`` survive, each with only the attributes listed for it (a link only
to http, https or mailto; a cell's style only as alignment and no-wrap); every text is escaped
again; comments, processing instructions and the content of script, style and the like are
dropped. What Creditdesk's templates render comes out the same.

(A maintained sanitiser, nh3 or bleach, is on the registry but not in this environment; this
module writes out only what it allows, so markup it does not know cannot slip through.)
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_TABLE_ATTRS = {"border", "cellpadding", "cellspacing", "width"}
ALLOWED: dict[str, set[str]] = {
    "html": set(), "body": set(), "p": set(), "br": set(), "div": set(), "span": set(),
    "b": set(), "strong": set(), "i": set(), "em": set(), "u": set(), "small": set(),
    "h1": set(), "h2": set(), "h3": set(), "h4": set(), "ul": set(), "ol": set(),
    "li": set(), "hr": set(), "table": _TABLE_ATTRS, "thead": set(), "tbody": set(),
    "tfoot": set(), "tr": set(), "th": {"style", "colspan"}, "td": {"style", "colspan"},
    "a": {"href"},
}
VOID = {"br", "hr"}
# Elements whose content is code or hidden, never text: dropped with the tags.
DROPPED = {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg",
           "math", "title", "head", "textarea", "select", "xmp", "noembed", "noframes"}
_DECLARATION = re.compile(
    r"^\s*(text-align\s*:\s*(left|right|center)|white-space\s*:\s*nowrap)\s*$", re.IGNORECASE)


def _cell_style(value: str) -> bool:
    """A cell's style: only its alignment and no-wrap (the reminders' amount column)."""
    parts = [p for p in value.split(";") if p.strip()]
    return bool(parts) and all(_DECLARATION.match(p) for p in parts)

_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
_NUMBER = re.compile(r"^\d{1,4}%?$")


def _attribute(tag: str, name: str, value: str | None) -> str | None:
    """The attribute as written out, or None when it is dropped."""
    if name not in ALLOWED[tag] or value is None:
        return None
    value = value.strip()
    if name == "style" and not _cell_style(value):
        return None
    if name == "href" and not _LINK.match(value):
        return None
    if name in ("border", "cellpadding", "cellspacing", "width", "colspan") and \
            not _NUMBER.match(value):
        return None
    return f'{name}="{html.escape(value, quote=True)}"'


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []  # allowed elements open, innermost last
        self.hidden = 0  # depth inside a dropped element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED:
            self.hidden += 1
            return
        if self.hidden or tag not in ALLOWED:
            return
        kept = [a for a in (_attribute(tag, n, v) for n, v in attrs) if a]
        self.out.append(f"<{tag}{''.join(' ' + a for a in kept)}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED:
            return
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.open and self.open[-1] == tag and not self.hidden:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED:
            self.hidden = max(0, self.hidden - 1)
            return
        if self.hidden or tag not in ALLOWED or tag in VOID or tag not in self.open:
            return
        while self.open:  # close what was left open inside it, too
            inner = self.open.pop()
            self.out.append(f"</{inner}>")
            if inner == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(html.escape(data))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.open))


def sanitise_html(value: str) -> str:
    """``value`` with only the allowed tags and attributes, its text escaped."""
    if not value:
        return value
    parser = _Sanitiser()
    parser.feed(value)
    return parser.result()
