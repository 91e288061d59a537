"""The staff queue as a spreadsheet: CSV, streamed, and XLSX, written in constant memory.

Both read the queue's own queryset (``Ticket.objects.in_queue_of(user)``
with the queue's filters and order), in chunks of :data:`CHUNK_SIZE`
tickets with their requester, assignee and tags fetched per chunk, never
per row; department, type and product names are read once. Memory stays
flat whatever the number of tickets (figures in bench/findings.rst, "Exports").

Dates are the staff pages' (``hdt_staff_datetime``): the current time zone,
the Jalali calendar with Persian digits when Persian is active. In XLSX,
Gregorian dates are real date cells. Text that a spreadsheet program would
run as a formula is neutralised in CSV (a leading apostrophe); XLSX cells are
written as strings, which are never formulas.

After the fixed columns come the ticket types' fields (one column per key,
numbers as numbers), then "Other fields": the values of fields a type no
longer has, as ``key: value``.
"""

import csv
import io
import tempfile

from django.db.models import BooleanField, Case, Value, When
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import get_language_bidi, gettext_lazy
from django.utils.translation import gettext as _

from . import sla, users
from .models import Channel, Department, Priority, Product, Status, TicketField, TicketType
from .templatetags.helpdesk_fields import value_text
from .templatetags.helpdesk_staff import hdt_staff_datetime
from .templatetags.helpdesk_tickets import use_jalali

#: Tickets read from the database at a time.
CHUNK_SIZE = 2000
#: CSV rows sent to the client at a time.
ROWS_PER_CHUNK = 500

#: The columns, in order: (key, heading).
COLUMNS = (
    ("reference", gettext_lazy("Reference")),
    ("subject", gettext_lazy("Subject")),
    ("status", gettext_lazy("Status")),
    ("priority", gettext_lazy("Priority")),
    ("department", gettext_lazy("Department")),
    ("ticket_type", gettext_lazy("Type")),
    ("product", gettext_lazy("Product")),
    ("requester", gettext_lazy("Requester")),
    ("assignee", gettext_lazy("Assignee")),
    ("channel", gettext_lazy("Channel")),
    ("tags", gettext_lazy("Tags")),
    ("created_at", gettext_lazy("Created")),
    ("first_response_at", gettext_lazy("First response")),
    ("resolved_at", gettext_lazy("Resolved")),
    ("closed_at", gettext_lazy("Closed")),
    ("sla_due", gettext_lazy("SLA due")),
    ("breached", gettext_lazy("SLA breached")),
    ("first_response_seconds", gettext_lazy("First response (seconds)")),
    ("resolution_seconds", gettext_lazy("Resolution (seconds)")),
)

CHOICES = (Status.choices, Priority.choices, Channel.choices)

_TICKET_COLUMNS = (
    "reference subject status priority channel department ticket_type product requester assignee "
    "created_at first_response_at resolved_at closed_at sla_due first_response_seconds resolution_seconds "
    "field_values"
).split()

