"""Text normalisation: two submissions a person calls "the same" fold to the same string."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from helpdesk_tickets.text import duplicate_key, normalize_text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Cannot LOG In", "cannot log in"),
        ("  cannot\t log\n\nin  ", "cannot log in"),
        # Arabic keyboards type yeh and kaf; Persian uses its own letters.
        ("مشكلي", "مشکلی"),
        ("سفارش ۱۲۳", "سفارش 123"),
        ("سفارش ١٢٣", "سفارش 123"),
        # Zero-width non-joiner, zero-width space, byte-order mark, bidi controls.
        ("می\u200cخواهم", "میخواهم"),
        ("pass\u200bword\ufeff", "password"),
        ("\u202eabc\u202c", "abc"),
        # The rest of Unicode's default-ignorable characters: word joiner and
        # invisible operators, grapheme joiner, Mongolian vowel separator,
        # Hangul fillers, variation selectors, tag characters, Arabic letter mark.
        ("pass\u2060wo\u2062rd\u2064", "password"),
        ("pa\u034fss\u180eword", "password"),
        ("\u3164pass\uffa0word\u115f", "password"),
        ("pass\ufe0fword\U000e0041\U000e007f", "password"),
        ("\u061cسلام", "سلام"),
        # A detached verbal prefix or plural suffix joins its word, as a ZWNJ does.
        ("می خواهم", "میخواهم"),
        ("نمی دانم", "نمیدانم"),
        ("فاکتور ها", "فاکتورها"),
        # The ezafe written as one letter or as heh + hamza above.
        ("خانۀ من", "خانه من"),
        ("خانهٔ من", "خانه من"),
        # Diacritics and the tatweel are decoration, not meaning.
        ("كِتَابٌ", "کتاب"),
        ("کـــتاب", "کتاب"),
        # Compatibility forms: full-width Latin and ligatures.
        ("Ｆｉｌｅ", "file"),
        ("ﬁle", "file"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_text(typed, expected):
    assert normalize_text(typed) == expected


def test_the_same_persian_request_typed_two_ways_normalises_alike():
    on_arabic_keyboard = "درخواست   بازگشت وجه سفارش ١٢٣ كه پرداخت شده"
    on_persian_keyboard = "درخواست بازگشت وجه سفارش ۱۲۳ که پرداخت\u200cشده"
    assert normalize_text(on_arabic_keyboard) != ""
    # ZWNJ joins "پرداخت" and "شده" without a space; a space does not fold away.
    assert normalize_text(on_arabic_keyboard) == normalize_text(on_persian_keyboard.replace("\u200c", " "))


def test_zwnj_space_and_nothing_are_one_spelling_for_the_particles():
    keys = {duplicate_key(1, 2, spelling, "x") for spelling in ("می\u200cخواهم", "می خواهم", "میخواهم", "مي خواهم")}
    assert len(keys) == 1


def test_different_requests_stay_different():
    assert normalize_text("Order 123") != normalize_text("Order 124")
    assert normalize_text("کتاب") != normalize_text("کباب")


@given(st.text())
# Cases random text rarely hits: case folding that decomposes, and a mark
# separated from its letter by an invisible character.
@example("\u03aa\u0301")
@example("e\u200b\u0301")
@example("\ufdf2")
def test_normalize_text_is_idempotent(value):
    once = normalize_text(value)
    assert normalize_text(once) == once


@given(
    st.text(alphabet=st.characters(codec="utf-8")), st.sampled_from(["\u200c", "\u200b", "\u200f", "\ufeff", " ", "\n"])
)
def test_invisible_characters_and_spacing_do_not_change_the_key(value, noise):
    assert duplicate_key(1, 2, value, "body") == duplicate_key(1, 2, f"{noise}{value}{noise}", "body")


def test_duplicate_key_depends_on_requester_department_subject_and_description():
    base = duplicate_key(1, 2, "Subject", "Body")
    assert base == duplicate_key(1, 2, " subject ", "BODY")
    assert len({base, duplicate_key(9, 2, "Subject", "Body"), duplicate_key(1, 9, "Subject", "Body")}) == 3
    assert base != duplicate_key(1, 2, "Subject", "Other body")
    # The separator keeps subject and description apart.
    assert duplicate_key(1, 2, "ab", "c") != duplicate_key(1, 2, "a", "bc")
