"""Issue 15, the rest, held in Chromium in Persian and in English: presence and the warning before sending,
upload progress, files kept after the server refused a form, image thumbnails."""

import re
import struct
import zlib

import pytest
from django.test import override_settings

from helpdesk_tickets import services, users
from helpdesk_tickets.models import Attachment
from tests.browser import test_ux_round2 as round2
from tests.browser.axe import axe_source, serious_violations
from tests.factories import UserFactory, make_agent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The round-2 tests' cast and fixtures (both languages), used here as they are.
language, browser_context_args, shop, log_in = round2.language, round2.browser_context_args, round2.shop, round2.log_in


def png(width=40, height=24):
    """A real, decodable PNG (a blue rectangle), so that the thumbnail has a size."""
    row = b"\x00" + b"\x1f\x5f\xbf" * width
    raw = zlib.compress(row * height)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def new_tab(chromium, language, width=1366, height=900):
    # bypass_csp: axe-core is injected by the test, not by the page.
    context = chromium.new_context(
        locale={"fa": "fa-IR", "en": "en-US"}[language], viewport={"width": width, "height": height}, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    # Heartbeats every half second instead of fifteen: the test waits for them.
    context.add_init_script("window.hdtPresenceInterval = 500;")
    return context.new_page()


def open_ticket(shop, **kwargs):
    return services.create_ticket(
        requester=shop["customer"],
        department=shop["sales"],
        ticket_type=shop["type"],
        subject=kwargs.pop("subject", "Invoice 1405 is wrong"),
        description=kwargs.pop("description", "The amount is twice what I ordered."),
        **kwargs,
    )


def test_presence_and_a_warning_before_sending_then_the_held_reply_keeps_its_files(
    chromium, live_server, language, shop, tmp_path
):
    axe = axe_source()
    ticket = open_ticket(shop)
    colleague = make_agent(shop["sales"], username="mina", first_name="Mina", last_name="Rahimi")
    shot = tmp_path / "screen.png"
    shot.write_bytes(png())
    url = f"/support/staff/tickets/{ticket.reference}/"

    reza = new_tab(chromium, language)
    log_in(reza, live_server, shop["agent"], url)
    mina = new_tab(chromium, language)
    log_in(mina, live_server, colleague, url)
    # Each sees the other; typing makes it "writing a reply".
    mina.locator(".hdt-staff-presence-viewing", has_text=users.staff_label(shop["agent"])).wait_for()
    mina.fill("#id_body", "I am on it")
    reza.locator(".hdt-staff-presence-replying", has_text=users.staff_label(colleague)).wait_for()
    mina.context.close()

    # The customer writes while Reza types: he is told before sending, with a way to read it.
    reza.fill("#id_body", "The corrected invoice is attached.")
    reza.set_input_files("#id_attachments", [str(shot)])
    services.post_reply(ticket=ticket, actor=shop["customer"], body="Also the VAT number is missing.")
    warning = reza.locator(".hdt-staff-presence-warning")
    warning.wait_for()
    assert warning.locator("a").get_attribute("target") == "_blank"
    assert serious_violations(reza, axe) == []

    # Sending anyway: held, the new message shown, the text AND the file still there.
    reza.locator("button[data-public]").click()
    reza.locator(".hdt-staff-held").wait_for()
    assert "VAT number" in reza.locator(".hdt-staff-thread").inner_text()
    assert reza.input_value("#id_body") == "The corrected invoice is attached."
    assert reza.evaluate("document.getElementById('id_attachments').files.length") == 1
    reza.locator(".hdt-file-kept").wait_for()
    assert not reza.locator("[data-hdt-files-lost]").is_visible()
    # The second click sends it, the file with it.
    reza.locator("button[data-public]").click()
    reza.locator(".hdt-messages").wait_for()
    reply = ticket.messages.filter(author=shop["agent"]).get()
    assert reply.body == "The corrected invoice is attached."
    assert list(Attachment.objects.filter(message=reply).values_list("original_name", flat=True)) == ["screen.png"]
    # The image is shown as a thumbnail that the browser could decode.
    thumb = reza.locator(f"#message-{reply.pk} .hdt-thumb img")
    thumb.wait_for()
    thumb.scroll_into_view_if_needed()  # loaded lazily, once in view
    reza.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert reza.evaluate("(img) => img.naturalWidth", thumb.element_handle()) == 40
    assert serious_violations(reza, axe) == []
    reza.context.close()


def test_the_customer_form_shows_progress_and_keeps_files_when_the_server_refuses_it(
    page, live_server, language, shop, tmp_path, settings
):
    open_ticket(shop, subject="An earlier question", description="Still open.")
    shot = tmp_path / "رسید.png"
    shot.write_bytes(png())
    page.add_init_script(
        """window.addEventListener('DOMContentLoaded', () => {
            new MutationObserver(() => { const box = document.querySelector('.hdt-upload');
                if (!box || sessionStorage.getItem('progress-seen')) return;
                sessionStorage.setItem('progress-seen', '1');
                requestAnimationFrame(() => sessionStorage.setItem('progress-in-view',
                    box.getBoundingClientRect().bottom <= innerHeight + 1 ? '1' : '0'));
            }).observe(document, {subtree: true, childList: true});
        });"""
    )
    # A phone-sized window: the bar appears below the button, at the edge of the screen.
    page.set_viewport_size({"width": 390, "height": 600})
    log_in(page, live_server, shop["customer"], "/support/new/sales/question/")
    with override_settings(HELPDESK_TICKETS={**settings.HELPDESK_TICKETS, "MAX_OPEN_TICKETS_PER_CUSTOMER": 1}):
        page.fill("#id_subject", "Refund for order 7")
        page.fill("#id_description", "Please refund the second charge.")
        page.set_input_files("#id_attachments", [str(shot)])
        send = page.locator("form.hdt-form button[type=submit]")
        # The button at the bottom edge of the screen, where the bar below it starts out of sight.
        send.evaluate("b => { b.scrollIntoView({block: 'end'}); window.scrollBy(0, -2); }")
        send.click()
        page.locator("[data-hdt-focus]").wait_for()
    assert page.evaluate("sessionStorage.getItem('progress-seen')") == "1"
    assert page.evaluate("sessionStorage.getItem('progress-in-view')") == "1", "the progress bar was out of sight"
    page.snap("refused-with-files-kept")
    assert page.input_value("#id_subject") == "Refund for order 7"
    assert page.evaluate("document.getElementById('id_attachments').files[0].name") == "رسید.png"
    assert page.locator(".hdt-file-kept").is_visible()
    # Once the limit allows it, the same click sends the ticket with its file.
    page.locator("form.hdt-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/support/tickets/HD-\w+/$"))
    page.locator(".hdt-thumb img").wait_for()
    names = Attachment.objects.filter(message__ticket__subject="Refund for order 7").values_list(
        "original_name", flat=True
    )
    assert list(names) == ["رسید.png"]


