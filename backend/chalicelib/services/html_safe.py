"""The HTML of a reminder a client sends, made safe before the backend stores or mails it.

A client renders its reminders from the workbook's templates (``creditdesk.domain.templates``)
and sends the HTML with them; the backend never passes that HTML through as given: each
reminder of an accepted batch part is sanitised (``batches.accept_reminders``). nh3 (the
Python binding of Ammonia, an HTML5 parser's sanitiser) parses it and writes out only the tags
of ``TAGS``, each with only the attributes of ``ATTRIBUTES``: a link only to http, https or
mailto (no relative URL) with ``rel="noopener"``; a table's sizes only as numbers; a cell's
style only as its alignment and no-wrap (``filter_style_properties``, and ``_attribute`` for
the values). Comments go, and so do script, style and the other elements of ``DROPPED``, with
their content; text is escaped again. A whole document (``<html><body>``, as the templates
render) comes back as one, its head dropped. What Creditdesk's templates render comes out the
same, but for quotes in text, which need no escaping there.
"""

from __future__ import annotations

import re

import nh3

TAGS = {"p", "br", "div", "span", "b", "strong", "i", "em", "u", "small", "h1", "h2", "h3",
        "h4", "ul", "ol", "li", "hr", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
        "a"}
ATTRIBUTES = {"table": {"border", "cellpadding", "cellspacing", "width"},
              "th": {"style", "colspan"}, "td": {"style", "colspan"}, "a": {"href"}}
# Elements whose content is code or hidden, never text: dropped with it.
DROPPED = {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg",
           "math", "title", "head", "textarea", "select", "xmp", "noembed", "noframes"}
STYLE_PROPERTIES = {"text-align", "white-space"}
_DECLARATION = re.compile(
    r"^\s*(text-align\s*:\s*(left|right|center)|white-space\s*:\s*nowrap)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*\d{1,4}\s*$")
_WIDTH = re.compile(r"^\s*\d{1,4}%?\s*$")
_DOCUMENT = re.compile(r"^\s*(<!doctype[^>]*>\s*)?<html[\s>]", re.IGNORECASE)


def _attribute(tag: str, name: str, value: str) -> str | None:
    """An allowed attribute's value as kept, or None to drop it: a style keeps only the
    declarations of ``_DECLARATION`` (a value nh3's property filter would let through, such
    as ``white-space: pre``, goes); sizes are plain numbers."""
    if name == "style":
        kept = [d.strip() for d in value.split(";") if _DECLARATION.match(d)]
        return ";".join(kept) or None
    if name == "width":
        return value.strip() if _WIDTH.match(value) else None
    if name in ("border", "cellpadding", "cellspacing", "colspan"):
        return value.strip() if _NUMBER.match(value) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=TAGS, clean_content_tags=DROPPED, attributes=ATTRIBUTES, attribute_filter=_attribute,
    strip_comments=True, link_rel="noopener", url_schemes={"http", "https", "mailto"},
    url_relative="deny", filter_style_properties=STYLE_PROPERTIES)


def sanitise_html(value: str) -> str:
    """``value`` with only the allowed tags and attributes, its text escaped."""
    if not value:
        return value
    clean = _CLEANER.clean(value)
    return f"<html><body>{clean}</body></html>" if _DOCUMENT.match(value) else clean
