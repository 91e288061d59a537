"""The HTML floor: a hand-written view and template rendering the staff queue's rows, nothing else.

The same tickets as the queue's first page (visibility, filters and order as
``floor.queue``), the same columns in the same language: reference, time to
the SLA deadline, subject with its tags and last activity (relative, and the
full date and time in the title, Jalali with Persian digits in Persian),
requester, department (its translated name), status, priority, assignee.
No filters form, no counts, no bulk form, no pagination, no base template:
whatever the queue page spends above this is the price of those features
and of the app's template layer.
"""

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext, ngettext, pgettext

from helpdesk_tickets.models import OPEN_STATUSES, Priority, Status, Ticket

from .floor import PAGE

ROW_COLUMNS = (
    "id",
    "reference",
    "subject",
    "status",
    "priority",
    "channel",
    "sla_paused_at",
    "first_response_at",
    "first_response_due",
    "resolution_due",
    "last_activity_at",
    "department__name",
    "department__translations",
    "requester__username",
    "requester__first_name",
    "requester__last_name",
    "assignee_id",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
)
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _digits(text, persian):
    return text.translate(PERSIAN_DIGITS) if persian else text


def _datetime(value, persian):
    local = timezone.localtime(value)
    if persian:
        import jdatetime

        return _digits(jdatetime.datetime.fromgregorian(datetime=local).strftime("%Y/%m/%d %H:%M"), True)
    return formats.date_format(local, "Y-m-d H:i")


def _ago(value, now, persian):
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return pgettext("relative time", "just now")
    days, rest = divmod(int(seconds), 86400)
    if days >= 30:
        local = timezone.localtime(value)
        if persian:
            import jdatetime

            day = jdatetime.date.fromgregorian(date=local.date())
            return _digits(f"{day.day} {jdatetime.date.j_months_fa[day.month - 1]} {day.year}", True)
        return formats.date_format(local, "DATE_FORMAT")
    if days:
        text = ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}
    elif rest >= 3600:
        text = ngettext("%(count)d hour ago", "%(count)d hours ago", rest // 3600) % {"count": rest // 3600}
    else:
        text = ngettext("%(count)d minute ago", "%(count)d minutes ago", rest // 60) % {"count": rest // 60}
    return _digits(text, persian)


def _due(row, now, persian):
    """The SLA column: "Breached", the time left to the deadline that runs now (hours:minutes), or a dash;
    and the deadline itself for the title."""
    if row["status"] not in OPEN_STATUSES or row["sla_paused_at"]:
        return "—"
    due = row["resolution_due"] if row["first_response_at"] else row["first_response_due"]
    if due is None:
        return "—"
    minutes = int((due - now).total_seconds() // 60)
    if minutes < 0:
        return gettext("Breached"), _datetime(due, persian)
    hours, minutes = divmod(minutes, 60)
    return _digits(f"{hours}:{minutes:02d}", persian), _datetime(due, persian)


def _person(prefix, row):
    name = f"{row[prefix + '__first_name']} {row[prefix + '__last_name']}".strip()
    return {"name": name, "username": row[prefix + "__username"]}


@login_required
def queue(request):
    tickets = Ticket.objects.in_queue_of(request.user)
    status = request.GET.get("status")
    tickets = tickets.filter(status=status) if status else tickets.filter(status__in=OPEN_STATUSES)
    if request.GET.get("priority"):
        tickets = tickets.filter(priority=request.GET["priority"])
    if request.GET.get("q"):
        tickets = tickets.search(request.GET["q"])
    rows = list(tickets.by_sla_due(searched=bool(request.GET.get("q"))).values(*ROW_COLUMNS)[:PAGE])
    tags = {}
    through = Ticket.tags.through
    for ticket_id, name, colour in through.objects.filter(ticket_id__in=[r["id"] for r in rows]).values_list(
        "ticket_id", "tag__name", "tag__colour"
    ):
        tags.setdefault(ticket_id, []).append({"name": name, "colour": colour})
    language = get_language()
    persian = language.startswith("fa")
    now = timezone.now()
    statuses, priorities = dict(Status.choices), dict(Priority.choices)
    shown = []
    for row in rows:
        due = _due(row, now, persian)
        translations = row["department__translations"] or {}
        shown.append(
            {
                "reference": row["reference"],
                "subject": row["subject"],
                "phone": row["channel"] == "phone",
                "status": row["status"],
                "status_label": statuses[row["status"]],
                "priority": row["priority"],
                "priority_label": priorities[row["priority"]],
                "due": due if isinstance(due, str) else due[0],
                "due_at": "" if isinstance(due, str) else due[1],
                "tags": tags.get(row["id"], ()),
                "activity": _ago(row["last_activity_at"], now, persian),
                "activity_at": _datetime(row["last_activity_at"], persian)
                if isinstance(row["last_activity_at"], datetime)
                else "",
                "department": translations.get(language, {}).get("name") or row["department__name"],
                "requester": _person("requester", row),
                "assignee": _person("assignee", row) if row["assignee_id"] else None,
                "mine": row["assignee_id"] == request.user.pk,
            }
        )
    return render(request, "bench/floor_queue.html", {"tickets": shown})
