"""Seed helpdesk_tickets' tables with the benchmark data set (see datagen.py).

Run through ``run.py``, or by hand::

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_ours \\
    DJANGO_SETTINGS_MODULE=bench.settings PYTHONPATH=.:example_project \\
    python bench/seed_ours.py 100000

The schema must exist (``manage.py migrate``). Prints a JSON line with the
row counts and the seconds taken.
"""

import hashlib
import json
import sys
import time
from datetime import timedelta

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench import datagen  # noqa: E402
from bench.bulk import ModelInserter, analyze, replica_mode, reset_sequences  # noqa: E402
from helpdesk_tickets.models import (  # noqa: E402
    Attachment,
    Department,
    Message,
    Product,
    Ticket,
    TicketEvent,
    TicketType,
)
from helpdesk_tickets.text import duplicate_key, normalize_text  # noqa: E402

User = get_user_model()
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def reference(i):
    """A unique reference per ticket, shaped like the real ones."""
    body = ""
    for _ in range(8):
        i, digit = divmod(i, len(ALPHABET))
        body += ALPHABET[digit]
    return f"HD-{body}"


def seed(n_tickets):
    started = time.monotonic()
    names = datagen.usernames(n_tickets)
    n_customers = datagen.customers_for(n_tickets)
    password = make_password(datagen.PASSWORD)
    with transaction.atomic():
        users = ModelInserter(User)
        for pk, name in enumerate(names, start=1):
            staff = name == "supervisor"
            users.add(
                id=pk,
                username=name,
                email=f"{name}@example.com",
                password=password,
                first_name=name.capitalize(),
                is_staff=staff,
                is_superuser=staff,
                date_joined=datagen.NOW - datagen.SPAN,
            )
        users.flush()
        reset_sequences(User)
        supervisor_id = len(names)

        def agent_id(a):
            return n_customers + 1 + a

        departments = [
            Department.objects.create(name=slug.capitalize(), slug=slug, ordering=i)
            for i, slug in enumerate(datagen.DEPARTMENTS)
        ]
        for a in range(datagen.AGENTS):
            for d in datagen.agent_departments(a):
                departments[d].agents.add(agent_id(a))
        types = [
            TicketType.objects.create(name=slug.capitalize(), slug=slug, ordering=i)
            for i, slug in enumerate(datagen.TICKET_TYPES)
        ]
        products = [
            Product.objects.create(name=slug.capitalize(), slug=slug, ordering=i)
            for i, slug in enumerate(datagen.PRODUCTS)
        ]
        for name in ("supervisor", "agent0", "customer0", "customer1", "customer2", "customer3"):
            Token.objects.create(user_id=names.index(name) + 1, key=hashlib.sha1(name.encode()).hexdigest())

        replica_mode()
        tickets, messages = ModelInserter(Ticket), ModelInserter(Message)
        attachments, events = ModelInserter(Attachment), ModelInserter(TicketEvent)
        message_id = attachment_id = 0
        for t in datagen.tickets(n_tickets):
            ticket_id = t["index"] + 1
            requester_id = t["requester"] + 1
            staff_id = agent_id(t["agent"]) if t["agent"] is not None else supervisor_id
            description = t["messages"][0]["body"]
            public = [m for m in t["messages"] if not m["internal"]]
            staff_public = [m for m in public if m["from_staff"]]
            customer = [m for m in public if not m["from_staff"]]
            created, first_response = t["created"], t["first_response"]
            is_open = t["status"] in datagen.OPEN
            paused_at = t["last_activity"] if t["status"] == "awaiting_customer" else None
            first_response_due, resolution_due = created + timedelta(minutes=30), created + timedelta(days=3)
            running = is_open and paused_at is None
            tickets.add(
                id=ticket_id,
                reference=reference(ticket_id),
                requester_id=requester_id,
                department_id=departments[t["department"]].pk,
                ticket_type_id=types[t["ticket_type"]].pk,
                product_id=products[t["product"]].pk if t["product"] is not None else None,
                subject=t["subject"],
                status=t["status"],
                priority=t["priority"],
                assignee_id=agent_id(t["agent"]) if t["agent"] is not None else None,
                channel="web",
                language="en",
                created_at=created,
                updated_at=t["last_activity"],
                last_activity_at=t["last_activity"],
                last_staff_reply_at=staff_public[-1]["created"] if staff_public else None,
                last_customer_message_at=customer[-1]["created"],
                requester_last_read_at=customer[-1]["created"],
                message_count=len(public),
                first_response_at=first_response,
                resolved_at=t["resolved"],
                closed_at=t["closed"],
                first_response_due=first_response_due,
                resolution_due=resolution_due,
                sla_paused_at=paused_at,
                # As Ticket.save() keeps it (next_due()).
                sla_due=(resolution_due if first_response else first_response_due) if running else None,
                sla_paused_total=timedelta(0),
                first_response_seconds=int((first_response - created).total_seconds()) if first_response else None,
                resolution_seconds=int((t["resolved"] - created).total_seconds()) if t["resolved"] else None,
                duplicate_key=duplicate_key(requester_id, departments[t["department"]].pk, t["subject"], description)
                if is_open
                else None,
                search_text=f"{normalize_text(t['subject'])}\n{normalize_text(description)}",
            )
            for m in t["messages"]:
                message_id += 1
                messages.add(
                    id=message_id,
                    ticket_id=ticket_id,
                    author_id=staff_id if m["from_staff"] else requester_id,
                    body=m["body"],
                    internal=m["internal"],
                    from_staff=m["from_staff"],
                    created_at=m["created"],
                )
                if m["attachment"]:
                    attachment_id += 1
                    attachments.add(
                        id=attachment_id,
                        message_id=message_id,
                        file=f"helpdesk_tickets/bench/{attachment_id:08x}",
                        original_name=f"screenshot-{attachment_id}.png",
                        size=120_000,
                        content_type="image/png",
                        sha256=hashlib.sha256(str(attachment_id).encode()).hexdigest(),
                        created_at=m["created"],
                    )
            events.add(
                id=ticket_id,
                ticket_id=ticket_id,
                actor_id=requester_id,
                kind="created",
                new_value="new",
                created_at=created,
            )
        # Tickets first: the other tables refer to them.
        for inserter in (tickets, messages, attachments, events):
            inserter.flush()
        reset_sequences(Ticket, Message, Attachment, TicketEvent)
    analyze_started = time.monotonic()
    if connection.vendor == "postgresql":
        analyze()
    return {
        "side": "ours",
        "tickets": tickets.count,
        "messages": messages.count,
        "attachments": attachments.count,
        "users": len(names),
        "seconds": round(time.monotonic() - started, 1),
        "analyze_seconds": round(time.monotonic() - analyze_started, 1),
    }


if __name__ == "__main__":
    print(json.dumps(seed(int(sys.argv[1]))))
