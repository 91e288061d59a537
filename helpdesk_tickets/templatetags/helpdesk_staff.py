"""Template tags of the staff workspace: ``{% load helpdesk_staff %}``."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _

from .. import sla, users
from ..services.presence import HEARTBEAT_SECONDS
from .helpdesk_tickets import localize_digits, use_jalali

register = template.Library()


@register.filter
def hdt_staff_duration(value):
    """A compact duration, ``2 d 3 h``, ``1 h 5 min``, ``12 min``; ``—`` for none."""
    if value is None or value == "":
        return "—"
    if not isinstance(value, timedelta):
        value = timedelta(seconds=float(value))
    seconds = int(abs(value.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = _("%(d)d d %(h)d h") % {"d": days, "h": hours} if hours else _("%(d)d d") % {"d": days}
    elif hours:
        text = _("%(h)d h %(m)d min") % {"h": hours, "m": minutes} if minutes else _("%(h)d h") % {"h": hours}
    elif minutes:
        text = _("%(m)d min") % {"m": minutes}
    else:
        text = _("under 1 min")
    return localize_digits(text)


@register.filter
def hdt_staff_datetime(value):
    """A compact date and time for scanning lists, in the current time zone:
    ``2026-11-25 14:05``, or Jalali with Persian digits (``۱۴۰۵/۰۹/۰۴ ۱۴:۰۵``) when Persian is active."""
    if not isinstance(value, datetime):
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if use_jalali():
        import jdatetime

        return localize_digits(jdatetime.datetime.fromgregorian(datetime=local).strftime("%Y/%m/%d %H:%M"))
    return localize_digits(formats.date_format(local, "Y-m-d H:i"))


@dataclass
class SlaState:
    """What the queue shows in the SLA column."""

    state: str  # "breached", "due", "soon", "paused", "done" or "none"
    due: datetime | None
    remaining: timedelta | None
    label: str  # a sentence, for the ticket page
    short: str  # for the queue's "Time to SLA due" column


@register.simple_tag(takes_context=True)
def hdt_staff_sla(context, ticket):
    """``{% hdt_staff_sla ticket as sla %}``: the ticket's SLA state at the page's ``hdt_now``."""
    now = context.get("hdt_now") or timezone.now()
    due = ticket.next_due()
    if sla.is_breached(ticket, now):
        late_by = now - due if due and due < now else None
        if late_by is None:
            return SlaState("breached", due, None, _("Breached"), _("Breached"))
        late = hdt_staff_duration(late_by)
        return SlaState("breached", due, None, _("Breached %(late)s ago") % {"late": late}, _("Breached"))
    if ticket.is_open and ticket.sla_paused:
        return SlaState("paused", None, None, _("Paused while awaiting the customer"), _("Paused"))
    if due is None:
        return SlaState("done" if not ticket.is_open else "none", None, None, "—", "—")
    remaining = due - now
    state = "soon" if sla.is_at_risk(ticket, now) else "due"
    time_left = hdt_staff_duration(remaining)
    return SlaState(state, due, remaining, _("Due in %(time)s") % {"time": time_left}, time_left)


_PLACEHOLDER = re.compile(r"\{(customer_name|reference|subject|agent_name)\}")


def render_canned(canned, ticket, agent):
    """The canned reply's text with ``{customer_name}``, ``{reference}``, ``{subject}``, ``{agent_name}`` filled in.

    Only these four names are replaced (no ``str.format``, which would let a
    template author reach object attributes); anything else is left as typed.
    """
    requester = ticket.requester
    values = {
        "customer_name": users.display_name(requester),
        "reference": ticket.reference,
        "subject": ticket.subject,
        "agent_name": users.public_name(agent),
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], canned.body)


@register.simple_tag(takes_context=True)
def hdt_staff_canned(context, canned, ticket):
    """``{% hdt_staff_canned reply ticket %}``: the canned reply ready to insert for this ticket."""
    return render_canned(canned, ticket, context["request"].user)


@register.filter
def hdt_staff_user(user):
    """Full name and username, each isolated so a Persian name and a Latin username never jumble."""
    if user is None:
        return ""
    name, username = users.display_name(user), user.get_username()
    if name == username:
        return format_html('<bdi dir="ltr">{}</bdi>', username)
    return format_html('<bdi>{}</bdi> <bdi class="hdt-staff-username" dir="ltr">({})</bdi>', name, username)


@register.filter
def hdt_staff_user_text(user):
    """Plain-text ``Full name (username)``, for attributes and selects."""
    return users.staff_label(user)


@register.filter
def hdt_staff_get(mapping, key):
    """``mapping[key]`` in a template (counts by status)."""
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return ""


@register.filter
def hdt_staff_event_change(event):
    """``old → new`` of a history entry, with statuses and priorities in the reader's language;
    the deadline and due time of an SLA warning or breach."""
    from ..models import Priority, SlaTarget, Status, TicketEvent

    if event.kind in (TicketEvent.Kind.SLA_WARNING, TicketEvent.Kind.SLA_BREACHED):
        # The escalation's: which deadline, and its due time (older breach flags name neither).
        if event.old_value not in SlaTarget.values:
            return ""
        try:
            due = datetime.fromisoformat(event.new_value)
        except ValueError:
            return SlaTarget(event.old_value).label
        return _("%(deadline)s, due %(due)s") % {
            "deadline": SlaTarget(event.old_value).label,
            "due": hdt_staff_datetime(due),
        }
    labels = {TicketEvent.Kind.STATUS_CHANGED: Status, TicketEvent.Kind.PRIORITY_CHANGED: Priority}.get(event.kind)

    def show(value):
        if not value:
            return "—"
        if labels is not None and value in labels.values:
            return labels(value).label
        return value

    # The arrow points the way the line reads.
    arrow = "←" if get_language_bidi() else "→"
    return f"{show(event.old_value)} {arrow} {show(event.new_value)}"


@register.simple_tag
def hdt_staff_percent(part, whole):
    """``part`` of ``whole`` as a whole percentage (``67%``), or ``—`` when there is nothing to count."""
    if not whole:
        return "—"
    # Translators: a percentage; Persian writes it "۶۷٪".
    return localize_digits(_("%(percent)d%%") % {"percent": round(100 * (part or 0) / whole)})


@register.filter
def hdt_staff_breakable_email(value):
    """An e-mail address that wraps where a reader expects it to (before the "@" and after a dot), not
    mid-word: escaped, with ``<wbr>`` at those places."""
    import re

    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    parts = re.split(r"(@|\.)", str(value or ""))
    html = []
    for part in parts:
        if part == "@":
            html.append("<wbr>@")
        elif part == ".":
            html.append(".<wbr>")
        else:
            html.append(escape(part))
    return mark_safe("".join(html))  # nosec B308 B703 - every part is escaped above


@register.simple_tag
def hdt_staff_heartbeat_ms():
    """How often the staff ticket page sends its presence heartbeat, in milliseconds (for staff.js)."""
    return HEARTBEAT_SECONDS * 1000
