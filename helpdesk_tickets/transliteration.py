"""A Latin spelling of a Persian name as a pattern of the Persian spellings it may stand for (a leaf).

Agents on the phone type what they hear, often in Latin letters: "sara
ahmadi" for «سارا احمدی». :func:`persian_name_pattern` turns one Latin word
into a regular expression over Persian script: each consonant becomes the
letters that sound like it (s: س ص ث; z: ز ذ ض ظ; t: ت ط; h: ه ح), a vowel
becomes the letter that may write it, or nothing (short vowels are not
written), doubled letters count once. It is deliberately loose — a search
that finds the caller among a few candidates, not a transliteration. The
pattern is anchored at the start of a word and uses only what the regular
expressions of SQLite (Python's ``re``), PostgreSQL and MySQL 8 share.
"""

import re

# Longest first: "kh" before "k".
_CONSONANTS = [
    ("kh", "خ"),
    ("sh", "ش"),
    ("ch", "چ"),
    ("zh", "ژ"),
    ("gh", "[قغ]"),
    ("th", "[ثت]"),
    ("ph", "ف"),
    ("b", "ب"),
    ("p", "پ"),
    ("t", "[تط]"),
    ("j", "ج"),
    ("h", "[هح]"),
    ("d", "د"),
    ("r", "ر"),
    ("z", "[زذضظ]"),
    ("s", "[سصث]"),
    ("f", "ف"),
    ("q", "[قغ]"),
    ("k", "[کك]"),
    ("c", "[کكس]"),
    ("g", "گ"),
    ("l", "ل"),
    ("m", "م"),
    ("n", "ن"),
    ("v", "و"),
    ("w", "و"),
    ("y", "[یيئ]"),
    ("x", "[کك][سصث]"),
]
_VOWELS = [
    ("aa", "[آا]"),
    ("ou", "و"),
    ("oo", "و"),
    ("ee", "[یي]"),
    ("ei", "[یيئ]"),
    ("ey", "[یيئ]"),
    ("a", "[اآعأ]?"),
    ("e", "[هعئ]?"),
    ("i", "[یيئ]?"),
    ("o", "[وعؤ]?"),
    ("u", "[وع]?"),
]
_SOUNDS = sorted(_CONSONANTS + _VOWELS, key=lambda pair: -len(pair[0]))
_LATIN_WORD = re.compile(r"^[a-z]{3,30}$")


def persian_name_pattern(word):
    """The pattern of the Persian spellings of the Latin ``word``, or "" for a word that is not plain Latin letters.

    >>> bool(re.search(persian_name_pattern("sara"), "سارا احمدی"))
    True
    """
    word = (word or "").lower()
    if not _LATIN_WORD.match(word):
        return ""
    # Doubled letters ("mohammad", "hassan") are written once.
    word = re.sub(r"([b-df-hj-np-tv-z])\1", r"\1", word)
    parts = []
    index = 0
    while index < len(word):
        for latin, persian in _SOUNDS:
            if word.startswith(latin, index):
                parts.append(persian)
                index += len(latin)
                break
        else:  # unreachable for [a-z], kept so that a gap in the table cannot loop forever
            index += 1
    if not any(not part.endswith("?") for part in parts):
        return ""  # vowels only ("aia"): every word would match
    return r"(^|\s)" + "".join(parts)
