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
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
    }
)

# Zero-width and bidi control characters, the tatweel and Arabic diacritics.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad\u0640\u064b-\u065f\u0670]")
_SPACE = re.compile(r"\s+")


def _fold(value):
    value = unicodedata.normalize("NFKC", value)
    value = value.translate(_CHAR_MAP)
    value = _INVISIBLE.sub("", value)
    # Case folding can decompose (Greek with dialytika and tonos, for
    # instance); compose again so the result is stable.
    value = unicodedata.normalize("NFKC", value.casefold())
    return _SPACE.sub(" ", value).strip()


def normalize_text(value):
    """Return ``value`` folded for comparison: NFKC, Persian letters and
    digits unified, invisible characters dropped, case-folded, whitespace
    collapsed.

    Idempotent: folding the result again changes nothing, so stored keys
    and search text compare equal to freshly normalised input.
    """
    value = _fold(value or "")
    # Dropping an invisible character can bring a letter and its combining
    # mark together, which compose on the next pass; a few passes settle it.
    for _pass in range(3):
        again = _fold(value)
        if again == value:
            break
        value = again
    return value


def duplicate_key(requester_id, department_id, subject, description):
    """The fingerprint two tickets share when one duplicates the other."""
    raw = f"{requester_id}\x1f{department_id}\x1f{normalize_text(subject)}\x1f{normalize_text(description)}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
