"""Seed django-helpdesk 2.6.1's tables with the benchmark data set (see datagen.py).

Runs in django-helpdesk's own virtualenv with
``DJANGO_SETTINGS_MODULE=bench.django_helpdesk_site.settings``. The same
people, tickets and messages as ``seed_ours.py``, in django-helpdesk's
shape: departments are queues; a ticket's messages are follow-ups, the
first one "Ticket Opened" carrying the description (as django-helpdesk
writes it); internal notes are non-public follow-ups; attachments are
follow-up attachment rows. Statuses: new and awaiting customer → Open,
in progress → Reopened (both are in django-helpdesk's default list, and
"Reopened" keeps the filtered benchmark as selective as ours), resolved →
Resolved, closed → Closed. Priorities: urgent 1, high 2, normal 3, low 4.
"""

import hashlib
import json
import sys
import time

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from helpdesk.models import FollowUp, FollowUpAttachment, Queue, Ticket, UserSettings  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench import datagen  # noqa: E402
from bench.bulk import ModelInserter, analyze, replica_mode, reset_sequences  # noqa: E402

User = get_user_model()
STATUS = {"new": 1, "awaiting_customer": 1, "in_progress": 2, "resolved": 3, "closed": 4}
PRIORITY = {"urgent": 1, "high": 2, "normal": 3, "low": 4}


def seed(n_tickets):
    started = time.monotonic()
    names = datagen.usernames(n_tickets)
    n_customers = datagen.customers_for(n_tickets)
    password = make_password(datagen.PASSWORD)
    with transaction.atomic():
        users = ModelInserter(User)
        for pk, name in enumerate(names, start=1):
            customer = name.startswith("customer")
            users.add(
                id=pk,
                username=name,
                email=f"{name}@example.com",
                password=password,
                first_name=name.capitalize(),
                is_staff=not customer,
                is_superuser=name == "supervisor",
                date_joined=datagen.NOW - datagen.SPAN,
            )
        users.flush()
        reset_sequences(User)
        supervisor_id = len(names)

        def agent_id(a):
            return n_customers + 1 + a

        for pk in list(range(agent_id(0), supervisor_id + 1)):
            UserSettings.objects.get_or_create(user_id=pk)
        queues = [
            Queue.objects.create(title=slug.capitalize(), slug=slug, email_address=f"{slug}@example.com")
            for slug in datagen.DEPARTMENTS
        ]
        for name in ("supervisor", "agent0", "customer0", "customer1", "customer2", "customer3"):
            Token.objects.create(user_id=names.index(name) + 1, key=hashlib.sha1(name.encode()).hexdigest())

        replica_mode()
        tickets, followups = ModelInserter(Ticket), ModelInserter(FollowUp)
        attachments = ModelInserter(FollowUpAttachment)
        followup_id = attachment_id = 0
        for t in datagen.tickets(n_tickets):
            ticket_id = t["index"] + 1
            requester_id = t["requester"] + 1
            staff_id = agent_id(t["agent"]) if t["agent"] is not None else supervisor_id
            description = t["messages"][0]["body"]
            tickets.add(
                id=ticket_id,
                title=t["subject"],
                queue_id=queues[t["department"]].pk,
                created=t["created"],
                modified=t["last_activity"],
                submitter_email=f"customer{t['requester']}@example.com",
                assigned_to_id=agent_id(t["agent"]) if t["agent"] is not None else None,
                status=STATUS[t["status"]],
                on_hold=False,
                description=description,
                resolution="Done." if t["resolved"] else None,
                priority=PRIORITY[t["priority"]],
                due_date=None,
                last_escalation=None,
                secret_key=f"{ticket_id:036d}",
                kbitem_id=None,
                merged_to_id=None,
            )
            for position, m in enumerate(t["messages"]):
                followup_id += 1
                followups.add(
                    id=followup_id,
                    ticket_id=ticket_id,
                    date=m["created"],
                    title="Ticket Opened" if position == 0 else "Comment",
                    comment=m["body"],
                    public=not m["internal"],
                    user_id=staff_id if m["from_staff"] else requester_id,
                    new_status=None,
                    message_id=None,
                    time_spent=None,
                    email_recipients=None,
                )
                if m["attachment"]:
                    attachment_id += 1
                    attachments.add(
                        id=attachment_id,
                        followup_id=followup_id,
                        file=f"helpdesk/attachments/bench/{attachment_id:08x}",
                        filename=f"screenshot-{attachment_id}.png",
                        mime_type="image/png",
                        size=120_000,
                    )
        for inserter in (tickets, followups, attachments):
            inserter.flush()
        reset_sequences(Ticket, FollowUp, FollowUpAttachment)
    analyze_started = time.monotonic()
    if connection.vendor == "postgresql":
        analyze()
    return {
        "side": "django-helpdesk",
        "tickets": tickets.count,
        "messages": followups.count,
        "attachments": attachments.count,
        "users": len(names),
        "seconds": round(time.monotonic() - started, 1),
        "analyze_seconds": round(time.monotonic() - analyze_started, 1),
    }


if __name__ == "__main__":
    print(json.dumps(seed(int(sys.argv[1]))))
