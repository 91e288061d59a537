"""The staff queue: scope, filters, search, sorting, the SLA column, pages and a constant number of queries."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.test import override_settings

from helpdesk_tickets import services, users
from tests.factories import ProductFactory, TicketTypeFactory, client_for
from tests.staff.helpers import make_desk

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.staff.helpers")]

QUEUE = "/support/staff/"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def desk():
    return make_desk()


def refs(response):
    """References listed in the queue table, in order."""
    return [t.reference for t in response.context["tickets"]]


def test_agent_sees_open_tickets_of_their_departments(desk):
    mine = desk.ticket(subject="Sales one")
    other = desk.ticket(desk.billing, subject="Billing one")
    closed = desk.ticket(subject="Old one")
    services.close(closed, actor=desk.agent)
    response = client_for(desk.agent).get(QUEUE)
    assert refs(response) == [mine.reference]
    page = response.content.decode()
    person = (
        '<bdi>Cyrus Rahimi</bdi> <bdi class="hdt-staff-username" dir="ltr">(cust)</bdi>'
        if users.name_fields()
        else f'<bdi dir="ltr">{desk.customer.get_username()}</bdi>'
    )
    for text in (mine.reference, "Sales one", person, "Sales", "New", "Normal", "unassigned", " min</td>"):
        assert text in page
    assert other.reference not in page
    # The supervisor sees both departments.
    assert set(refs(client_for(desk.supervisor).get(QUEUE))) == {mine.reference, other.reference}


def test_status_filter(desk):
    open_ticket, closed = desk.ticket(), desk.ticket()
    services.close(closed, actor=desk.agent)
    client = client_for(desk.agent)
    assert refs(client.get(QUEUE, {"status": "closed"})) == [closed.reference]
    assert set(refs(client.get(QUEUE, {"status": "all"}))) == {open_ticket.reference, closed.reference}


def test_assignee_filters(desk):
    mine, nobodys, bosses = desk.ticket(), desk.ticket(), desk.ticket()
    services.assign(mine, desk.agent, actor=desk.agent)
    services.assign(bosses, desk.supervisor, actor=desk.supervisor)
    client = client_for(desk.agent)
    assert refs(client.get(QUEUE, {"assignee": "mine"})) == [mine.reference]
    assert refs(client.get(QUEUE, {"assignee": "unassigned"})) == [nobodys.reference]
    assert refs(client.get(QUEUE, {"assignee": desk.supervisor.pk})) == [bosses.reference]
    counts = client.get(QUEUE).context["counts"]
    assert (counts["open"], counts["mine"], counts["unassigned"]) == (3, 1, 1)


def test_department_type_product_and_priority_filters(desk):
    other_type = TicketTypeFactory(name="Bug")
    product = ProductFactory(name="Cloud")
    plain = desk.ticket()
    typed = desk.ticket(ticket_type=other_type)
    with_product = desk.ticket(product=product)
    urgent = desk.ticket(priority="urgent")
    billing = desk.ticket(desk.billing)
    client = client_for(desk.supervisor)
    assert refs(client.get(QUEUE, {"ticket_type": other_type.pk})) == [typed.reference]
    assert refs(client.get(QUEUE, {"product": product.pk})) == [with_product.reference]
    assert refs(client.get(QUEUE, {"priority": "urgent"})) == [urgent.reference]
    assert refs(client.get(QUEUE, {"department": desk.billing.pk})) == [billing.reference]
    assert plain.reference in refs(client.get(QUEUE, {"department": desk.sales.pk}))


def test_department_filter_cannot_reach_other_departments(desk):
    desk.ticket(desk.billing)
    response = client_for(desk.agent).get(QUEUE, {"department": desk.billing.pk})
    assert refs(response) == []


def test_stale_filter_values_are_ignored(desk):
    ticket = desk.ticket()
    response = client_for(desk.agent).get(QUEUE, {"priority": "bogus", "department": "999", "sort": "x"})
    assert response.status_code == 200 and refs(response) == [ticket.reference]


def test_sla_filters_and_column(desk):
    with at(T0):
        late = desk.ticket(subject="late")
        soon = desk.ticket(subject="soon")
        waiting = desk.ticket(subject="waiting")
        services.post_reply(ticket=waiting, actor=desk.agent, body="Need details")
    with at(T0 + timedelta(minutes=25)):
        fresh = desk.ticket(subject="fresh")
    for ticket, due in ((soon, T0 + timedelta(minutes=50)), (fresh, T0 + timedelta(hours=3))):
        ticket.first_response_due = due
        ticket.save(update_fields=["first_response_due"])
    client = client_for(desk.agent)
    with at(T0 + timedelta(minutes=40)):
        assert refs(client.get(QUEUE, {"sla": "breached"})) == [late.reference]
        assert refs(client.get(QUEUE, {"sla": "at_risk"})) == [soon.reference]
        assert refs(client.get(QUEUE, {"sla": "paused"})) == [waiting.reference]
        assert refs(client.get(QUEUE, {"sla": "on_track"})) == [fresh.reference]
        response = client.get(QUEUE)
    page = response.content.decode()
    assert "Breached 10 min ago" in page and ">Breached</td>" in page
    assert ">10 min</td>" in page and ">2 h 20 min</td>" in page and ">Paused</td>" in page
    assert response.context["counts"]["breached"] == 1
    # Sorted by the running deadline: the late one first, the paused one (no deadline) last.
    assert refs(response) == [late.reference, soon.reference, fresh.reference, waiting.reference]


def test_sort_by_priority_and_activity(desk):
    with at(T0):
        low = desk.ticket(priority="low")
    with at(T0 + timedelta(minutes=1)):
        urgent = desk.ticket(priority="urgent")
    with at(T0 + timedelta(minutes=2)):
        normal = desk.ticket()
    with at(T0 + timedelta(minutes=3)):
        services.post_reply(ticket=low, actor=desk.customer, body="Any news?")
    with at(T0 + timedelta(minutes=4)):
        # An internal note is no activity the customer could see (SPEC §4), so it moves nothing.
        services.post_reply(ticket=urgent, actor=desk.agent, body="note", internal=True)
    client = client_for(desk.agent)
    assert refs(client.get(QUEUE, {"sort": "priority"})) == [urgent.reference, normal.reference, low.reference]
    assert refs(client.get(QUEUE, {"sort": "activity"})) == [low.reference, normal.reference, urgent.reference]
    assert refs(client.get(QUEUE, {"sort": "created"})) == [normal.reference, urgent.reference, low.reference]


@pytest.mark.parametrize("sort", ["", "due", "priority", "activity", "created"])
def test_search_results_keep_the_chosen_order(desk, sort):
    """A search sorts its matches exactly as the queue sorts every ticket (paused ones, without a deadline, last)."""
    for i, priority in enumerate(["low", "urgent", "normal", "high", "urgent"]):
        with at(T0 + timedelta(minutes=i)):
            ticket = desk.ticket(subject=f"printer jam {i}", priority=priority)
            desk.ticket(subject=f"other {i}", priority=priority)
            if i == 1:
                services.post_reply(ticket=ticket, actor=desk.agent, body="Which model?")  # paused
            if i == 3:
                services.post_reply(ticket=ticket, actor=desk.agent, body="On it")
                services.change_status(ticket, "in_progress", actor=desk.agent)
    client = client_for(desk.agent)
    everything = refs(client.get(QUEUE, {"sort": sort}))
    matches = refs(client.get(QUEUE, {"sort": sort, "q": "printer"}))
    assert len(matches) == 5
    assert matches == [ref for ref in everything if ref in matches]


def test_search_normalises_persian(desk):
    # Typed on an Arabic keyboard (Arabic yeh and kaf) with a zero-width non-joiner.
    card = desk.ticket(subject="مشكل پرداخت با كارت", description="نمی\u200cتوانم پرداخت كنم")
    desk.ticket(subject="سوال درباره فاکتور", description="فاکتور ماه قبل")
    client = client_for(desk.agent)
    assert refs(client.get(QUEUE, {"q": "کارت"})) == [card.reference]  # Persian keheh
    assert refs(client.get(QUEUE, {"q": "نمیتوانم"})) == [card.reference]
    assert refs(client.get(QUEUE, {"q": "پرداخت کارت"})) == [card.reference]
    assert refs(client.get(QUEUE, {"q": "کارت فاکتور"})) == []  # every word must match


def test_search_by_reference_and_customer(desk):
    ticket = desk.ticket(subject="Invoice is wrong")
    other = desk.ticket(requester=desk.customer2, subject="Password reset")
    client = client_for(desk.agent)
    assert refs(client.get(QUEUE, {"q": ticket.reference.lower()})) == [ticket.reference]
    assert refs(client.get(QUEUE, {"q": "INVOICE"})) == [ticket.reference]
    assert refs(client.get(QUEUE, {"q": "dana@example.com"})) == [other.reference]
    assert refs(client.get(QUEUE, {"q": "nothing like this"})) == []


@override_settings(HELPDESK_TICKETS={"PAGE_SIZE": 2})
def test_pages_keep_the_filters(desk):
    for _ in range(5):
        desk.ticket(priority="high")
    desk.ticket(priority="low")
    client = client_for(desk.agent)
    first = client.get(QUEUE, {"priority": "high", "sort": "created"})
    assert len(refs(first)) == 2 and first.context["paginator"].count == 5
    assert "?priority=high&amp;sort=created&amp;page=2" in first.content.decode()
    last = client.get(QUEUE, {"priority": "high", "sort": "created", "page": 3})
    assert len(refs(last)) == 1
    # A page that no longer exists shows the last one.
    assert refs(client.get(QUEUE, {"priority": "high", "sort": "created", "page": 9})) == refs(last)


def test_whole_queue_pages_count_from_the_summary(desk, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "PAGE_SIZE": 2}
    for i in range(5):
        desk.ticket(subject=f"open {i}")
    services.close(desk.ticket(subject="closed"), actor=desk.agent)
    client = client_for(desk.agent)
    first = client.get(QUEUE)
    assert first.context["counts"]["open"] == 5
    assert first.context["paginator"].count == 5 and first.context["paginator"].num_pages == 3
    seen = refs(first) + refs(client.get(QUEUE, {"page": 2})) + refs(client.get(QUEUE, {"page": 3}))
    assert len(seen) == len(set(seen)) == 5
    # Sorting alone keeps the whole queue; a filter counts its own rows.
    assert client.get(QUEUE, {"sort": "created"}).context["paginator"].count == 5
    assert client.get(QUEUE, {"status": "closed"}).context["paginator"].count == 1


# session, user, supervisor check (user and group permissions), agent's departments, assignee choices,
# tag choices, the tab counts (which are also the page count of the whole queue), the page itself, its
# rows' tags (one query for the page), department / type / product choices and whether the agent is away.
QUEUE_QUERIES = 14


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({}, QUEUE_QUERIES),
        # two more: the filtered rows are counted for the pages, and the department choice is
        # validated against the agent's departments
        ({"q": "subject", "assignee": "mine", "sort": "priority", "department": "sales", "status": "all"}, 16),
    ],
)
def test_constant_number_of_queries(desk, django_assert_num_queries, filters, expected):
    client = client_for(desk.agent)
    product = ProductFactory()
    if filters.get("department"):
        filters = {**filters, "department": desk.sales.pk}

    def fill(n):
        for i in range(n):
            ticket = desk.ticket(product=product if i % 2 else None, subject=f"subject {i}")
            if i % 3 == 0:
                services.assign(ticket, desk.agent, actor=desk.agent)

    fill(3)
    with django_assert_num_queries(expected):
        assert client.get(QUEUE, filters).status_code == 200
    fill(27)
    with django_assert_num_queries(expected):
        response = client.get(QUEUE, filters)
    if not filters:
        assert len(refs(response)) == 25
