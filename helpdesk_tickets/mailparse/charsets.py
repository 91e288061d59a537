"""Text hygiene and charsets: bytes of any declared (or wrong) charset into clean text."""

import codecs
import email.charset
import re

# --------------------------------------------------------------------------
# Text hygiene


# Lone surrogates (bytes nothing could decode) and the C0 controls but tab and
# newline: neither a database nor a template should ever see them.
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _safe(value):
    return _UNSAFE_CHARS.sub(lambda m: "\ufffd" if "\ud800" <= m.group() <= "\udfff" else "", value or "")


def _one_line(value):
    return " ".join(_safe(value).split())


def _tidy(text):
    """CRLF to LF, no trailing whitespace on a line, no blank lines at either end."""
    text = _safe(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Charsets

_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff\u200c\u200d]")
_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u06d5\u06ee-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
# Letters only Persian uses: a windows-1256 text with them is Persian, whose
# Yeh and Kaf Windows writes with the Arabic code points.
_PERSIAN_ONLY = re.compile("[\u067e\u0686\u0698\u06af\u06a9\u06cc]")


def _codec(name):
    """The Python codec of a declared charset, or None (missing, unknown, or not a text encoding)."""
    if not name or not isinstance(name, str):
        return None
    name = name.strip().strip("\"'").lower()
    name = email.charset.ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _single_byte(codec):
    return codec.startswith(("ascii", "iso8859", "latin", "cp125", "cp437", "cp850", "koi8", "mac-"))


def _latin(codec):
    return codec is None or codec.startswith(("ascii", "iso8859-1", "latin", "cp1252", "cp1256"))


def _looks_arabic(text):
    """Whether the non-ASCII characters of ``text`` are nearly all Arabic script (a clean windows-1256 reading)."""
    high = [ch for ch in text if ord(ch) > 127 and not ch.isspace()]
    if not high:
        return False
    arabic = sum(1 for ch in high if _ARABIC_SCRIPT.match(ch))
    return arabic / len(high) >= 0.8


def _persianise(text):
    if _PERSIAN_ONLY.search(text):
        return text.replace("\u064a", "\u06cc").replace("\u0649", "\u06cc").replace("\u0643", "\u06a9")
    return text


def _windows_1256(data):
    """``data`` read as windows-1256 when that gives Arabic-script text, else None."""
    text = data.decode("cp1256", "replace")
    return _persianise(text) if _looks_arabic(text) else None


def decode_bytes(data, charset=None):
    """``data`` as text: the declared ``charset`` when it reads cleanly, else UTF-8, windows-1256, Latin-1.

    A body declared as a Latin charset (or as us-ascii, the default) whose
    bytes are really windows-1256 Persian is read as Persian.
    """
    if not data:
        return ""
    codec = _codec(charset)
    if codec is not None and not _single_byte(codec):
        # UTF-8, and the multi-byte or 7-bit stateful charsets (ISO-2022-JP,
        # UTF-7, UTF-16) whose bytes mean nothing read any other way.
        try:
            return _persianise(data.decode(codec)) if codec == "cp1256" else data.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        pass
    try:
        # 8-bit bytes that are valid UTF-8 are UTF-8 whatever a single-byte
        # label says: no real Latin or Arabic text is valid UTF-8 by chance.
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _latin(codec):
        latin = data.decode("latin-1")
        letters = [ch for ch in latin if ch.isalpha()]
        high = sum(1 for ch in letters if ord(ch) > 127)
        # Persian read as Latin-1 is nearly all accented letters; French or German is not.
        if codec == "cp1256" or codec is None or (letters and high / len(letters) > 0.3):
            persian = _windows_1256(data)
            if persian is not None:
                return persian
    if codec is not None and codec != "ascii":
        text = data.decode(codec, "replace")
        if _single_byte(codec) or text.count("\ufffd") * 20 <= len(text):
            return _persianise(text) if codec == "cp1256" else text
    return data.decode("latin-1")
