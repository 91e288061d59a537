"""Tags, merging and bulk actions as services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk_tickets import services, signals
from helpdesk_tickets.models import Attachment, InboundEmail, Message, Status, ThreadMessageId, Ticket, TicketEvent
from tests.agents.helpers import Team, tag
from tests.factories import UserFactory, make_agent, make_supervisor

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return Team(size=2)


# --------------------------------------------------------------------------
# tags


def test_tags_are_added_once_removed_and_recorded(team):
    agent = team.agents[0]
    ticket = team.ticket()
    vip, refund = tag("VIP"), tag("Refund", team.department)
    updated_at = Ticket.objects.get(pk=ticket.pk).updated_at
    assert services.add_tags(ticket, [vip, refund], actor=agent) == [vip, refund]
    assert services.add_tags(ticket, [vip], actor=agent) == []
    assert set(ticket.tags.all()) == {vip, refund}
    assert services.remove_tags(ticket, [vip, vip], actor=agent) == [vip]
    assert list(ticket.tags.all()) == [refund]
    kinds = TicketEvent.objects.filter(ticket=ticket).exclude(kind="created").values_list("kind", "new_value")
    assert list(kinds) == [("tag_added", "VIP"), ("tag_added", "Refund"), ("tag_removed", "VIP")]
    # Staff-only: nothing the customer sees moved.
    assert Ticket.objects.get(pk=ticket.pk).updated_at == updated_at


def test_a_departments_tag_is_refused_elsewhere_and_only_staff_tag(team):
    other = Team(size=1, name="billing")
    theirs = tag("Invoice", other.department)
    ticket = team.ticket()
    with pytest.raises(ValidationError) as caught:
        services.add_tags(ticket, [theirs], actor=make_supervisor())
    assert "tags" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.add_tags(ticket, [tag("Global")], actor=other.agents[0])
    with pytest.raises(PermissionDenied):
        services.add_tags(ticket, [tag("Mine")], actor=team.customer)
    with pytest.raises(ValidationError):
        services.tags_by_slug(["invoice", "nope"], ticket=ticket)
    assert services.tags_by_slug(["global"], ticket=ticket)[0].slug == "global"


def test_set_tags_makes_the_list_exact(team):
    agent, ticket = team.agents[0], team.ticket()
    a, b, c = tag("A"), tag("B"), tag("C")
    services.add_tags(ticket, [a, b], actor=agent)
    assert services.set_tags(ticket, [b, c], actor=agent) == ([c], [a])
    assert set(ticket.tags.all()) == {b, c}


def test_tag_filter_is_staff_only(team):
    from helpdesk_tickets.filters import TicketFilterSet

    agent, ticket = team.agents[0], team.ticket()
    other = team.ticket(subject="untagged")
    services.add_tags(ticket, [tag("VIP")], actor=agent)

    class Request:
        def __init__(self, user):
            self.user = user

    def filtered(user, **params):
        return list(TicketFilterSet(params, queryset=Ticket.objects.visible_to(user), request=Request(user)).qs)

    assert filtered(agent, tag="vip") == [ticket]
    assert set(filtered(agent)) == {ticket, other}
    # The customer owns both tickets but learns nothing from a tag.
    assert filtered(team.customer, tag="vip") == []
    assert TicketFilterSet({"tag": "not a slug!"}, queryset=Ticket.objects.all()).is_valid() is False


# --------------------------------------------------------------------------
# merge


def test_merge_moves_the_thread_and_closes_the_source(team, django_capture_on_commit_callbacks):
    agent = team.agents[0]
    into = team.ticket(subject="Printer broken")
    source = team.ticket(subject="Printer still broken")
    services.post_reply(
        ticket=source,
        actor=team.customer,
        body="Photo attached",
        attachments=[SimpleUploadedFile("p.txt", b"x", content_type="text/plain")],
    )
    services.post_reply(ticket=source, actor=agent, body="note", internal=True)
    services.add_tags(source, [tag("Hardware")], actor=agent)
    ThreadMessageId.objects.create(message_id="old@example.com", ticket=source)
    inbound = InboundEmail.objects.create(sha256="a" * 64, ticket=source)
    source_messages = set(Message.objects.filter(ticket=source).values_list("pk", flat=True))
    heard = []

    def receiver(sender, ticket, into, actor, **kwargs):
        heard.append((ticket.pk, into.pk))

    signals.ticket_merged.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = services.merge_tickets(source, into, actor=agent)
    finally:
        signals.ticket_merged.disconnect(receiver)

    assert result is into and heard == [(source.pk, into.pk)]
    source.refresh_from_db()
    into.refresh_from_db()
    assert source.status == Status.CLOSED and source.merged_into == into and source.sla_due is None
    assert source_messages <= set(Message.objects.filter(ticket=into).values_list("pk", flat=True))
    assert Attachment.objects.get().message.ticket == into
    assert into.message_count == 3  # two descriptions and the customer's reply; internal notes are not counted
    assert [t.name for t in into.tags.all()] == ["Hardware"] and not source.tags.exists()
    assert ThreadMessageId.objects.get(message_id="old@example.com").ticket == into
    assert InboundEmail.objects.get(pk=inbound.pk).ticket == into
    # An internal note on both, a merged event on both.
    assert Message.objects.get(ticket=source).internal
    assert Message.objects.filter(ticket=into, internal=True, body__contains=source.reference).exists()
    for ticket in (source, into):
        event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.MERGED)
        assert (event.old_value, event.new_value, event.actor) == (source.reference, into.reference, agent)


def test_the_same_request_sent_again_is_a_duplicate_of_the_target(team):
    into = team.ticket(subject="One")
    source = team.ticket(subject="Two", description="Same words")
    services.merge_tickets(source, into, actor=team.agents[0])
    with pytest.raises(services.DuplicateTicket) as caught:
        team.ticket(subject="Two", description="Same words")
    assert caught.value.existing == into


def test_merge_refusals(team):
    agent = team.agents[0]
    a, b = team.ticket(), team.ticket()
    with pytest.raises(services.MergeIntoItself):
        services.merge_tickets(a, a, actor=agent)
    stranger = team.ticket(requester=UserFactory(username="stranger"))
    with pytest.raises(services.MergeAcrossRequesters) as caught:
        services.merge_tickets(stranger, a, actor=agent)
    assert caught.value.code == "merge_across_requesters" and caught.value.http_status == 409
    other = Team(size=1, name="billing")
    theirs = other.ticket(requester=team.customer)
    with pytest.raises(PermissionDenied):
        services.merge_tickets(theirs, a, actor=agent)
    services.close(b, actor=agent)
    with pytest.raises(services.MergeIntoClosed):
        services.merge_tickets(a, b, actor=agent)
    with pytest.raises(services.MergeOfClosed):
        services.merge_tickets(b, a, actor=agent)
    assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.MERGED).exists()
    # Said so, by someone who is staff of both: allowed.
    services.merge_tickets(stranger, a, actor=agent, across_requesters=True)
    assert Ticket.objects.get(pk=stranger.pk).merged_into_id == a.pk


def test_final_ticket_follows_a_chain_of_merges(team):
    agent = team.agents[0]
    a, b, c = team.ticket(), team.ticket(), team.ticket()
    services.merge_tickets(a, b, actor=agent)
    services.merge_tickets(b, c, actor=agent)
    assert services.final_ticket(Ticket.objects.get(pk=a.pk)) == c
    assert services.final_ticket(c) is c


# --------------------------------------------------------------------------
# bulk


def test_bulk_update_reports_each_ticket_and_a_refusal_stops_only_its_own(team):
    agent = team.agents[0]
    first, second, closed = team.ticket(), team.ticket(), team.ticket()
    services.close(closed, actor=agent)
    vip = tag("VIP")
    tickets, missing = services.tickets_for_bulk(
        [first.reference, closed.reference, "HD-NOPE", second.reference], actor=agent
    )
    results = services.bulk_update(tickets, actor=agent, status="in_progress", priority="high", add_tags=[vip])
    assert [(r.reference, r.ok, r.code) for r in results] == [
        (first.reference, True, ""),
        (closed.reference, False, "invalid_transition"),
        (second.reference, True, ""),
    ]
    assert [(r.reference, r.code) for r in missing] == [("HD-NOPE", "not_found")]
    assert results[1].message
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert (ticket.status, ticket.priority, list(ticket.tags.all())) == ("in_progress", "high", [vip])
    # The refused ticket kept everything, its tag included (one transaction per ticket).
    closed.refresh_from_db()
    assert (closed.status, closed.priority, closed.tags.count()) == ("closed", "normal", 0)


def test_bulk_merge_and_unknown_changes(team):
    agent = team.agents[0]
    into, a, b = team.ticket(), team.ticket(), team.ticket()
    results = services.bulk_update([a, into, b], actor=agent, merge_into=into)
    assert [r.code for r in results] == ["", "merge_into_itself", ""]
    assert set(Ticket.objects.filter(merged_into=into)) == {a, b}
    with pytest.raises(services.UnknownChange):
        services.bulk_update([into], actor=agent, department=None)


def test_bulk_assign_refuses_someone_who_is_not_staff_for_the_ticket(team):
    outsider = make_agent(Team(size=0, name="sales").department, username="outsider")
    ticket = team.ticket()
    (result,) = services.bulk_update([ticket], actor=team.agents[0], assignee=outsider)
    assert not result.ok and result.code == "invalid" and "agent" in result.message


# Queries per ticket, savepoints included (each service is its own atomic block):
# handling: 2 x 5 savepoints, then assign (lock, save, event, the agent's last assignment),
# priority (lock, save, event) and status (lock, save, event);
# tags: 2 x 2 savepoints, the tags carried, the link and the event;
# merge: 2 x 2 savepoints, both rows locked, messages, e-mails and Message-IDs moved, the tags
# (read, unlinked), the target saved, the source saved, two notes, three events.
PER_TICKET = {"handling": 20, "tags": 7, "merge": 17}


@pytest.mark.parametrize("changes", ["handling", "tags", "merge"])
def test_bulk_queries_grow_by_a_fixed_number_per_ticket(team, changes):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agent = team.agents[0]
    vip = tag("VIP")
    into = team.ticket(subject="target")

    def queries(n):
        tickets, _missing = services.tickets_for_bulk([team.ticket().reference for _ in range(n)], actor=agent)
        kwargs = {
            "handling": {"assignee": agent, "status": "in_progress", "priority": "high"},
            "tags": {"add_tags": [vip]},
            "merge": {"merge_into": into},
        }[changes]
        with CaptureQueriesContext(connection) as captured:
            results = services.bulk_update(tickets, actor=agent, **kwargs)
        assert all(r.ok for r in results), [r.message for r in results if not r.ok]
        return len(captured)

    queries(1)  # the first assignment writes the agent's status row
    few, many = queries(5), queries(20)
    per_ticket = (many - few) / 15
    assert few == 5 * per_ticket, (few, many)
    assert per_ticket == PER_TICKET[changes]


def test_the_api_list_takes_the_tag_filter_for_staff_only(team):
    from tests.factories import token_client

    agent, ticket = team.agents[0], team.ticket()
    team.ticket(subject="untagged")
    services.add_tags(ticket, [tag("VIP")], actor=agent)

    def refs(user, **params):
        response = token_client(user).get("/api/tickets/", params)
        assert response.status_code == 200, response.content
        return [row["reference"] for row in response.json()["results"]]

    assert refs(agent, tag="vip") == [ticket.reference]
    assert refs(team.customer, tag="vip") == []
    assert len(refs(team.customer)) == 2
    response = token_client(agent).get("/api/tickets/", {"tag": "not a slug!"})
    assert response.status_code == 400 and "tag" in response.json()
