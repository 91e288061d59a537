"""The dashboard's window."""

from django import forms
from django.utils.translation import gettext_lazy as _

DASHBOARD_WINDOWS = (1, 7, 30, 90)


class DashboardForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        required=False,
        empty_value=30,
        choices=[
            (1, _("Last 24 hours")),
            (7, _("Last 7 days")),
            (30, _("Last 30 days")),
            (90, _("Last 90 days")),
        ],
    )
