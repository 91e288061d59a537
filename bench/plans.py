"""What each side measures: the operations measure.py runs (bench/run.py makes the plans).

Every side's plan has the same operation names for the same screen, so the
report can put them side by side: our pages and API, the floors (JSON, and
the queue's rows as HTML) and django-helpdesk's equivalents.
"""

import base64
import hashlib
import json
from urllib.parse import urlencode

SEARCH_WORD = "kubernetes"


def token(name):
    return hashlib.sha1(name.encode()).hexdigest()


def op(name, steps, user=None, token_of=None, **extra):
    return {"name": name, "user": user, "token": token(token_of) if token_of else None, "steps": steps, **extra}


def get(path, params=None):
    return {"method": "get", "path": path + (f"?{urlencode(params, doseq=True)}" if params else "")}


NEW_TICKET = {
    "department": "technical",
    "ticket_type": "problem",
    "product": "product-3",
    "subject": "Server answers slowly since the upgrade {n}",
    "description": "Since this morning every page of our shop takes seconds to load. Reference run {n}.",
}


def plan_ours(query, iterations, budget):
    thread_ref = query(
        "SELECT reference FROM helpdesk_tickets_ticket WHERE requester_id = 1 ORDER BY message_count DESC, id LIMIT 1",
    )[0][0]
    common = {"iterations": iterations, "budget": budget}
    return [
        op("customer_list", [get("/support/")], user="customer0", **common),
        op("ticket_thread", [get(f"/support/tickets/{thread_ref}/")], user="customer0", **common),
        op("staff_ticket", [get(f"/support/staff/tickets/{thread_ref}/")], user="supervisor", **common),
        op("staff_queue", [get("/support/staff/")], user="supervisor", **common),
        op("staff_queue_agent", [get("/support/staff/")], user="agent0", **common),
        # The site's language is Persian (Jalali dates, Persian digits); the same page in English.
        op("staff_queue_en", [get("/support/staff/")], user="supervisor", language="en", **common),
        op(
            "staff_queue_filtered",
            [get("/support/staff/", {"status": "in_progress", "priority": "high"})],
            user="supervisor",
            **common,
        ),
        op("staff_queue_search", [get("/support/staff/", {"q": SEARCH_WORD})], user="supervisor", **common),
        op("api_list", [get("/api/tickets/")], token_of="supervisor", **common),
        op("api_list_agent", [get("/api/tickets/")], token_of="agent0", **common),
        op(
            "api_create",
            [{"method": "post", "path": "/api/tickets/", "data": NEW_TICKET}],
            token_of="customer1",
            **common,
        ),
        op("dashboard", [get("/support/staff/dashboard/")], user="supervisor", **common),
    ]


def plan_floor(iterations, budget, queue="/bench-floor/queue/"):
    """The JSON floor (``floor.py``); with ``queue="/bench-floor/queue.html"`` the queue's rows as HTML."""
    common = {"iterations": iterations, "budget": budget}
    plan = [
        op("staff_queue", [get(queue)], user="supervisor", **common),
        op("staff_queue_agent", [get(queue)], user="agent0", **common),
        op("staff_queue_en", [get(queue)], user="supervisor", language="en", **common),
        op(
            "staff_queue_filtered",
            [get(queue, {"status": "in_progress", "priority": "high"})],
            user="supervisor",
            **common,
        ),
        op("staff_queue_search", [get(queue, {"q": SEARCH_WORD})], user="supervisor", **common),
    ]
    if queue == "/bench-floor/queue/":
        plan += [
            op("api_list", [get("/bench-floor/api-tickets/")], token_of="supervisor", **common),
            op("api_list_agent", [get("/bench-floor/api-tickets/")], token_of="agent0", **common),
        ]
    return plan


def _datatables(filtering, search=""):
    payload = {"filtering": filtering, "filtering_null": {}, "sorting": "created", "sortreverse": False}
    payload["search_string"] = search
    encoded = base64.b64encode(json.dumps(payload).encode()).decode()
    return get(f"/helpdesk/datatables_ticket_list/{encoded}", {"draw": 1, "start": 0, "length": 25})


def plan_helpdesk(query, size, iterations, budget, api_list_max_size):
    # The ticket plan_ours opens: the first customer's ticket with the most public messages.
    thread_id = query(
        "SELECT t.id FROM helpdesk_ticket t JOIN helpdesk_followup f ON f.ticket_id = t.id AND f.public "
        "WHERE t.submitter_email = 'customer0@example.com' GROUP BY t.id ORDER BY COUNT(*) DESC, t.id LIMIT 1",
    )[0][0]
    common = {"iterations": iterations, "budget": budget}
    new = {
        "queue": 2,  # "technical", as NEW_TICKET
        "title": NEW_TICKET["subject"],
        "description": NEW_TICKET["description"],
        "submitter_email": "customer1@example.com",
        "priority": 3,
    }
    plan = [
        op("staff_ticket", [get(f"/helpdesk/tickets/{thread_id}/")], user="supervisor", **common),
        op(
            "staff_queue",
            [get("/helpdesk/tickets/"), _datatables({"status__in": [1, 2]})],
            user="supervisor",
            **common,
        ),
        op(
            "staff_queue_filtered",
            [
                get("/helpdesk/tickets/", {"status": 2, "priority": 2}),
                _datatables({"status__in": [2], "priority__in": [2]}),
            ],
            user="supervisor",
            **common,
        ),
        op(
            "staff_queue_search",
            [
                get("/helpdesk/tickets/", {"status": [1, 2], "q": SEARCH_WORD}),
                _datatables({"status__in": [1, 2]}, SEARCH_WORD),
            ],
            user="supervisor",
            **common,
        ),
        op(
            "api_create",
            [{"method": "post", "path": "/helpdesk/api/tickets/", "data": new}],
            token_of="supervisor",
            **common,
        ),
        op("dashboard", [get("/helpdesk/dashboard/")], user="supervisor", **common),
    ]
    if size <= api_list_max_size:
        # One query per ticket in the database on every request: above 10k tickets one sample is all there is time for.
        once = {"single": True} if size > 10000 else common
        plan.insert(4, op("api_list", [get("/helpdesk/api/tickets/")], token_of="supervisor", **once))
    return plan
