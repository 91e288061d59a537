"""A ticket opened on a customer's behalf: the caller search and the form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import users
from ..forms import AttachmentsFormMixin
from ..models import Department, Priority, Product, TicketType
from ._shared import NamedChoiceField, UserChoiceField

#: The customer search answers nothing for fewer characters, and a few people at most:
#: it finds the caller, it does not list the user base.
MIN_CUSTOMER_QUERY = 3
MAX_CUSTOMER_RESULTS = 10


def customers():
    """Whom an agent may open a ticket for: active users who are not staff, superusers or agents."""
    return users.customers()


def find_customers(query, limit=MAX_CUSTOMER_RESULTS):
    """Customers matching ``query``, at most ``limit``, nobody for fewer than :data:`MIN_CUSTOMER_QUERY` characters.

    By the whole username or e-mail address, or by parts of the username and
    name: the search finds the caller, it does not list the user base.
    """
    return users.find_customers(query, limit=limit, min_length=MIN_CUSTOMER_QUERY)


class OfferedInSelect(forms.Select):
    """Marks each type / product option with the departments offering it (``data-departments``, empty: all),
    so that the page can hide what the chosen department does not offer."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-departments"] = " ".join(str(d.pk) for d in instance.departments.all())
        return option


class PhoneTicketForm(AttachmentsFormMixin, forms.Form):
    """A ticket an agent opens for a customer who called."""

    requester = UserChoiceField(
        label=_("Customer"),
        queryset=users.model()._default_manager.none(),
        widget=forms.RadioSelect,
        error_messages={"required": _("Find the customer and choose them first.")},
    )
    department = NamedChoiceField(label=_("Department"), queryset=Department.objects.none(), empty_label=None)
    ticket_type = NamedChoiceField(
        label=_("Type"), queryset=TicketType.objects.none(), empty_label=None, widget=OfferedInSelect
    )
    product = NamedChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        empty_label=_("None / not sure"),
        widget=OfferedInSelect,
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    subject = forms.CharField(label=_("Subject"), max_length=200, widget=forms.TextInput(attrs={"dir": "auto"}))
    description = forms.CharField(
        label=_("What the customer asked"), widget=forms.Textarea(attrs={"rows": 8, "dir": "auto"})
    )

    attachments_label = _("Attach files")

    def __init__(self, *args, departments, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_attachments_field()
        self.fields["department"].queryset = departments
        self.fields["ticket_type"].queryset = TicketType.objects.active().prefetch_related("departments")
        self.fields["product"].queryset = Product.objects.active().prefetch_related("departments")
        # The radio list shows the search results; any customer's id posted is still accepted
        # (and anyone else's refused with the same error as an unknown id).
        self.fields["requester"].queryset = customers()
        self.set_candidates(candidates)

    #: Shorter searches find no one (the page says so).
    min_find_length = MIN_CUSTOMER_QUERY

    def set_candidates(self, candidates):
        """Offer ``candidates`` as the customer choices, with masked e-mails to tell namesakes apart."""
        self.fields["requester"].widget.choices = [(user.pk, users.customer_label(user)) for user in candidates]
