"""The benchmark's data set, generated deterministically and shared by both seeders.

Pure Python (no Django import) so that the helpdesk_tickets side and the
django-helpdesk side, which run in different virtualenvs, insert the very
same departments, people, tickets and messages.

Shape, per ``N`` tickets: 8 departments, 6 ticket types, 10 products,
``N // 10`` customers (10 tickets each on average), 20 agents in 2
departments each, one supervisor; every ticket has 1–10 messages (the first
is the description), every twentieth message one attachment row; about a
quarter of the tickets are still open.
"""

import random
from datetime import UTC, datetime, timedelta

DEPARTMENTS = ["billing", "technical", "sales", "accounts", "hosting", "domains", "security", "general"]
TICKET_TYPES = ["question", "problem", "request", "complaint", "suggestion", "incident"]
PRODUCTS = [f"product-{i}" for i in range(1, 11)]
AGENTS = 20
#: Status mix: most tickets of a helpdesk that has run for years are done.
STATUSES = [("closed", 55), ("resolved", 20), ("new", 8), ("in_progress", 9), ("awaiting_customer", 8)]
PRIORITIES = [("low", 20), ("normal", 55), ("high", 20), ("urgent", 5)]
OPEN = {"new", "in_progress", "awaiting_customer"}
WORDS = (
    "invoice payment refund plan upgrade server domain email login password backup database ssl certificate "
    "dns renewal transfer error timeout slow down outage billing card receipt contract license api key token "
    "webhook mobile app android ios browser cache cdn storage quota limit migration restore report account"
).split()
#: A word the search benchmark looks for: present in about 1 % of the subjects.
SEARCH_WORD = "kubernetes"
#: Seeded data ends here; creation timestamps go back two years from it.
NOW = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
PASSWORD = "bench-password"


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    pick = rng.random() * total
    for value, weight in pairs:
        pick -= weight
        if pick < 0:
            return value
    return pairs[-1][0]


def customers_for(n_tickets):
    return max(10, n_tickets // 10)


def usernames(n_tickets):
    """Customers first (``customer<i>``), then the agents and the supervisor."""
    return (
        [f"customer{i}" for i in range(customers_for(n_tickets))]
        + [f"agent{i}" for i in range(AGENTS)]
        + ["supervisor"]
    )


def agent_departments(agent_index):
    """Each agent answers two neighbouring departments."""
    return [agent_index % len(DEPARTMENTS), (agent_index + 1) % len(DEPARTMENTS)]


def tickets(n_tickets, seed=42):
    """Yield one dict per ticket, its messages included, oldest first.

    Indexes (``requester``, ``department`` …) point into the lists above;
    ``requester`` into the customers, ``assignee`` into the agents (or None).
    """
    rng = random.Random(seed)
    n_customers = customers_for(n_tickets)
    step = SPAN / n_tickets
    for i in range(n_tickets):
        created = NOW - SPAN + step * i + timedelta(seconds=rng.randint(0, 59))
        status = weighted(rng, STATUSES)
        department = rng.randrange(len(DEPARTMENTS))
        words = rng.sample(WORDS, 5)
        if rng.random() < 0.01:
            words[2] = SEARCH_WORD
        subject = " ".join(words[:4]).capitalize() + f" #{i}"
        n_messages = rng.randint(1, 10)
        messages = []
        at = created
        for m in range(n_messages):
            from_staff = m % 2 == 1
            body_words = rng.choices(WORDS, k=rng.randint(15, 60))
            if m == 0:
                body_words[:5] = words
            messages.append(
                {
                    "from_staff": from_staff,
                    "internal": from_staff and rng.random() < 0.1,
                    "body": " ".join(body_words),
                    "created": at,
                    "attachment": rng.random() < 0.05,
                }
            )
            at = at + timedelta(minutes=rng.randint(5, 600))
        staff_replies = [m for m in messages if m["from_staff"] and not m["internal"]]
        first_response = staff_replies[0]["created"] if staff_replies else None
        done = status in ("resolved", "closed")
        yield {
            "index": i,
            "requester": rng.randrange(n_customers),
            "department": department,
            "ticket_type": rng.randrange(len(TICKET_TYPES)),
            "product": rng.randrange(len(PRODUCTS)) if rng.random() < 0.8 else None,
            "agent": (
                rng.choice([a for a in range(AGENTS) if department in agent_departments(a)])
                if rng.random() < 0.7
                else None
            ),
            "subject": subject,
            "status": status,
            "priority": weighted(rng, PRIORITIES),
            "created": created,
            "last_activity": messages[-1]["created"],
            "first_response": first_response,
            "resolved": messages[-1]["created"] if done else None,
            "closed": messages[-1]["created"] if status == "closed" else None,
            "messages": messages,
        }
