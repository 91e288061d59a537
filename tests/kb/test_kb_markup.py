"""The article body's sanitiser: Markdown in, only allowlisted HTML out (XSS vectors included)."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from helpdesk_tickets.markup import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, LINK_REL, markdown_text, render_markdown

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](vbscript:msgbox(1))",
    "![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[doc](data:text/html,<script>alert(1)</script>)",
    '<img src="x" onerror="alert(1)">',
    '<a href="https://example.com" onclick="alert(1)">x</a>',
    "<style>body { display: none }</style>",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<svg onload=alert(1)>",
    '<object data="x.swf"></object>',
    '[x](https://example.com "t" onmouseover="alert(1)")',
    '![x](https://example.com/a.png" onerror="alert(1))',
]


class _Tags(HTMLParser):
    """Every tag and attribute of a piece of HTML, as a browser's parser reads them."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("source", XSS)
def test_no_script_handler_or_dangerous_url_survives(source):
    html = render_markdown(source)
    for tag, attrs in _Tags(html).tags:
        assert tag in ALLOWED_TAGS, html
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, html
        for name in ("href", "src"):
            if name in attrs:
                scheme = urlsplit(attrs[name].strip()).scheme.lower()
                assert scheme in {"", "http", "https", "mailto"}, html
    # Whatever was typed as markup is at most text now.
    assert "<script" not in html and "<style" not in html and "<iframe" not in html


def test_raw_html_is_shown_as_text_not_markup():
    html = render_markdown("Press <b>Save</b> then <kbd>Enter</kbd>")
    assert "<b>" not in html and "<kbd>" not in html
    assert "&lt;b&gt;Save&lt;/b&gt;" in html


def test_markdown_is_rendered_with_safe_links():
    html = render_markdown(
        "# Title\n\nSome **bold** and *em*, `code`.\n\n"
        "- one\n- two\n\n"
        "[site](https://example.com) [mail](mailto:help@example.com) "
        "[plain](http://example.org) [page](/support/kb/)\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html and "<code>code</code>" in html
    assert "<ul>" in html and "<li>one</li>" in html
    assert "<table>" in html and "<td>1</td>" in html
    for href in ("https://example.com", "mailto:help@example.com", "http://example.org", "/support/kb/"):
        assert f'href="{href}"' in html
    assert html.count(f'rel="{LINK_REL}"') == 4


def test_links_that_are_not_http_https_or_mailto_lose_their_address():
    html = render_markdown("[ftp](ftp://example.com/x) [tel](tel:+98) [js](javascript:void(0))")
    assert "href" not in html
    assert "ftp" in html  # the text stays


def test_markdown_text_is_the_words_only():
    assert markdown_text("# Pay an *invoice*\n\n1. Open [Billing](https://x.example)\n2. Pay") == (
        "Pay an invoice Open Billing Pay"
    )
    assert markdown_text("a &amp; b") == "a & b"


def test_markdown_text_keeps_punctuation_next_to_emphasis_and_links():
    # The help-article list showed "within 72 hours ." and "(panel, Server )".
    assert markdown_text("Back within **72 hours**. Open (*panel*, [Server](https://x.example)).") == (
        "Back within 72 hours. Open (panel, Server)."
    )
    assert markdown_text("| A | B |\n|---|---|\n| `x` | y |") == "A B x y"
