"""Property tests (hypothesis): name cleaning, content sniffing, download headers, text normalisation."""

import re
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpdesk_tickets.attachments import (
    _OFFICE,
    INLINE_SAFE_TYPES,
    MAX_NAME_LENGTH,
    clean_name,
    extension,
    sniff_content_type,
)
from helpdesk_tickets.downloads import content_disposition
from helpdesk_tickets.text import duplicate_key, normalize_text

FORBIDDEN_IN_NAMES = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff/\\:*?\"<>|]")
#: What a download may ever be labelled: nothing a browser executes (no HTML, SVG, XML, script).
SERVED_TYPES = INLINE_SAFE_TYPES | set(_OFFICE.values()) | {"application/zip", "application/octet-stream", "text/csv"}

# Names mixing the characters that attacks use with ordinary ones.
tricky = st.text(
    alphabet=st.sampled_from(
        list('abcXYZ019 ._-/\\:*?"<>|%')
        + [
            "\x00",
            "\r",
            "\n",
            "\t",
            "\x7f",
            "\x85",
            "\x9b",
            "\u061c",
            "\u2028",
            "\u2060",
            "\u202e",
            "\u202d",
            "\u2066",
            "\u2069",
            "\u200b",
            "\u200d",
            "\u200f",
        ]
        + ["\ufeff", "\u0301", "e", "é", "س", "ی", "ي", "۱", "\U0001f600", "ﬁ"]
    ),
    max_size=300,
)
names = st.one_of(tricky, st.text(max_size=300))


@given(names)
@example("e\u200d\u0301.txt")  # removing the joiner leaves a letter and its accent to compose
@example("a" * 200 + " " + "b" * 5)
@example("x" * 119 + ". .pdf")
@settings(max_examples=400)
def test_clean_name_is_safe_bounded_and_stable(name):
    cleaned = clean_name(name)
    assert cleaned and len(cleaned) <= MAX_NAME_LENGTH
    assert not FORBIDDEN_IN_NAMES.search(cleaned)
    assert cleaned == cleaned.strip() and not cleaned.startswith(".") and not cleaned.endswith(".")
    assert unicodedata.is_normalized("NFC", cleaned)
    assert clean_name(cleaned) == cleaned


@given(st.text(max_size=40), st.sampled_from(["png", "pdf", "txt", "docx", "zip"]))
def test_clean_name_keeps_an_allowed_extension(stem, ext):
    cleaned = clean_name(f"{stem}.{ext}")
    if cleaned != "file":
        assert extension(cleaned) == ext or not extension(cleaned) or cleaned.endswith(ext)


@given(st.binary(max_size=64), st.sampled_from(["", "a.html", "a.svg", "a.xml", "a.png", "a.txt", "a.csv", "a.docx"]))
@example(b"<!doctype html><script>", "a.html")
@example(b"<svg onload=alert(1)>", "a.svg")
@example(b"\x89PNG\r\n\x1a\n<html>", "a.html")
def test_sniffing_never_labels_anything_as_an_active_type(head, name):
    assert sniff_content_type(head, name) in SERVED_TYPES


@given(st.sampled_from([b"<html>", b"<svg>", b"<?xml ?>", b"<script>", b"MZ"]), st.binary(max_size=32))
def test_markup_named_as_an_image_is_never_an_image(prefix, rest):
    assert sniff_content_type(prefix + rest, "photo.png") == "application/octet-stream"


@given(names)
def test_content_disposition_is_one_safe_header_line(name):
    header = content_disposition(clean_name(name))
    assert header.startswith('attachment; filename="')
    assert header.isascii() and "\r" not in header and "\n" not in header
    fallback = re.match(r'attachment; filename="([^"]*)"; filename\*=UTF-8\'\'(\S+)$', header)
    assert fallback is not None and fallback.group(1)


@given(st.text(max_size=200))
@settings(max_examples=300)
def test_normalize_text_is_idempotent(value):
    once = normalize_text(value)
    assert normalize_text(once) == once


persian_variants = st.sampled_from(
    [
        ("ی", "ي"),  # Persian and Arabic yeh
        ("ک", "ك"),  # keheh and Arabic kaf
        ("۱۲۳", "123"),
        ("می‌خواهم", "میخواهم"),  # with and without the zero-width non-joiner
        ("Refund", "  rEFUND "),
    ]
)


@given(persian_variants, st.text(alphabet="abc سلام ", max_size=20))
def test_what_a_person_calls_the_same_ticket_has_the_same_duplicate_key(pair, context):
    typed, variant = pair
    assert duplicate_key(1, 2, f"{context} {typed}", "x") == duplicate_key(1, 2, f"{context} {variant}", "x")


