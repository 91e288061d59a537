"""SSRF: a webhook URL never reaches loopback, private, link-local, multicast, reserved or metadata addresses.

Literal addresses and host names resolving to them (the resolver is
replaced), IPv4 and IPv6, IPv4 inside IPv6; the address that was checked is
the one connected to (no DNS rebinding); redirects are not followed; a slow
receiver times out. The tests' settings allow 127.0.0.1 alone, for the receiver.
"""

import socket
import time

import pytest
from django.utils import timezone

from helpdesk_tickets import egress, services
from helpdesk_tickets.exceptions import WebhookTargetRefused
from helpdesk_tickets.models import WebhookDelivery, WebhookEndpoint
from tests.webhooks.conftest import open_ticket

REFUSED = [
    ("127.0.0.2", "loopback"),
    ("[::1]", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "private"),  # shared address space (CGNAT)
    ("[fd12:3456::1]", "private"),  # unique local
    ("169.254.10.1", "link-local"),
    ("[fe80::1]", "link-local"),
    ("224.0.0.1", "multicast"),
    ("[ff02::1]", "multicast"),
    ("0.0.0.0", "reserved"),  # nosec B104 - an address refused, not bound
    ("240.0.0.1", "reserved"),
    ("[::]", "reserved"),
    ("169.254.169.254", "metadata"),
    ("[fd00:ec2::254]", "metadata"),
    ("100.100.100.200", "metadata"),
    ("[::ffff:10.0.0.1]", "private"),  # IPv4-mapped
    ("[::ffff:169.254.169.254]", "metadata"),
    ("[::ffff:7f00:2]", "loopback"),
    ("[64:ff9b::a00:1]", "private"),  # NAT64 of 10.0.0.1
    ("[2002:a00:1::1]", "private"),  # 6to4 of 10.0.0.1
    ("2130706434", "loopback"),  # 127.0.0.2 written as a number
    ("0x7f.2", "loopback"),
]


class Resolver(dict):
    """Names mapped to their addresses (a list, or a list of lists: one answer per lookup); ``asked`` logs lookups."""

    def __init__(self):
        super().__init__()
        self.asked = []


@pytest.fixture
def resolver(monkeypatch):
    """Replace DNS for the names set in it; other names (and literal addresses) resolve as usual."""
    names = Resolver()
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in names:
            return real(host, port, *args, **kwargs)
        names.asked.append(host)
        answer = names[host]
        addresses = answer.pop(0) if answer and isinstance(answer[0], list) else answer
        family = {True: socket.AF_INET6, False: socket.AF_INET}
        return [(family[":" in a], socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


@pytest.mark.parametrize(("host", "kind"), REFUSED)
def test_literal_addresses_inside_the_network_are_refused(host, kind):
    with pytest.raises(WebhookTargetRefused) as refused:
        egress.resolve(f"https://{host}/hooks")
    assert kind in str(refused.value) and "WEBHOOK_ALLOW_PRIVATE_TARGETS" in str(refused.value)
    assert refused.value.code == "webhook_target_refused" and refused.value.field == "url"


@pytest.mark.parametrize(
    ("address", "kind"), [(h.strip("[]"), k) for h, k in REFUSED if "x" not in h and "." in h or ":" in h]
)
def test_host_names_resolving_inside_the_network_are_refused(resolver, address, kind):
    resolver["hooks.example.test"] = ["93.184.215.14", address]  # one bad address is enough
    with pytest.raises(WebhookTargetRefused) as refused:
        egress.resolve("https://hooks.example.test/x")
    assert kind in str(refused.value) and "hooks.example.test" in str(refused.value)


def test_public_addresses_pass_and_localhost_does_not(resolver, settings):
    resolver["hooks.example.test"] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    assert egress.resolve("https://hooks.example.test/x")[2] == [
        "93.184.215.14",
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
    ]
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "WEBHOOK_ALLOW_PRIVATE_TARGETS": False}
    with pytest.raises(WebhookTargetRefused, match="loopback"):
        egress.resolve("http://localhost:8100/")


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/", "file:///etc/passwd", "https:///nohost", "https://user:pw@example.com/", "http://[::1"],
)
def test_only_plain_http_urls_are_taken(url):
    with pytest.raises(WebhookTargetRefused):
        egress.check_url(url)


def test_an_unknown_host_is_refused_with_its_name(resolver):
    resolver["nowhere.example.test"] = []
    with pytest.raises(WebhookTargetRefused, match="nowhere.example.test could not be found"):
        egress.resolve("https://nowhere.example.test/")


