"""``creditdesk.api.html_safe``: what a client sends as a reminder's HTML, made safe; what
Creditdesk's own templates render passes unchanged (when the templates gain markup, this test
names what the sanitiser would drop)."""

from __future__ import annotations

import pytest

from creditdesk.analysis.report import Analysis
from creditdesk.api.html_safe import sanitise_html
from creditdesk.domain.ledger import build_ledger, raw_tables
from devkit.sample import sample_tables


def test_every_reminder_the_sample_renders_passes_unchanged():
    doc = Analysis(build_ledger(raw_tables(sample_tables(hostile=True)))).remind_doc()
    htmls = [r["html"] for r in doc["reminders"] if r["html"]]
    assert len(htmls) > 5
    for html in htmls:
        assert sanitise_html(html) == html


@pytest.mark.parametrize(("given", "kept"), [
    ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
    ('<p onclick="x()" style="color:red">a</p>', "<p>a</p>"),
    ('<a href="javascript:alert(1)">a</a>', "<a>a</a>"),
    ('<a href=" JavaScript:alert(1)">a</a>', "<a>a</a>"),
    ('<a href="mailto:ap@x.example">a</a>', '<a href="mailto:ap@x.example">a</a>'),
    ('<img src=x onerror=alert(1)>text', "text"),
    ("<svg><script>alert(1)</script></svg>after", "after"),
    ("<style>p{}</style><title>t</title>body", "body"),
    ("<!-- <script>x</script> -->ok", "ok"),
    ("<p>1 &lt; 2 &amp; 3</p>", "<p>1 &lt; 2 &amp; 3</p>"),
    ('<td style="text-align:right;">1</td>', '<td style="text-align:right;">1</td>'),
    ('<td style="text-align:right; background:url(x)">1</td>', "<td>1</td>"),
    ('<table border="1" cellpadding="4" width="100%">', '<table border="1" cellpadding="4" '
                                                        'width="100%"></table>'),
    ('<table border="1 onload=x">', "<table></table>"),
    ("<p><b>unclosed", "<p><b>unclosed</b></p>"),
    ("</p>stray</b>", "stray"),
    ('<iframe src="https://x"></iframe><object data=x></object>ok', "ok"),
    ("<div><p>a</div>b", "<div><p>a</p></div>b"),
])
def test_only_what_is_allowed_is_written_out(given, kept):
    assert sanitise_html(given) == kept
