"""Image previews (issue 15, item 6): thumbnails and the inline view, for raster images only, behind the same checks."""

import pytest
from django.urls import reverse

from helpdesk_tickets import services
from helpdesk_tickets.attachments import PREVIEW_TYPES, is_previewable
from helpdesk_tickets.models import Attachment
from tests.factories import HTML, PDF, PNG, SVG, upload, web_client

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def preview_url(ticket, attachment):
    return reverse("helpdesk_tickets:attachment_preview", args=[ticket.reference, attachment.pk])


def only_file(ticket):
    return Attachment.objects.get(message__ticket=ticket)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("shot.png", PNG, "image/png"),
        ("shot.jpg", JPEG, "image/jpeg"),
        ("anim.gif", GIF, "image/gif"),
        ("shot.webp", WEBP, "image/webp"),
    ],
)
def test_a_raster_image_opens_inline_with_nosniff_and_the_sandbox(client, desk, name, content, content_type):
    ticket = desk.open(attachments=[upload(name, content)])
    attachment = only_file(ticket)
    response = web_client(client, desk.customer).get(preview_url(ticket, attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == content
    # The plain download link stays a download.
    download = client.get(reverse("helpdesk_tickets:attachment_download", args=[ticket.reference, attachment.pk]))
    assert download["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("name", "content"),
    [("logo.png", SVG), ("page.png", HTML), ("x.pdf", PDF), ("notes.txt", b"plain text"), ("x.txt", SVG)],
)
def test_anything_else_is_still_a_download_even_through_the_preview_address(client, desk, name, content):
    # An SVG or HTML file named .png is sniffed from its bytes: never image/png, never inline.
    ticket = desk.open(attachments=[upload(name, content)])
    attachment = only_file(ticket)
    assert not is_previewable(attachment.content_type)
    response = web_client(client, desk.customer).get(preview_url(ticket, attachment))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"].split(";")[0] not in {"image/svg+xml", "text/html"}
    assert response["X-Content-Type-Options"] == "nosniff"


def test_svg_and_html_are_never_preview_types():
    assert PREVIEW_TYPES == {"image/png", "image/jpeg", "image/gif", "image/webp"}
    for content_type in ("image/svg+xml", "text/html", "application/xhtml+xml", "application/pdf", "", None):
        assert not is_previewable(content_type)
    assert is_previewable("IMAGE/PNG; charset=binary")


def test_the_preview_is_as_private_as_the_download(client, desk):
    ticket = desk.open(attachments=[upload("shot.png", PNG)])
    attachment = only_file(ticket)
    note = services.post_reply(
        ticket=ticket, actor=desk.agent, body="Internal", internal=True, attachments=[upload("inside.png", PNG)]
    )
    internal_file = note.attachments.get()
    # Another customer: 404, for the file of the ticket and for the note's.
    web_client(client, desk.other)
    assert client.get(preview_url(ticket, attachment)).status_code == 404
    # The customer of the ticket does not see the internal note's image; the agent does.
    web_client(client, desk.customer)
    assert client.get(preview_url(ticket, internal_file)).status_code == 404
    web_client(client, desk.agent)
    assert client.get(preview_url(ticket, internal_file))["Content-Disposition"].startswith("inline;")
    # Logged out: to the login page, never the file.
    client.logout()
    assert client.get(preview_url(ticket, attachment)).status_code == 302


def test_a_merged_tickets_preview_follows_its_file(client, desk):
    source = desk.open(attachments=[upload("shot.png", PNG)])
    into = desk.open(subject="The other one", description="Second ticket")
    attachment = only_file(source)
    services.merge_tickets(source, into, actor=desk.agent)
    response = web_client(client, desk.customer).get(preview_url(source, attachment))
    assert response.status_code == 302
    assert response["Location"] == preview_url(into, attachment)


def test_the_thread_shows_thumbnails_for_images_only(client, desk):
    ticket = desk.open(attachments=[upload("shot.png", PNG), upload("spec.pdf", PDF)])
    image = Attachment.objects.get(message__ticket=ticket, original_name="shot.png")
    pdf = Attachment.objects.get(message__ticket=ticket, original_name="spec.pdf")
    for user, url_name in ((desk.customer, "ticket_detail"), (desk.agent, "staff_ticket_detail")):
        page = web_client(client, user).get(reverse(f"helpdesk_tickets:{url_name}", args=[ticket.reference]))
        html = page.content.decode()
        assert f'<img src="{preview_url(ticket, image)}"' in html
        assert preview_url(ticket, pdf) not in html
        assert 'alt="Preview: shot.png"' in html
        # The page's CSP is untouched: images from the site itself only.
        assert "img-src 'self'" in page["Content-Security-Policy"]