#: Unicode's default-ignorable code points (DerivedCoreProperties.txt), which
#: render as nothing: a sample of each range plus both ends of the ranges.
DEFAULT_IGNORABLE = st.one_of(
    st.sampled_from(
        ["\u00ad", "\u034f", "\u061c", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u3164", "\ufeff", "\uffa0"]
    ),
    *(
        st.integers(low, high).map(chr)
        for low, high in [
            (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
            (0x200B, 0x200F),  # zero-width space, (non-)joiner, direction marks
            (0x202A, 0x202E),  # bidi embeddings and overrides
            (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates
            (0xFE00, 0xFE0F),  # variation selectors
            (0x1BCA0, 0x1BCA3),  # shorthand format controls
            (0x1D173, 0x1D17A),  # musical symbol format controls
            (0xE0000, 0xE0FFF),  # tag characters, variation selectors supplement
        ]
    ),
)

#: Text such characters get typed into: Persian, Latin, digits, spaces, accents.
typed_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("abcé XYZ 019 سلام می ها خواهم ۱۲۳ يك ةۀ\u0301\u064e\n")),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
)


@given(typed_text, st.data())
@example("cafe\u0301", None)
@example("می خواهم", None)
@settings(max_examples=400)
def test_an_invisible_character_anywhere_leaves_the_duplicate_key_unchanged(value, data):
    if data is None:  # the explicit examples: a character in every position
        variants = [value[:i] + "\u2063" + value[i:] for i in range(len(value) + 1)]
    else:
        position = data.draw(st.integers(0, len(value)), label="position")
        noise = data.draw(st.lists(DEFAULT_IGNORABLE, min_size=1, max_size=3), label="noise")
        variants = [value[:position] + "".join(noise) + value[position:]]
    for variant in variants:
        assert duplicate_key(1, 2, variant, value) == duplicate_key(1, 2, value, value)
        assert normalize_text(variant) == normalize_text(value)


#: Pairs a person reads as the same letter, digit or word.
CONFUSABLES = [
    ("\u064a", "\u06cc"),  # Arabic yeh, Persian yeh
    ("\u0649", "\u06cc"),  # alef maksura, Persian yeh
    ("\u0643", "\u06a9"),  # Arabic kaf, keheh
    ("\u0629", "\u0647"),  # teh marbuta, heh
    ("\u06c0", "\u0647\u0654"),  # heh with yeh above, heh + hamza above
    *[(chr(0x06F0 + i), str(i)) for i in range(10)],  # Persian digits
    *[(chr(0x0660 + i), str(i)) for i in range(10)],  # Arabic-Indic digits
    ("\uff21", "a"),  # full-width Latin
    ("\ufb01", "fi"),  # ligature
    ("\u00a0", " "),  # no-break space
    ("\u202f", " "),  # narrow no-break space, a half-space some Persian keyboards type
    ("\u00e9", "e\u0301"),  # composed and decomposed
]


@given(typed_text, st.sampled_from(CONFUSABLES), st.data())
@settings(max_examples=300)
def test_a_confusable_spelling_has_the_same_duplicate_key(value, pair, data):
    position = data.draw(st.integers(0, len(value)), label="position")
    one, other = (value[:position] + letter + value[position:] for letter in pair)
    assert normalize_text(one) == normalize_text(other)
    assert duplicate_key(1, 2, one, "x") == duplicate_key(1, 2, other, "x")


@given(
    st.sampled_from(["می", "نمی", "مي"]),
    st.sampled_from(["خواهم", "دانم", "كنم"]),
    st.sampled_from(["ها", "های", "تر", "ترین"]),
    st.sampled_from(["", " ", "\u200c", " \u200c "]),
    typed_text,
)
def test_a_persian_particle_after_a_space_a_zwnj_or_nothing_has_the_same_key(prefix, word, suffix, gap, context):
    typed = f"{context} {prefix}{gap}{word} {word}{gap}{suffix}"
    plain = f"{context} {prefix}{word} {word}{suffix}"
    assert duplicate_key(1, 2, typed, "x") == duplicate_key(1, 2, plain, "x")
    assert normalize_text(normalize_text(typed)) == normalize_text(typed)


@given(st.text(max_size=30), st.text(max_size=30))
def test_different_requesters_never_share_a_duplicate_key(subject, description):
    assert duplicate_key(1, 2, subject, description) != duplicate_key(3, 2, subject, description)
