"""Bulk actions at the size the staff queue and the API allow (``MAX_BULK_TICKETS``, 500).

``tests/agents/test_merge_tags_bulk.py`` pins the queries per ticket on 5 and
20 tickets; this checks that the same fixed number holds over a full bulk
action of 500, so the cost never grows faster than the tickets.
"""

import pytest
from django.db import connection

from helpdesk_tickets import services
from tests.agents.helpers import Team, tag
from tests.agents.test_merge_tags_bulk import PER_TICKET

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("changes", ["handling", "tags"])
def test_a_full_bulk_action_costs_the_same_queries_per_ticket(changes):
    team = Team(size=2)
    agent = team.agents[0]
    vip = tag("VIP")
    kwargs = {
        "handling": {"assignee": agent, "status": "in_progress", "priority": "high"},
        "tags": {"add_tags": [vip]},
    }[changes]
    services.bulk_update([team.ticket()], actor=agent, **kwargs)  # the first assignment writes the agent's row
    references = [team.ticket(subject=f"Bulk {n}").reference for n in range(services.MAX_BULK_TICKETS)]
    tickets, missing = services.tickets_for_bulk(references, actor=agent)
    assert (len(tickets), missing) == (services.MAX_BULK_TICKETS, [])

    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    # Counted as they run: Django's own query log keeps only the last 9000.
    with connection.execute_wrapper(count):
        results = services.bulk_update(tickets, actor=agent, **kwargs)

    assert all(result.ok for result in results)
    assert len(executed) == services.MAX_BULK_TICKETS * PER_TICKET[changes]
