"""Text a service takes from a user: stripped, checked, its limits in one place."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_SUBJECT_LENGTH = 200
MAX_BODY_LENGTH = 20000


# Line breaks (CR, LF, NEL, the Unicode line and paragraph separators) and
# the other control characters; NUL is refused below, not replaced.
_TO_SPACE = dict.fromkeys([*range(0x01, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029], " ")


def clean_text(value, field, max_length, label, *, one_line=False):
    """``value`` stripped and checked; with ``one_line``, its line breaks and controls collapsed to a space."""
    value = (value or "").strip()
    if one_line and "\x00" not in value:
        # A subject is one line wherever it comes from (web, API, phone, e-mail):
        # e-mail headers, lists and exports rely on it. Collapsing loses nothing.
        value = " ".join(value.translate(_TO_SPACE).split())
    if not value:
        raise ValidationError({field: _("%(field)s is required.") % {"field": label}})
    if len(value) > max_length:
        raise ValidationError(
            {field: _("%(field)s can be at most %(max)d characters.") % {"field": label, "max": max_length}}
        )
    if "\x00" in value:
        raise ValidationError({field: _("%(field)s contains a character that is not allowed.") % {"field": label}})
    return value
