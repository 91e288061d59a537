"""Markdown for the knowledge base, rendered through an allowlist sanitiser.

Articles are written by staff, but an admin account can be stolen and an
article is shown to every customer, so the body is treated as untrusted:

1. Markdown is rendered with its raw-HTML support switched off, so ``<b>``
   or ``<script>`` typed in the body is shown as text, never passed on.
2. The result goes through nh3 (ammonia) with an allowlist of tags and
   attributes: no ``script``/``style``/``iframe``, no ``on*`` handlers, no
   ``style`` attributes; link and image addresses only ``http``, ``https``
   or ``mailto`` (or relative): ``javascript:`` and ``data:`` are dropped;
   every link gets ``rel="noopener noreferrer nofollow"``.

Step 2 alone would be enough; step 1 keeps what an author sees in the
admin's preview the same as what customers get.
"""

import html
import re

import markdown
import nh3
from django.utils.safestring import mark_safe

#: Tags a rendered article may contain (what Markdown and its ``tables``/``fenced_code`` extensions write).
ALLOWED_TAGS = frozenset(
    """a abbr b blockquote br code del em h1 h2 h3 h4 h5 h6 hr i img li ol p pre strong sub sup
    table tbody td th thead tr ul""".split()
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

_EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
# Where one block of text ends and the next begins: a word boundary in the plain text.
# Inline tags (strong, em, a, code) are not: "**72 hours**." stays "72 hours.".
_BLOCK_TAG = re.compile(r"<(?=/?(?:p|li|h[1-6]|br|hr|td|th|tr|div|blockquote|pre|ul|ol|table)\b)")


class _NoRawHTML(markdown.Extension):
    """Raw HTML in the source is text, not markup (blocks and inline tags alike)."""

    def extendMarkdown(self, md):  # noqa: N802 - Markdown's API
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def _to_html(source):
    return markdown.markdown(source or "", extensions=[*_EXTENSIONS, _NoRawHTML()], output_format="html")


def render_markdown(source):
    """``source`` (Markdown) as sanitised HTML, safe to insert into a page as it is (a ``SafeString``)."""
    html = nh3.clean(
        _to_html(source),
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
    # The one place the app trusts article HTML: nh3's allowlist output, nothing else.
    return mark_safe(html)  # nosec B308 B703 - nh3 allowlist output


def markdown_text(source):
    """The words of ``source`` (Markdown) without any markup: for search and for excerpts."""
    text = nh3.clean(_BLOCK_TAG.sub(" <", _to_html(source)), tags=set(), strip_comments=True)
    # nh3 leaves the text HTML-escaped; read the entities back.
    return " ".join(html.unescape(text).split())
