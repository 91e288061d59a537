"""Web forms of the customer portal.

Forms only parse input: the limits and rules are enforced by
:mod:`helpdesk_tickets.services`, whose ``ValidationError`` dicts are mapped
back onto these fields by the views (see :mod:`helpdesk_tickets.views.errors`).
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from .conf import settings as app_settings
from .models import Product, Status
from .services import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH
from .templatetags.helpdesk_tickets import format_size, localize_digits


class MultipleFileInput(forms.ClearableFileInput):
    """A file input that lets the browser pick several files at once."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """The files of one ``<input type="file" multiple>``, cleaned to a list (empty when none were chosen).

    Optional unless ``required=True``. Each file gets Django's own checks
    (an empty upload, a missing name); how many, how large and which types
    are the service layer's rules (:func:`attachments.validate_files`), the
    same for web, API and e-mail.
    """

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        chosen = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not chosen:
            super().clean(None, initial)  # the "required" error, when the field is
            return []
        files = []
        for item in chosen:
            cleaned = super().clean(item, initial)
            if cleaned:
                files.append(cleaned)
        return files


def attachment_limits():
    """What the attachments field accepts, for the help text and the ``accept`` attribute."""
    extensions = sorted({e.lower().lstrip(".") for e in app_settings.ALLOWED_ATTACHMENT_EXTENSIONS})
    return {
        "max_files": app_settings.MAX_ATTACHMENTS_PER_MESSAGE,
        "max_size": app_settings.MAX_ATTACHMENT_SIZE,
        "max_size_text": format_size(app_settings.MAX_ATTACHMENT_SIZE),
        "extensions": extensions,
        "accept": ",".join(f".{e}" for e in extensions),
    }


def attachment_help_text():
    limits = attachment_limits()
    count = ngettext("Up to %(count)d file", "Up to %(count)d files", limits["max_files"]) % {
        "count": limits["max_files"]
    }
    # The extension list is Latin text: isolated, it keeps its order in a Persian sentence.
    return _("%(count)s, %(size)s each at most. Accepted: %(types)s.") % {
        "count": localize_digits(count),
        "size": limits["max_size_text"],
        "types": "\u2068" + ", ".join(limits["extensions"]) + "\u2069",
    }


def attachments_field(label=None):
    """The ``attachments`` field with today's limits on its widget (read per form: settings may change)."""
    limits = attachment_limits()
    field = MultipleFileField(label=label or _("Attachments"), help_text=attachment_help_text())
    field.widget.attrs.update({"accept": limits["accept"], "data-max-files": limits["max_files"]})
    field.widget.attrs["data-max-size"] = limits["max_size"]
    # Said by the script as soon as too many files are chosen (the server refuses them anyway).
    field.widget.attrs["data-too-many"] = localize_digits(
        ngettext(
            "At most %(count)d file can be attached; please choose fewer.",
            "At most %(count)d files can be attached; please choose fewer.",
            limits["max_files"],
        )
        % {"count": limits["max_files"]}
    )
    # Said by the script next to a file it would refuse, before anything is uploaded ("%(name)s" is filled there).
    field.widget.attrs["data-too-big"] = str(_("“%(name)s” is too big: the limit is %(limit)s per file.")) % {
        "name": "%(name)s",
        "limit": limits["max_size_text"],
    }
    field.widget.attrs["data-bad-type"] = str(_("“%(name)s”: this file type is not accepted.")) % {"name": "%(name)s"}
    # Said by the script that sends the form with a progress bar ("%(percent)s" is filled there),
    # when sending failed, and when the files of a refused attempt were put back into the form.
    field.widget.attrs["data-uploading"] = str(_("Sending your files… %(percent)s")) % {"percent": "%(percent)s"}
    field.widget.attrs["data-upload-failed"] = str(
        _("Sending failed (the connection or the server). Your text and files are still here: please try again.")
    )
    field.widget.attrs["data-kept"] = str(_("Still chosen: no need to choose these files again."))
    # Units for the script that lists the chosen files, in the reader's language.
    field.widget.attrs["data-size-units"] = "|".join(
        str(pgettext("file size", unit)) for unit in ("%(size)s bytes", "%(size)s KB", "%(size)s MB", "%(size)s GB")
    )
    return field


class AttachmentsFormMixin:
    """Adds the ``attachments`` field with the current limits as its help text."""

    attachments_label = None

    def add_attachments_field(self):
        self.fields["attachments"] = attachments_field(self.attachments_label)


class TicketForm(AttachmentsFormMixin, forms.Form):
    """Step 3 of Send ticket: product, subject, description, attachments."""

    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        empty_label=pgettext_lazy("product choice", "— Not about a specific product —"),
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=MAX_SUBJECT_LENGTH,
        widget=forms.TextInput(attrs={"dir": "auto", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=MAX_BODY_LENGTH,
        widget=forms.Textarea(attrs={"dir": "auto", "rows": 8}),
        help_text=_("What happened, what you expected, and any error message you saw."),
    )

    def __init__(self, *args, department, **kwargs):
        super().__init__(*args, **kwargs)
        products = Product.objects.active().offered_in(department).order_by("ordering", "name")
        self.fields["product"].queryset = products
        self.add_attachments_field()

    def hide_product_if_pointless(self):
        """No product question when the department offers none."""
        products = list(self.fields["product"].queryset)
        if not products:
            del self.fields["product"]
        return products


class BaseReplyForm(AttachmentsFormMixin, forms.Form):
    """A reply in a thread: ``body`` and ``attachments``. The portal's and the staff's forms extend it."""

    body_label = _("Your reply")
    body_rows = 5

    body = forms.CharField(max_length=MAX_BODY_LENGTH, widget=forms.Textarea(attrs={"dir": "auto"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = self.body_label
        self.fields["body"].widget.attrs["rows"] = self.body_rows
        self.add_attachments_field()


class ReplyForm(BaseReplyForm):
    """A customer's reply in the thread."""


class StatusFilterForm(forms.Form):
    """The Ticket list's status filter (a GET form)."""

    OPEN = "open"

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", pgettext_lazy("status filter", "All")), (OPEN, pgettext_lazy("status filter", "Open"))]
        + list(Status.choices),
    )
