"""The satisfaction rating form: a score from 1 to 5 and an optional comment."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SatisfactionRating
from .services.satisfaction import MAX_COMMENT_LENGTH


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how your ticket was handled?"),
        choices=SatisfactionRating.Score.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
        help_text=_("What went well, or what should we do better?"),
    )