def test_the_support_label_is_not_a_tab(page, live_server, language, shop):
    log_in(page, live_server, shop["customer"], "/support/")
    label = page.locator(".hdt-nav-title")
    tab = page.locator(".hdt-nav a").first
    size = "(el) => parseFloat(getComputedStyle(el).fontSize)"
    assert page.evaluate(size, label.element_handle()) < page.evaluate(size, tab.element_handle())
    assert label.get_attribute("aria-hidden") == "true"  # the nav's own label names it for screen readers
    assert page.evaluate("(el) => getComputedStyle(el).borderInlineEndStyle", label.element_handle()) == "solid"


def test_looking_up_the_caller_keeps_subject_description_and_files(page, live_server, language, shop, tmp_path):
    caller = UserFactory(username="c-1358", first_name="سارا", last_name="رضایی", email="s1358@example.com")
    shot = tmp_path / "screen.png"
    shot.write_bytes(png())
    log_in(page, live_server, shop["agent"], "/support/staff/new/")
    # The agent types while the customer talks, attaches the screenshot they mailed, then looks them up.
    page.fill("#id_subject", "Cannot renew the domain")
    page.fill("#id_description", "Card refused twice.")
    page.set_input_files("#id_attachments", [str(shot)])
    # Her name in Latin letters; on a site whose users have no names, the start of her address.
    page.fill("#hdt-staff-find", "sara rezaei" if users.name_fields() else "s1358")
    page.locator("button[name=lookup]").click()
    page.locator(f'input[name=requester][value="{caller.pk}"]').wait_for()
    assert page.locator(f'input[name=requester][value="{caller.pk}"]').is_checked()
    assert page.input_value("#id_subject") == "Cannot renew the domain"
    assert page.input_value("#id_description") == "Card refused twice."
    assert page.evaluate("document.getElementById('id_attachments').files[0].name") == "screen.png"
    assert page.locator(".hdt-file-kept").is_visible()
    page.snap("after-lookup")
    page.locator(".hdt-staff-form button.hdt-staff-button-primary").click()
    page.wait_for_url(re.compile(r"/support/staff/tickets/HD-\w+/$"))
    names = Attachment.objects.filter(message__ticket__requester=caller).values_list("original_name", flat=True)
    assert list(names) == ["screen.png"]