#: A cell starting with one of these is a formula to a spreadsheet program (OWASP "CSV injection"),
#: the full-width forms included.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(text):
    """``text`` as a CSV cell no spreadsheet program runs: a leading apostrophe before a formula's first sign."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def for_export(queryset, now=None):
    """``queryset`` (the queue's, filtered and ordered) with what a row reads: no query per row."""
    now = now or timezone.now()
    person = users.columns()
    return (
        queryset.select_related("requester", "assignee")
        .only(*_TICKET_COLUMNS, *(f"{who}__{column}" for who in ("requester", "assignee") for column in person))
        .with_tags()
        .annotate(
            hdt_breached=Case(
                When(sla.breached_q(now), then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
    )


def rows(queryset):
    """The heading, then one list of values per ticket (text, numbers, datetimes or None)."""
    names = {
        model: {row.pk: row.display_name for row in model.objects.only("name", "translations")}
        for model in (Department, TicketType, Product)
    }
    # The choices' labels translated once, not for each row (get_FOO_display() was a third of the time).
    status, priority, channel = ({value: str(label) for value, label in choices} for choices in CHOICES)
    yes, no = _("yes"), _("no")
    fields = field_columns()
    yield (
        [str(heading) for _key, heading in COLUMNS]
        + [heading for _key, heading, _by_type in fields]
        + [_("Other fields")]
    )
    for ticket in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield [
            ticket.reference,
            ticket.subject,
            status.get(ticket.status, ticket.status),
            priority.get(ticket.priority, ticket.priority),
            names[Department].get(ticket.department_id, ""),
            names[TicketType].get(ticket.ticket_type_id, ""),
            names[Product].get(ticket.product_id, "") if ticket.product_id else "",
            users.staff_label(ticket.requester),
            users.staff_label(ticket.assignee) if ticket.assignee_id else "",
            channel.get(ticket.channel, ticket.channel),
            ", ".join(tag.name for tag in ticket.tags.all()),
            ticket.created_at,
            ticket.first_response_at,
            ticket.resolved_at,
            ticket.closed_at,
            ticket.sla_due,
            yes if ticket.hdt_breached else no,
            ticket.first_response_seconds,
            ticket.resolution_seconds,
            *field_cells(ticket, fields),
        ]


def field_columns():
    """``[(key, heading, {ticket type pk: field}), ...]``: one column per field key, in the types' order."""
    columns = {}
    for field in TicketField.objects.select_related("ticket_type").order_by(
        "ticket_type__ordering", "ticket_type__name", "ordering", "id"
    ):
        key, heading, by_type = columns.setdefault(field.key, (field.key, str(field.display_label), {}))
        by_type[field.ticket_type_id] = field
    return list(columns.values())


def field_cells(ticket, columns):
    """The ticket's value for each column of :func:`field_columns`, then its other values as one text."""
    values = dict(ticket.field_values or {})
    cells = []
    for key, _heading, by_type in columns:
        value = values.pop(key, None)
        field = by_type.get(ticket.ticket_type_id) or next(iter(by_type.values()))
        if value is None:
            cells.append(None)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            cells.append(value)
        else:
            cells.append(value_text(field, value))
    cells.append("; ".join(f"{key}: {value_text(None, value)}" for key, value in values.items()))
    return cells


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if hasattr(value, "tzinfo"):
        return hdt_staff_datetime(value)
    return str(value)


class _Buffer(io.StringIO):
    def take(self):
        text = self.getvalue()
        self.seek(0)
        self.truncate()
        return text


def csv_chunks(queryset):
    """The CSV text in pieces: a byte-order mark (spreadsheet programs then read UTF-8, Persian included), then rows."""
    buffer = _Buffer()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for number, row in enumerate(rows(queryset), start=1):
        writer.writerow([_csv_cell(value) for value in row])
        if number % ROWS_PER_CHUNK == 0:
            yield buffer.take()
    yield buffer.take()


def csv_response(queryset, filename):
    """A streamed ``text/csv`` download of ``queryset`` (see :func:`for_export`)."""
    response = StreamingHttpResponse(csv_chunks(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


#: Column widths of the XLSX sheet, in characters.
_WIDTHS = {"subject": 40, "requester": 28, "assignee": 28, "tags": 24, "department": 18, "ticket_type": 18}


def xlsx_file(queryset):
    """An XLSX workbook of ``queryset`` in a temporary file, positioned at its start.

    xlsxwriter's ``constant_memory`` mode writes each row out as it comes, so
    the rows never pile up in memory; the file is then sent as it is.
    """
    import xlsxwriter

    output = tempfile.TemporaryFile()
    book = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = book.add_worksheet(_("Tickets")[:31])
    if get_language_bidi():
        sheet.right_to_left()
    heading = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for index, (key, _heading) in enumerate(COLUMNS):
        sheet.set_column(index, index, _WIDTHS.get(key, 16))
    sheet.freeze_panes(1, 0)
    jalali = use_jalali()
    for row_number, row in enumerate(rows(queryset)):
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(row_number, column, value, heading if row_number == 0 else None)
            elif hasattr(value, "tzinfo"):
                if jalali:
                    sheet.write_string(row_number, column, hdt_staff_datetime(value))
                else:
                    sheet.write_datetime(row_number, column, timezone.localtime(value).replace(tzinfo=None), when)
            else:
                sheet.write_number(row_number, column, value)
    book.close()
    output.seek(0)
    return output


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(queryset, filename):
    """An XLSX download of ``queryset`` (see :func:`for_export`)."""
    response = FileResponse(
        xlsx_file(queryset), as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_TYPE
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def filename(now=None):
    """``tickets-20261125-1405``, in the current time zone."""
    return f"tickets-{timezone.localtime(now or timezone.now()):%Y%m%d-%H%M}"
