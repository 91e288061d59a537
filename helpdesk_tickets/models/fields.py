"""Fields per ticket type: what a type asks for beyond subject and description (SPEC §10).

A :class:`TicketField` is the question; the answers live on the ticket
(``Ticket.field_values``, ``{key: value}``), so changing or removing a
type's fields later never touches an existing ticket: a removed field's
value stays on the ticket (staff still read it), and a new required field
is asked of new tickets only. The rules for values are
:mod:`helpdesk_tickets.services.fields`'.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import FieldKind
from .catalogue import translated

#: A key: lower-case ASCII letters, digits and single underscores, starting with a letter. Never "__",
#: so a key is always one step of a JSON path (``field_values__<key>__exact``).
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
KEY_MAX_LENGTH = 40


class TicketField(models.Model):
    """One question of a ticket type: a text, number, date, choice or checkbox, required or not.

    ``label`` and ``help_text`` are the default words; ``translations`` maps a
    language code to ``{"label": ..., "help_text": ...}``, as the catalogue's
    ``translations`` do. ``choices`` (kind ``choice``) is a list of
    ``{"value": ..., "label": ..., "translations": {"fa": {"label": ...}}}``.
    """

    ticket_type = models.ForeignKey(
        "TicketType", verbose_name=_("ticket type"), on_delete=models.CASCADE, related_name="ticket_fields"
    )
    key = models.CharField(
        _("key"),
        max_length=KEY_MAX_LENGTH,
        validators=[
            RegexValidator(
                KEY_PATTERN,
                _("Lower-case letters, digits and single underscores, starting with a letter (e.g. invoice_number)."),
            )
        ],
        help_text=_("The name programs use (the API's “fields”, the export's column); keep it once tickets use it."),
    )
    label = models.CharField(_("label"), max_length=120)
    help_text = models.CharField(_("help text"), max_length=255, blank=True)
    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        help_text=_('Per language, e.g. {"fa": {"label": "…", "help_text": "…"}}.'),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=FieldKind.choices, default=FieldKind.TEXT)
    required = models.BooleanField(
        _("required"),
        default=False,
        help_text=_("Asked of new tickets only: tickets opened before, and e-mailed ones, may lack it."),
    )
    choices = models.JSONField(_("choices"), default=list, blank=True)
    ordering = models.PositiveIntegerField(_("ordering"), default=0)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("An inactive field is no longer asked; the values tickets already have stay visible to staff."),
    )

    class Meta:
        verbose_name = _("ticket field")
        verbose_name_plural = _("ticket fields")
        ordering = ("ordering", "id")
        constraints = [models.UniqueConstraint(fields=["ticket_type", "key"], name="hdt_ticketfield_type_key_uniq")]

    def __str__(self):
        return str(self.display_label)

    @property
    def display_label(self):
        return translated(self.translations, "label", self.label)

    @property
    def display_help(self):
        return translated(self.translations, "help_text", self.help_text)

    def choice_values(self):
        return [choice["value"] for choice in self.choices or ()]

    def choice_options(self):
        """``[(value, label in the active language), ...]``."""
        return [
            (choice["value"], translated(choice.get("translations"), "label", choice.get("label") or choice["value"]))
            for choice in self.choices or ()
        ]

    def clean(self):
        super().clean()
        if self.kind == FieldKind.CHOICE:
            values = self.choice_values()
            if not values:
                raise ValidationError({"choices": _("A choice field needs at least one choice.")})
            if len(set(values)) != len(values):
                raise ValidationError({"choices": _("Each choice needs its own value.")})
        elif self.choices:
            raise ValidationError({"choices": _("Only a choice field has choices.")})
