"""Satisfaction (CSAT) figures per department and per agent: plain aggregates, four queries at most.

A rating counts in the period in which it was first given. "Satisfied" is a
score of 4 or 5 (the usual CSAT share); the average is of the 1–5 scores.
The agent of a rating is the ticket's assignee when it was rated.
"""

from django.db.models import Avg, Count, Q
from django.utils import timezone

from . import users
from .conf import settings as app_settings
from .models import SatisfactionRating
from .models.satisfaction import SATISFIED_FROM, SCORES


def _row(ratings=0, average=None, satisfied=0):
    return {
        "ratings": ratings,
        "average": round(average, 2) if average is not None else None,
        "satisfied": satisfied,
        "satisfied_share": round(100 * satisfied / ratings, 1) if ratings else None,
    }


_AGGREGATES = dict(
    ratings=Count("pk"),
    average=Avg("score"),
    satisfied=Count("pk", filter=Q(score__gte=SATISFIED_FROM)),
)


def figures(departments, window, now=None):
    """CSAT of the tickets of ``departments`` (instances) rated within ``window`` before ``now``.

    Returns ``{"since", "until", "overall": row, "departments": [row + "department"],
    "agents": [row + "agent"], "distribution": {score: count}}``; a row has ``ratings``,
    ``average`` (1–5, two decimals, or None), ``satisfied`` (scores of 4–5) and
    ``satisfied_share`` (percent, or None). Departments without ratings are listed
    with zeros; agents only when they have ratings, best first.
    """
    until = now or timezone.now()
    since = until - window
    department_list = list(departments)
    ids = [d.pk for d in department_list]
    ratings = SatisfactionRating.objects.filter(
        created_at__gte=since, created_at__lte=until, ticket__department_id__in=ids
    )
    by_department = {
        row["ticket__department_id"]: row
        for row in ratings.values("ticket__department_id").annotate(**_AGGREGATES).order_by()
    }
    agent_rows = list(ratings.filter(agent__isnull=False).values("agent_id").annotate(**_AGGREGATES).order_by())
    people = users.by_pks(row["agent_id"] for row in agent_rows)
    distribution = dict.fromkeys(SCORES, 0)
    for row in ratings.values("score").annotate(n=Count("pk")).order_by():
        distribution[row["score"]] = row["n"]

    total = sum(distribution.values())
    weighted = sum(score * count for score, count in distribution.items())
    overall = _row(
        total, weighted / total if total else None, sum(distribution[s] for s in SCORES if s >= SATISFIED_FROM)
    )
    department_rows = []
    for department in department_list:
        found = by_department.get(department.pk)
        row = _row(found["ratings"], found["average"], found["satisfied"]) if found else _row()
        department_rows.append({"department": department, **row})
    agents = [
        {"agent": people[row["agent_id"]], **_row(row["ratings"], row["average"], row["satisfied"])}
        for row in agent_rows
        if row["agent_id"] in people
    ]
    agents.sort(key=lambda row: (-(row["average"] or 0), -row["ratings"], users.display_name(row["agent"])))
    return {
        "since": since,
        "until": until,
        "overall": overall,
        "departments": department_rows,
        "agents": agents,
        "distribution": distribution,
    }


def enabled():
    return bool(app_settings.CSAT_ENABLED)
