"""An HTML body turned into readable plain text (links kept, scripts and styles dropped)."""

import html as html_lib
import re
from html.parser import HTMLParser
from urllib.parse import unquote

from .charsets import _tidy

# --------------------------------------------------------------------------
# HTML to text

_BLOCKS = frozenset(
    "address article aside center dd details dialog div dl dt fieldset figcaption figure footer form header"
    " main nav section summary table tbody thead tfoot tr".split()
)
_PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "pre"}
_SKIPPED = {"script", "style", "title", "template", "noscript", "xml"}
_LINK_SCHEMES = ("http:", "https:", "mailto:", "ftp:", "tel:")


class _HTMLText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        # One buffer per open <blockquote>: [chunks, pending newlines, whether anything was written].
        self.buffers = [[[], 0, False]]
        self.skipping = 0
        self.pre = 0
        self.lists = []
        self.links = []
        self.row_cells = []
        self.line_paragraph = None

    # The buffer machinery -------------------------------------------------
    @property
    def buffer(self):
        return self.buffers[-1]

    def _break(self, count):
        buffer = self.buffer
        buffer[1] = max(buffer[1], count)

    def _write(self, text, *, raw=False):
        buffer = self.buffer
        if not raw:
            text = re.sub(r"[ \t\r\n\f\v\xa0]+", " ", text)
            if buffer[1] or not buffer[2]:
                text = text.lstrip(" ")
            if not text:
                return
        if buffer[2] and buffer[1]:
            chunks = buffer[0]
            if chunks:
                chunks[-1] = chunks[-1].rstrip(" ")
            chunks.append("\n" * buffer[1])
        buffer[1] = 0
        buffer[0].append(text)
        buffer[2] = True

    # Parser callbacks -------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED:
            self.skipping += 1
            return
        if self.skipping:
            return
        if tag == "br":
            if self.buffer[2]:
                self.buffer[1] += 1
        elif tag == "hr":
            self._break(1)
            self._write("________________________________", raw=True)
            self._break(1)
        elif tag == "blockquote":
            self._break(1)
            self.buffers.append([[], 0, False])
        elif tag in ("ul", "ol"):
            self._break(1 if self.lists else 2)
            self.lists.append([tag, 0])
        elif tag == "li":
            self._break(1)
            depth = max(len(self.lists), 1)
            kind = self.lists[-1] if self.lists else ["ul", 0]
            kind[1] += 1
            bullet = f"{kind[1]}. " if kind[0] == "ol" else "- "
            self._write("  " * (depth - 1) + bullet, raw=True)
        elif tag == "pre":
            self._break(2)
            self.pre += 1
        elif tag == "p" and "mso" in (dict(attrs).get("class") or "").lower():
            # Word's paragraphs have no margin: each is one line, and an empty
            # one (&nbsp;) is the blank line between paragraphs.
            self._break(1)
            self.line_paragraph = (self.buffer, len(self.buffer[0]))
        elif tag in _PARAGRAPHS:
            self._break(2)
        elif tag in _BLOCKS:
            self._break(1)
            if tag == "tr":
                self.row_cells.append(0)
        elif tag in ("td", "th"):
            if self.row_cells:
                if self.row_cells[-1]:
                    self._write(" ", raw=True)
                self.row_cells[-1] += 1
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            buffer = self.buffer
            self.links.append((href, buffer, len(buffer[0])))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr", "img", "meta", "link", "input", "area", "base", "col", "wbr", "source"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
            return
        if self.skipping:
            return
        if tag == "blockquote" and len(self.buffers) > 1:
            self._close_quote()
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._break(1 if self.lists else 2)
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
            self._break(2)
        elif tag == "p" and self.line_paragraph is not None:
            buffer, start = self.line_paragraph
            self.line_paragraph = None
            self._break(2 if buffer is self.buffer and len(buffer[0]) == start else 1)
        elif tag in _PARAGRAPHS:
            self._break(2)
        elif tag in _BLOCKS or tag == "li":
            self._break(1)
            if tag == "tr" and self.row_cells:
                self.row_cells.pop()
        elif tag == "a" and self.links:
            href, buffer, start = self.links.pop()
            if buffer is not self.buffer or not href.lower().startswith(_LINK_SCHEMES):
                return
            label = " ".join("".join(buffer[0][start:]).split())
            target = href[7:] if href.lower().startswith("mailto:") else href
            target = unquote(target.split("?", 1)[0]) if href.lower().startswith("mailto:") else target
            if not label:
                self._write(target)
            elif _bare_url(label) != _bare_url(target):
                self._write(f" ({target})", raw=True)

    def handle_data(self, data):
        if self.skipping:
            return
        if self.pre:
            self._write(data.replace("\xa0", " "), raw=True)
        else:
            self._write(data)

    # Output -----------------------------------------------------------------
    def _close_quote(self):
        chunks, _pending, _written = self.buffers.pop()
        inner = _tidy("".join(chunks))
        self._break(1)
        if inner:
            quoted = "\n".join("> " + line if line else ">" for line in inner.split("\n"))
            quoted = re.sub(r"^> >", ">>", quoted, flags=re.M)
            self._write(quoted, raw=True)
        self._break(1)

    def text(self):
        while len(self.buffers) > 1:
            self._close_quote()
        text = "".join(self.buffer[0]).replace("\xa0", " ")
        return re.sub(r"\n{3,}", "\n\n", _tidy(text))


def _bare_url(value):
    value = value.strip().lower()
    for prefix in ("mailto:", "tel:", "https://", "http://", "ftp://"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    if value.startswith("www."):
        value = value[4:]
    return value.rstrip("/")


def html_to_text(html):
    """Readable text of an HTML e-mail: paragraphs and line breaks as newlines, lists as "- item",
    links as "text (url)", quotes as "> " lines; scripts, styles and comments dropped, entities unescaped."""
    parser = _HTMLText()
    try:
        parser.feed(html or "")
        parser.close()
        return parser.text()
    except Exception:
        # HTMLParser is forgiving; should it still give up, strip the tags by hand.
        text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", html or "")
        text = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6])\s*>", "\n", text)
        text = html_lib.unescape(re.sub(r"<[^>]*>", " ", text))
        return re.sub(r"\n{3,}", "\n\n", _tidy(re.sub(r"[ \t\xa0]+", " ", text)))
