"""The fields of a ticket type, edited inline on the type's page."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import TicketField


def choices_from_lines(text):
    """``value | label | fa: برچسب`` per line → the model's ``choices`` list."""
    languages = {code.split("-")[0] for code, _name in settings.LANGUAGES}
    choices = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        value, label, translations = parts[0], parts[1] if len(parts) > 1 else "", {}
        for part in parts[2:]:
            code, sep, words = part.partition(":")
            if not sep or code.strip() not in languages or not words.strip():
                raise ValidationError(
                    gettext("Line %(number)d: write a translation as “fa: label”.") % {"number": number}
                )
            translations[code.strip()] = {"label": words.strip()}
        if not value or len(value) > 100:
            raise ValidationError(gettext("Line %(number)d: a choice needs a value.") % {"number": number})
        choice = {"value": value, "label": label or value}
        if translations:
            choice["translations"] = translations
        choices.append(choice)
    return choices


def choices_as_lines(choices):
    lines = []
    for choice in choices or ():
        parts = [choice["value"], choice.get("label") or choice["value"]]
        parts += [f"{code}: {words.get('label', '')}" for code, words in (choice.get("translations") or {}).items()]
        lines.append(" | ".join(parts))
    return "\n".join(lines)


class TicketFieldForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=_("choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "dir": "auto"}),
        help_text=_("Choice fields: one per line, “value | label | fa: Persian label”."),
    )

    class Meta:
        model = TicketField
        fields = ("key", "label", "help_text", "translations", "kind", "required", "ordering", "active")
        widgets = {"translations": forms.Textarea(attrs={"rows": 2, "cols": 60, "dir": "auto"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choices_text"].initial = choices_as_lines(self.instance.choices)

    def clean_choices_text(self):
        return choices_from_lines(self.cleaned_data.get("choices_text"))

    def _post_clean(self):
        # Before the model's clean(), which checks the choices against the kind.
        self.instance.choices = self.cleaned_data.get("choices_text") or []
        super()._post_clean()

    def _update_errors(self, errors):
        # The model names its ``choices``; the form shows them as lines.
        if hasattr(errors, "error_dict") and "choices" in errors.error_dict:
            errors.error_dict["choices_text"] = errors.error_dict.pop("choices")
        super()._update_errors(errors)


class TicketFieldInline(admin.StackedInline):
    model = TicketField
    form = TicketFieldForm
    extra = 0
    fields = (("key", "kind", "required", "active", "ordering"), ("label", "help_text"), "translations", "choices_text")
