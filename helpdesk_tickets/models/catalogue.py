"""The catalogue: departments, ticket types and products, with their per-language names.

Models hold fields, constraints and small read-only helpers. Every write
that carries a business rule goes through :mod:`helpdesk_tickets.services`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..choices import Assignment, BreachPriority
from ..conf import settings as app_settings
from ..querysets import OfferedQuerySet


def translated(translations, field, default):
    """``translations[language][field]`` for the active language, else ``default``: how every translated
    text of the catalogue is read (names and descriptions here, the labels of ticket fields and choices)."""
    language = (get_language() or "").split("-")[0]
    value = (translations or {}).get(language, {})
    return (value.get(field) if isinstance(value, dict) else None) or default


class TranslatedNameMixin(models.Model):
    """A name and description with optional per-language overrides.

    ``translations`` maps a language code to ``{"name": ..., "description": ...}``;
    ``display_name`` picks the active language's and falls back to ``name``.
    """

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=False)
    description = models.TextField(_("description"), blank=True)
    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        help_text=_('Per language, e.g. {"fa": {"name": "…", "description": "…"}}.'),
    )
    active = models.BooleanField(_("active"), default=True)
    ordering = models.PositiveIntegerField(_("ordering"), default=0)

    class Meta:
        abstract = True
        ordering = ("ordering", "name")

    def __str__(self):
        return self.display_name

    def _translated(self, field):
        return translated(self.translations, field, getattr(self, field))

    @property
    def display_name(self):
        return self._translated("name")

    @property
    def display_description(self):
        return self._translated("description")


class Department(TranslatedNameMixin):
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agents"),
        related_name="helpdesk_departments",
        blank=True,
        help_text=_("Staff members who answer this department's tickets."),
    )
    first_response_target = models.DurationField(
        _("first response target"),
        null=True,
        blank=True,
        help_text=_("Business time to the first reply; empty uses the site default."),
    )
    resolution_target = models.DurationField(
        _("resolution target"),
        null=True,
        blank=True,
        help_text=_("Business time to resolution; empty uses the site default."),
    )
    # Stored lower-case (see save()), so the unique index is case-insensitive on every database.
    email = models.EmailField(
        _("e-mail address"),
        null=True,
        blank=True,
        unique=True,
        help_text=_("Mail sent to this address opens a ticket in this department."),
    )
    assignment = models.CharField(
        _("assignment"),
        max_length=20,
        choices=Assignment.choices,
        default=Assignment.MANUAL,
        help_text=_("Who gets a new ticket: nobody until an agent takes it, each agent in turn, or the least busy."),
    )

    breach_priority = models.CharField(
        _("priority on breach"),
        max_length=10,
        choices=BreachPriority.choices,
        default=BreachPriority.NONE,
        help_text=_("What a ticket's priority becomes when it misses a first-response or resolution deadline."),
    )

    objects = OfferedQuerySet.as_manager()

    class Meta(TranslatedNameMixin.Meta):
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower() or None
        super().save(*args, **kwargs)

    @property
    def effective_first_response_target(self):
        return self.first_response_target or app_settings.DEFAULT_FIRST_RESPONSE_TARGET

    @property
    def effective_resolution_target(self):
        return self.resolution_target or app_settings.DEFAULT_RESOLUTION_TARGET


class TicketType(TranslatedNameMixin):
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("departments"),
        related_name="ticket_types",
        blank=True,
        help_text=_("Departments offering this type; none means all."),
    )

    objects = OfferedQuerySet.as_manager()

    class Meta(TranslatedNameMixin.Meta):
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")


class Product(TranslatedNameMixin):
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("departments"),
        related_name="products",
        blank=True,
        help_text=_("Departments offering this product; none means all."),
    )

    objects = OfferedQuerySet.as_manager()

    class Meta(TranslatedNameMixin.Meta):
        verbose_name = _("product")
        verbose_name_plural = _("products")
