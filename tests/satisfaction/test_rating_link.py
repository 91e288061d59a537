"""The signed rating link: GET only shows the form, POST records once per resolution, for that ticket only."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpdesk_tickets import ratinglink, services, signals
from helpdesk_tickets.models import SatisfactionRating, Status
from tests.factories import client_for, make_ticket

from .helpers import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return Cast()


def test_get_shows_the_form_and_records_nothing(cast):
    response = Client().get(cast.url())
    assert response.status_code == 200
    assert b'name="score"' in response.content
    assert cast.ticket.reference.encode() in response.content
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    # A mail scanner following the e-mail's buttons, every one of them: still nothing recorded.
    for score in range(1, 6):
        assert Client().get(cast.url(), {"score": score}).status_code == 200
    assert not SatisfactionRating.objects.exists()


def test_the_score_of_the_email_button_is_preselected(cast):
    response = Client().get(cast.url(), {"score": "4"})
    assert b'value="4" id="id_score_3" checked' in response.content


def test_post_records_one_rating_without_logging_in(cast, django_capture_on_commit_callbacks):
    sent = []
    signals.rating_given.connect(lambda **kw: sent.append(kw), weak=False, dispatch_uid="t-rating")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(cast.url(), {"score": "5", "comment": "Quick and kind."})
    finally:
        signals.rating_given.disconnect(dispatch_uid="t-rating")
    assert response.status_code == 302
    rating = SatisfactionRating.objects.get()
    assert (rating.ticket, rating.score, rating.comment) == (cast.ticket, 5, "Quick and kind.")
    assert rating.agent == cast.agent
    assert rating.resolved_at == cast.ticket.resolved_at
    assert sent and sent[0]["rating"] == rating and sent[0]["actor"] == cast.customer
    assert sent[0]["ticket"].pk == cast.ticket.pk
    # The page after the redirect shows the rating, and the form to change it.
    page = Client().get(cast.url())
    assert "5 of 5" in page.content.decode()


def test_a_second_post_changes_the_one_rating(cast):
    client = Client()
    client.post(cast.url(), {"score": "2"})
    client.post(cast.url(), {"score": "4", "comment": "Better on second thought."})
    rating = SatisfactionRating.objects.get()
    assert (rating.score, rating.comment) == (4, "Better on second thought.")
    assert rating.updated_at >= rating.created_at


def test_the_same_rating_twice_sends_the_signal_once(cast, django_capture_on_commit_callbacks):
    sent = []
    signals.rating_given.connect(lambda **kw: sent.append(kw), weak=False, dispatch_uid="t-rating2")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(2):
                Client().post(cast.url(), {"score": "3"})
    finally:
        signals.rating_given.disconnect(dispatch_uid="t-rating2")
    assert len(sent) == 1
    assert SatisfactionRating.objects.count() == 1


@pytest.mark.parametrize("score", ["0", "6", "x", ""])
def test_a_score_off_the_scale_is_refused(cast, score):
    response = Client().post(cast.url(), {"score": score})
    assert response.status_code == 400
    assert not SatisfactionRating.objects.exists()


def test_a_tampered_token_is_a_404(cast):
    url = cast.url()
    prefix, token = url.rstrip("/").rsplit("/", 1)
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert Client().get(f"{prefix}/{changed}/").status_code == 404
    assert Client().post(f"{prefix}/{changed}/", {"score": "1"}).status_code == 404
    assert not SatisfactionRating.objects.exists()


def test_the_token_of_one_ticket_does_not_rate_another(cast):
    other = make_ticket(requester=cast.customer, department=cast.department)
    services.resolve(other, actor=cast.agent)
    token = ratinglink.make_token(cast.ticket)
    url = reverse("helpdesk_tickets:ticket_rate", kwargs={"reference": other.reference, "token": token})
    assert Client().get(url).status_code == 404
    assert Client().post(url, {"score": "1"}).status_code == 404
    assert not SatisfactionRating.objects.exists()


def test_a_token_made_with_another_salt_is_refused(cast):
    from django.core import signing

    forged = signing.Signer().sign_object(
        [cast.ticket.reference, ratinglink.resolution_marker(cast.ticket.resolved_at)]
    )
    url = reverse("helpdesk_tickets:ticket_rate", kwargs={"reference": cast.ticket.reference, "token": forged})
    assert Client().post(url, {"score": "1"}).status_code == 404


def test_after_the_edit_window_the_rating_stays_as_it_was(cast, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "CSAT_EDIT_DAYS": 3}
    Client().post(cast.url(), {"score": "2"})
    SatisfactionRating.objects.update(created_at=timezone.now() - timedelta(days=3, minutes=1))
    response = Client().post(cast.url(), {"score": "5"})
    assert response.status_code == 409
    assert "can no longer be changed" in response.content.decode()
    assert SatisfactionRating.objects.get().score == 2
    page = Client().get(cast.url())
    assert page.status_code == 200 and b'name="score"' not in page.content


def test_within_the_edit_window_it_can_be_changed(cast, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "CSAT_EDIT_DAYS": 3}
    Client().post(cast.url(), {"score": "2"})
    SatisfactionRating.objects.update(created_at=timezone.now() - timedelta(days=2, hours=23))
    assert Client().post(cast.url(), {"score": "5"}).status_code == 302
    assert SatisfactionRating.objects.get().score == 5


def test_reopening_drops_the_rating_and_the_old_link(cast):
    old_url = cast.url()
    Client().post(old_url, {"score": "1", "comment": "Not fixed."})
    services.reopen(cast.ticket, actor=cast.customer)
    assert not SatisfactionRating.objects.exists()
    assert Client().get(old_url).status_code == 410
    assert Client().post(old_url, {"score": "5"}).status_code == 409
    assert not SatisfactionRating.objects.exists()
    # Resolved again: a new resolution, a new link, a new rating; the old link still rates nothing.
    services.resolve(cast.ticket, actor=cast.agent)
    cast.ticket.refresh_from_db()
    assert cast.url() != old_url
    assert Client().post(old_url, {"score": "5"}).status_code == 409
    assert Client().post(cast.url(), {"score": "4"}).status_code == 302
    assert SatisfactionRating.objects.get().score == 4


def test_a_customer_reply_that_reopens_drops_the_rating_too(cast):
    Client().post(cast.url(), {"score": "3"})
    services.post_reply(ticket=cast.ticket, actor=cast.customer, body="It broke again.")
    cast.ticket.refresh_from_db()
    assert cast.ticket.status == Status.IN_PROGRESS
    assert not SatisfactionRating.objects.exists()


def test_closing_keeps_the_rating_and_the_link(cast):
    Client().post(cast.url(), {"score": "4"})
    url = cast.url()
    services.close(cast.ticket, actor=cast.customer)
    cast.ticket.refresh_from_db()
    assert cast.url() == url
    assert Client().post(url, {"score": "5"}).status_code == 302
    assert SatisfactionRating.objects.get().score == 5


def test_an_open_ticket_has_no_link():
    ticket = make_ticket()
    assert ratinglink.rating_path(ticket) is None
    assert ratinglink.make_token(ticket) is None


def test_ratings_off_means_no_link_and_no_page(cast, settings):
    url = cast.url()
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "CSAT_ENABLED": False}
    assert ratinglink.rating_path(cast.ticket) is None
    assert Client().get(url).status_code == 404
    assert Client().post(url, {"score": "5"}).status_code == 404
    with pytest.raises(services.RatingUnavailable):
        services.rate_ticket(
            cast.ticket,
            resolution=ratinglink.resolution_marker(cast.ticket.resolved_at),
            score=5,
            actor=cast.customer,
        )
    assert not SatisfactionRating.objects.exists()


def test_the_service_refuses_a_stale_resolution(cast):
    stale = ratinglink.resolution_marker(cast.ticket.resolved_at) - 1
    with pytest.raises(services.RatingUnavailable):
        services.rate_ticket(cast.ticket, resolution=stale, score=5, actor=cast.customer)


def test_the_rating_page_of_a_logged_in_other_customer_still_rates_only_that_ticket(cast):
    """The signed link is the authority: whoever follows it rates that ticket, as its requester."""
    from tests.factories import UserFactory

    stranger = client_for(UserFactory(username="stranger"))
    assert stranger.post(cast.url(), {"score": "5"}).status_code == 302
    rating = SatisfactionRating.objects.get()
    assert rating.ticket == cast.ticket


def test_the_page_answers_with_a_constant_number_of_queries(cast, django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(2):  # the ticket, its current rating
        client.get(cast.url())
    client.post(cast.url(), {"score": "4"})
    with django_assert_num_queries(2):
        client.get(cast.url())


def test_one_resolution_has_one_link(cast):
    assert ratinglink.make_token(cast.ticket) == ratinglink.make_token(cast.ticket)