def test_the_setting_allows_networks_or_everything_but_the_metadata(settings):
    base = settings.HELPDESK_TICKETS
    assert egress.refusal("127.0.0.1") is None  # the tests' receiver
    assert egress.refusal("127.0.0.2")
    settings.HELPDESK_TICKETS = {**base, "WEBHOOK_ALLOW_PRIVATE_TARGETS": ["10.0.0.0/8"]}
    assert egress.refusal("10.9.9.9") is None and egress.refusal("::ffff:10.9.9.9") is None
    assert egress.refusal("127.0.0.1") and egress.refusal("192.168.0.1")
    settings.HELPDESK_TICKETS = {**base, "WEBHOOK_ALLOW_PRIVATE_TARGETS": True}
    assert egress.refusal("192.168.0.1") is None and egress.refusal("::1") is None
    assert "metadata" in egress.refusal("169.254.169.254")
    settings.HELPDESK_TICKETS = {**base, "WEBHOOK_ALLOW_PRIVATE_TARGETS": ["169.254.169.254/32"]}
    assert egress.refusal("169.254.169.254") is None  # named explicitly: allowed
    settings.HELPDESK_TICKETS = {**base, "WEBHOOK_ALLOW_PRIVATE_TARGETS": False}
    assert egress.refusal("127.0.0.1")


def test_the_checked_address_is_the_one_connected_to(resolver, receiver):
    # The first lookup says 127.0.0.1, any later one an address inside the network: a rebinding attack.
    resolver["rebind.example.test"] = [["127.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]]
    answer = egress.post(f"http://rebind.example.test:{receiver.port}/hooks", b"{}", {"X-Test": "1"})
    assert answer.status == 204 and answer.address == "127.0.0.1"
    assert resolver.asked == ["rebind.example.test"]  # looked up once
    assert receiver.received[0].headers["host"] == f"rebind.example.test:{receiver.port}"


@pytest.mark.django_db
def test_a_refused_target_is_a_failed_attempt_and_is_retried(team, committed, resolver):
    resolver["internal.example.test"] = ["10.0.0.8"]
    WebhookEndpoint.objects.create(url="http://internal.example.test/hooks")
    committed(lambda: open_ticket(team))
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "private address (10.0.0.8)" in delivery.last_error
    assert "private address" in delivery.attempt_log.get().error


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_counts_as_failed(team, endpoint, receiver, committed):
    receiver.answer = lambda request: (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    committed(lambda: open_ticket(team))
    assert len(receiver.received) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code == 302
    assert "Redirect not followed" in delivery.last_error and "169.254.169.254" in delivery.last_error


@pytest.mark.django_db
def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(team, endpoint, receiver, committed, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "WEBHOOK_TIMEOUT": 0.5}

    def slow(request):
        time.sleep(1.5)
        return 204

    receiver.answer = slow
    started = time.monotonic()
    committed(lambda: open_ticket(team))
    assert time.monotonic() - started < 1.4
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "timed out" in delivery.last_error.lower()
    assert delivery.attempt_log.get().duration_ms >= 400


def test_https_certificates_are_verified(receiver):
    # A plain-HTTP port spoken to over TLS: the handshake fails, nothing is sent.
    with pytest.raises(egress.DeliveryFailed):
        egress.post(f"https://127.0.0.1:{receiver.port}/hooks", b"{}", {})
    assert receiver.received == []


@pytest.mark.django_db
def test_delivery_reads_the_url_when_sending_so_a_fixed_url_is_used_by_the_retry(team, receiver, committed):
    endpoint = WebhookEndpoint.objects.create(url="http://127.0.0.1:1/nothing-listens")
    committed(lambda: open_ticket(team))
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url)
    services.deliver_webhooks(now=timezone.now() + timezone.timedelta(seconds=6))
    assert WebhookDelivery.objects.get().status == "delivered" and len(receiver.received) == 1


@pytest.mark.django_db
def test_a_url_http_client_refuses_is_a_failed_attempt_not_a_stuck_batch(team, receiver, committed):
    # Saved around the admin's validation (the ORM): a space in the path.
    WebhookEndpoint.objects.create(url=receiver.url + "/a b")
    committed(lambda: open_ticket(team))
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.claim == "" and "InvalidURL" in delivery.last_error
    assert receiver.received == []
