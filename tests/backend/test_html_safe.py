"""``services.html_safe`` (nh3): what a client sends as a reminder's HTML, made safe; what
Creditdesk's own templates render passes unchanged (when the templates gain markup, this test
names what the sanitiser would drop)."""

from __future__ import annotations

import pytest

from chalicelib.services.html_safe import sanitise_html
from creditdesk.analysis.report import Analysis
from creditdesk.domain.ledger import build_ledger, raw_tables
from devkit.sample import sample_tables


def quotes_plain(html: str) -> str:
    """Quotes in text need no escaping: nh3 writes them as they are."""
    for ref in ("&quot;", "&#34;"):
        html = html.replace(ref, '"')
    for ref in ("&#x27;", "&#39;"):
        html = html.replace(ref, "'")
    return html


def test_every_reminder_the_sample_renders_passes_unchanged():
    doc = Analysis(build_ledger(raw_tables(sample_tables(hostile=True)))).remind_doc()
    htmls = [r["html"] for r in doc["reminders"] if r["html"]]
    assert len(htmls) > 5
    assert any("&quot;" in h or "&#34;" in h for h in htmls)  # the hostile names
    for html in htmls:
        assert html.startswith("<html><body>") and "white-space:nowrap" in html
        assert sanitise_html(html) == quotes_plain(html)


@pytest.mark.parametrize(("given", "kept"), [
    ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
    ("<p>a<SCRIPT SRC=//x.example/x.js></SCRIPT>b</p>", "<p>ab</p>"),
    ('<p onclick="x()" style="color:red">a</p>', "<p>a</p>"),
    ('<p ONMOUSEOVER="x()" onfocus=x autofocus tabindex=1>a</p>', "<p>a</p>"),
    ('<a href="javascript:alert(1)">a</a>', '<a rel="noopener">a</a>'),
    ('<a href=" JavaScript:alert(1)">a</a>', '<a rel="noopener">a</a>'),
    ('<a href="java&#x09;script:alert(1)">a</a>', '<a rel="noopener">a</a>'),
    ('<a href="&#106;avascript:alert(1)">a</a>', '<a rel="noopener">a</a>'),
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">a</a>', '<a rel="noopener">a</a>'),
    ('<a href="vbscript:x">a</a>', '<a rel="noopener">a</a>'),
    ('<a href="/account">a</a>', '<a rel="noopener">a</a>'),  # no relative link
    ('<a href="mailto:ap@x.example">a</a>', '<a href="mailto:ap@x.example" rel="noopener">a</a>'),
    ('<a href="https://pay.example/?a=1&b=2" target="_blank" rel="opener">pay</a>',
     '<a href="https://pay.example/?a=1&amp;b=2" rel="noopener">pay</a>'),
    ('<img src=x onerror=alert(1)>text', "text"),
    ("<svg><script>alert(1)</script></svg>after", "after"),
    ('<svg onload="alert(1)"><a xlink:href="javascript:x"><text>t</text></a></svg>after',
     "after"),
    ("<math><mtext><script>x</script></mtext></math>after", "after"),
    ("<style>p{}</style><title>t</title>body", "body"),
    ("<!-- <script>x</script> -->ok", "ok"),
    ("<p>1 &lt; 2 &amp; 3</p>", "<p>1 &lt; 2 &amp; 3</p>"),
    ("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
     "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    ("<p>&#60;script&#62;x&#60;/script&#62;</p>", "<p>&lt;script&gt;x&lt;/script&gt;</p>"),
    ("<p>a &amp;lt;b&amp;gt;</p>", "<p>a &amp;lt;b&amp;gt;</p>"),
    ("<p>\u202e&#8238;x</p>", "<p>\u202e\u202ex</p>"),  # text, still escaped text
    ('<table><tr><td style="text-align:right;">1</td></tr></table>',
     '<table><tbody><tr><td style="text-align:right">1</td></tr></tbody></table>'),
    ('<table><tr><td style="text-align:right; background:url(x)">1</td></tr></table>',
     '<table><tbody><tr><td style="text-align:right">1</td></tr></tbody></table>'),
    ('<table><tr><td style="width:expression(alert(1))">1</td></tr></table>',
     "<table><tbody><tr><td>1</td></tr></tbody></table>"),
    ('<table><tr><td style="text-align:url(javascript:x);white-space:pre">1</td></tr></table>',
     "<table><tbody><tr><td>1</td></tr></tbody></table>"),
    ('<table><tr><th style="white-space:nowrap;position:fixed">A</th></tr></table>',
     '<table><tbody><tr><th style="white-space:nowrap">A</th></tr></tbody></table>'),
    ('<table border="1" cellpadding="4" width="100%"><tr><td colspan="2">x</td></tr></table>',
     '<table border="1" cellpadding="4" width="100%"><tbody><tr><td colspan="2">x</td></tr>'
     "</tbody></table>"),
    ('<table border="1 onload=x" width="100px"><tr><td colspan="2;x">x</td></tr></table>',
     "<table><tbody><tr><td>x</td></tr></tbody></table>"),
    ("<table><tr><td><table><tr><td>in</td></tr></table></td></tr></table>",
     "<table><tbody><tr><td><table><tbody><tr><td>in</td></tr></tbody></table></td></tr>"
     "</tbody></table>"),
    ("<td>a cell outside a table</td>", "a cell outside a table"),
    ("<p><b>unclosed", "<p><b>unclosed</b></p>"),
    ("</p>stray</b>", "<p></p>stray"),
    ('<iframe src="https://x"></iframe><object data=x></object>ok', "ok"),
    ('<form action="https://x"><input name=p><button>go</button></form>ok', "gook"),
    ("<div><p>a</div>b", "<div><p>a</p></div>b"),
    ('<html><head><meta http-equiv="refresh" content="0;url=https://x"></head>'
     "<body><p>hi</p></body></html>", "<html><body><p>hi</p></body></html>"),
    ('<!DOCTYPE html><html><body onload="x()"><p>hi</p></body></html>',
     "<html><body><p>hi</p></body></html>"),
])
def test_only_what_is_allowed_is_written_out(given, kept):
    assert sanitise_html(given) == kept


def test_the_output_is_a_fixed_point_and_empty_stays_empty():
    hostile = '<p><a href="https://x.example">x</a><script>y</script>&lt;z&gt;</p>'
    once = sanitise_html(hostile)
    assert sanitise_html(once) == once
    assert sanitise_html("") == ""
