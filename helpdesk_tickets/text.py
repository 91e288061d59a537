"""Text normalisation shared by duplicate detection and search.

Persian text reaches us typed on Arabic keyboards, with zero-width joiners,
Persian or Arabic-Indic digits and mixed case Latin; two submissions a
person would call "the same" must normalise to the same string.
"""

import hashlib
import re
import unicodedata

_CHAR_MAP = str.maketrans(
    {
        "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
        "\u0649": "\u06cc",  # alef maksura -> Persian yeh
        "\u0643": "\u06a9",  # Arabic kaf -> Persian keheh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u06c0": "\u0647",  # heh with yeh above (ezafe) -> heh, as heh + hamza above ends up
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
    }
)

# Unicode's default-ignorable code points (drawn as nothing: joiners, bidi
# controls, fillers, variation selectors, tag characters), then the tatweel
# and the Arabic diacritics, which are decoration rather than meaning.
_INVISIBLE = re.compile(
    "["
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
    "\u0640\u064b-\u065f\u0670"
    "]"
)
_SPACE = re.compile(r"\s+")

# Persian writes the verbal prefix and a few suffixes as part of the word,
# ideally after a zero-width non-joiner (ZWNJ), which is dropped above: "می‌خواهم"
# and "میخواهم" are one word. Without a ZWNJ key people type a space instead,
# so these particles standing alone join their neighbour. A space elsewhere
# still separates words: "پرداخت شده" and "پرداختشده" stay different.
_PREFIXES = frozenset({"\u0645\u06cc", "\u0646\u0645\u06cc"})  # می، نمی
_SUFFIXES = frozenset(
    {
        "\u0647\u0627",  # ها
        "\u0647\u0627\u06cc",  # های
        "\u0647\u0627\u06cc\u06cc",  # هایی
        "\u062a\u0631",  # تر
        "\u062a\u0631\u06cc\u0646",  # ترین
    }
)


def _join_particles(value):
    words = value.split(" ")
    if len(words) < 2 or not (_PREFIXES | _SUFFIXES).intersection(words):
        return value
    joined = []
    prefix = ""
    for word in words:
        if joined and not prefix and word in _SUFFIXES:
            joined[-1] += word
        elif word in _PREFIXES:
            prefix += word
        else:
            joined.append(prefix + word)
            prefix = ""
    if prefix:
        joined.append(prefix)
    return " ".join(joined)


def _fold(value):
    value = unicodedata.normalize("NFKC", value)
    value = value.translate(_CHAR_MAP)
    value = _INVISIBLE.sub("", value)
    # Case folding can decompose (Greek with dialytika and tonos, for
    # instance); compose again so the result is stable.
    value = unicodedata.normalize("NFKC", value.casefold())
    return _join_particles(_SPACE.sub(" ", value).strip())


def normalize_text(value):
    """Return ``value`` folded for comparison: NFKC, Persian letters and
    digits unified, invisible (default-ignorable) characters dropped,
    case-folded, whitespace collapsed, detached Persian particles joined.

    A ZWNJ is dropped, never read as a space: "می‌خواهم", "میخواهم" and (the
    particle rule) "می خواهم" fold alike, while "خانه‌ام" becomes "خانهام".

    Idempotent: folding the result again changes nothing, so stored keys
    and search text compare equal to freshly normalised input.
    """
    value = _fold(value or "")
    # Dropping an invisible character can bring a letter and its combining
    # mark together, which compose on the next pass; a few passes settle it.
    for _pass in range(5):
        again = _fold(value)
        if again == value:
            break
        value = again
    return value


def duplicate_key(requester_id, department_id, subject, description):
    """The fingerprint two tickets share when one duplicates the other."""
    raw = f"{requester_id}\x1f{department_id}\x1f{normalize_text(subject)}\x1f{normalize_text(description)}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def format_size(value):
    """A file size ("2.5 MB", "۲٫۵ مگابایت") in the words and digits of the active language.

    Isolated (U+2068 … U+2069) so that number and unit keep their order inside
    text of the other direction. Used by the templates and by the messages
    that name a size (an attachment over the limit), so both read alike.
    """
    from django.utils.translation import get_language, pgettext

    size = float(value or 0)
    units = (
        pgettext("file size", "%(size)s bytes"),
        pgettext("file size", "%(size)s KB"),
        pgettext("file size", "%(size)s MB"),
        pgettext("file size", "%(size)s GB"),
    )
    step = 0
    while size >= 1024 and step < len(units) - 1:
        size /= 1024
        step += 1
    number = f"{size:.0f}" if step == 0 or size >= 100 or size == int(size) else f"{size:.1f}"
    text = units[step] % {"size": number}
    if (get_language() or "").split("-")[0] == "fa":
        # Persian digits and the Persian decimal separator.
        text = (units[step] % {"size": number.replace(".", "\u066b")}).translate(_PERSIAN_DIGITS)
    return "\u2068" + text + "\u2069"


def isolate(value):
    """``value`` between U+2068 and U+2069 (first strong isolate … pop): a Latin reference or subject keeps
    its own order inside Persian text (and the reverse) where no ``<bdi>`` can go (messages, titles)."""
    return f"\u2068{value}\u2069"


#: Words too common to make two texts look alike (already normalised: Persian yeh and kaf).
STOPWORDS = frozenset(
    "a an and are at be but by can for from has have i in is it my of on or our so the this that to was we "
    "with you your اون این آن از با برای به تا در را که و یا یک هم است بود شد می نمی ها های من ما".split()
)
_WORD = re.compile(r"\w+")


def word_text(value):
    """``value`` normalised (:func:`normalize_text`) down to its words, one space apart: punctuation goes.

    What the knowledge base stores and searches, so that "e-mail", "e mail"
    and "E‑Mail!" meet, on PostgreSQL's parser and on a substring match alike.
    """
    return " ".join(_WORD.findall(normalize_text(value)))


def search_terms(query, limit=10):
    """The words of ``query`` worth searching for: normalised, two letters or more, no stopwords, each once."""
    terms = []
    for word in word_text(query).split():
        if len(word) >= 2 and word not in STOPWORDS and word not in terms:
            terms.append(word)
    return terms[:limit]


def overlap_score(terms, title_words, words):
    """How much ``words`` (a set) share with ``terms``: 2 per term also in ``title_words``, 1 per other one.

    A term matches a word, or its start when the term has three letters or
    more (the last word may still be being typed).
    """
    score = 0
    for term in terms:
        if term in words or (len(term) >= 3 and any(word.startswith(term) for word in words)):
            score += 2 if term in title_words else 1
    return score


_LATIN_DIGITS = str.maketrans(
    {**{chr(0x06F0 + i): str(i) for i in range(10)}, **{chr(0x0660 + i): str(i) for i in range(10)}}
)


def latin_digits(value):
    """``value`` with Persian and Arabic-Indic digits written as ASCII ones (numbers and dates people type)."""
    return value.translate(_LATIN_DIGITS)
