"""Content-Security-Policy: a strict policy on every page of the portal and the staff workspace
(and, through the example project's middleware, the admin), with pages that still work under it."""

import re

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from helpdesk_tickets import csp
from helpdesk_tickets.checks import check_settings
from tests.factories import web_client
from tests.paths import ROOT

TEMPLATES = ROOT / "helpdesk_tickets" / "templates" / "helpdesk_tickets"
EXAMPLE_TEMPLATES = ROOT / "example_project" / "templates"

#: What the default policy must say, directive by directive.
STRICT = {
    "default-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}


def directives(header):
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = set(sources)
    return parsed


def app_settings(**changes):
    return override_settings(HELPDESK_TICKETS={**settings.HELPDESK_TICKETS, **changes})


def pages(desk):
    ticket = desk.open()
    return {
        desk.customer: [
            reverse("helpdesk_tickets:ticket_list"),
            reverse("helpdesk_tickets:ticket_create"),
            desk.form_url(),
            ticket.get_absolute_url(),
        ],
        desk.agent: [
            reverse("helpdesk_tickets:staff_queue"),
            reverse("helpdesk_tickets:staff_dashboard"),
            reverse("helpdesk_tickets:staff_ticket_create") + "?find=customer",
            ticket.get_staff_url(),
        ],
    }


@pytest.mark.django_db
def test_every_page_sends_a_strict_policy_with_a_fresh_nonce(client, desk):
    seen_nonces = set()
    for user, urls in pages(desk).items():
        web_client(client, user)
        for url in urls:
            response = client.get(url, follow=True)  # one department: step 1 skips to step 2, then 3
            assert response.status_code == 200, url
            policy = directives(response["Content-Security-Policy"])
            for name, sources in STRICT.items():
                assert policy[name] == sources, (url, name)
            script = policy["script-src"]
            [nonce] = [s for s in script if s.startswith("'nonce-")]
            assert script == {"'self'", nonce} and "'unsafe-inline'" not in script
            seen_nonces.add(nonce)
    assert len(seen_nonces) == 8


@pytest.mark.django_db
def test_rendered_pages_have_no_inline_script_handler_or_style(client, desk):
    for user, urls in pages(desk).items():
        web_client(client, user)
        for url in urls:
            html = client.get(url, follow=True).content.decode()
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
            assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), url
            assert not re.search(r"\sstyle\s*=|<style", html, re.IGNORECASE), url
            assert not re.search(r"javascript:", html, re.IGNORECASE), url


@pytest.mark.parametrize(
    "template",
    [
        *(p for p in TEMPLATES.rglob("*.html") if "email" not in p.parts),
        *EXAMPLE_TEMPLATES.rglob("*.html"),
    ],
    ids=lambda p: p.name,
)
def test_templates_have_no_inline_script_handler_or_style(template):
    source = template.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source)
    assert not re.search(r"\son[a-z]+\s*=", source, re.IGNORECASE)
    assert not re.search(r"\sstyle\s*=|<style", source, re.IGNORECASE)


@pytest.mark.django_db
def test_the_policy_is_configurable_and_can_be_turned_off(client, desk):
    web_client(client, desk.customer)
    url = reverse("helpdesk_tickets:ticket_list")
    with app_settings(CONTENT_SECURITY_POLICY=None):
        assert "Content-Security-Policy" not in client.get(url)
    with app_settings(CONTENT_SECURITY_POLICY="default-src 'self'; script-src 'self' <CSP_NONCE_SENTINEL>"):
        header = client.get(url)["Content-Security-Policy"]
        assert re.fullmatch(r"default-src 'self'; script-src 'self' 'nonce-[\w-]{20,}'", header)
    policy = {"default-src": [csp.NONCE], "upgrade-insecure-requests": True, "report-to": None}
    with app_settings(CONTENT_SECURITY_POLICY=policy):
        header = client.get(url)["Content-Security-Policy"]
        assert re.fullmatch(r"default-src 'nonce-[\w-]{20,}'; upgrade-insecure-requests", header)


def test_the_nonce_templates_read_is_the_one_in_the_header(rf):
    from django.http import HttpResponse
    from django.views import View

    class Page(csp.ContentSecurityPolicyMixin, View):
        def get(self, request):
            return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")

    request = rf.get("/")
    response = Page.as_view()(request)
    assert f"'nonce-{request.csp_nonce}'" in response["Content-Security-Policy"]
    assert request.csp_nonce in response.content.decode()


def test_a_host_policy_wins(rf):
    from django.http import HttpResponse
    from django.views import View

    class Page(csp.ContentSecurityPolicyMixin, View):
        def get(self, request):
            response = HttpResponse("")
            response["Content-Security-Policy"] = "default-src https://host.example"
            return response

    assert Page.as_view()(rf.get("/"))["Content-Security-Policy"] == "default-src https://host.example"
    # Django 6's middleware with SECURE_CSP, or django-csp's: the host decides, the app sends nothing.
    django_csp = [*settings.MIDDLEWARE, "django.middleware.csp.ContentSecurityPolicyMiddleware"]
    with override_settings(MIDDLEWARE=django_csp, SECURE_CSP={"default-src": ["'self'"]}):
        assert csp.active_policy() is None
    with override_settings(MIDDLEWARE=django_csp, SECURE_CSP={}):
        assert csp.active_policy() is not None  # the middleware is there, but sends nothing
    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, "csp.middleware.CSPMiddleware"]):
        assert csp.active_policy() is None


@pytest.mark.django_db
def test_the_example_project_sends_the_policy_on_admin_and_log_in_pages(client, admin_user):
    for url in ("/admin/login/", "/accounts/login/"):
        policy = directives(client.get(url)["Content-Security-Policy"])
        assert policy["default-src"] == {"'self'"} and policy["style-src"] == {"'self'"}
    client.force_login(admin_user)
    for url in ("/admin/", "/admin/helpdesk_tickets/ticket/", "/admin/helpdesk_tickets/department/add/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "'nonce-" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_api_docs_keep_their_own_policy_and_json_gets_none(client, desk):
    docs = client.get("/api/docs/")["Content-Security-Policy"]
    assert "'unsafe-inline'" in directives(docs)["style-src"]
    assert directives(docs)["script-src" if "script-src" in docs else "default-src"] == {"'self'"}
    web_client(client, desk.customer)
    assert "Content-Security-Policy" not in client.get("/api/departments/", HTTP_ACCEPT="application/json")


@pytest.mark.parametrize(
    "bad",
    ["default-src 'self'\r\nX-Injected: 1", {"default-src": "'self' data:"}, {"default-src": [1]}, ["'self'"]],
)
def test_a_bad_policy_is_a_system_check_error(bad):
    with app_settings(CONTENT_SECURITY_POLICY=bad):
        assert "helpdesk_tickets.E015" in [e.id for e in check_settings()]


@pytest.mark.parametrize(
    "good", [None, "default-src 'self'", {"default-src": ["'self'"], "upgrade-insecure-requests": True}]
)
def test_a_good_policy_passes_the_check(good):
    with app_settings(CONTENT_SECURITY_POLICY=good):
        assert "helpdesk_tickets.E015" not in [e.id for e in check_settings()]


# -- in Chromium: no violation, and the progressive enhancements still work --

PASSWORD = "pw"  # factories.UserFactory's

#: Collects what the browser refused, from the console and from securitypolicyviolation events.
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI + " " + event.sourceFile);
});
"""


@pytest.fixture
def watched(page):
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: dialog.accept())
    page.add_init_script(WATCH)

    def violations():
        refused = [text for text in console if "Content Security Policy" in text or "page error" in text]
        try:
            refused += page.evaluate("window.__cspViolations || []")
        except Exception:  # between two pages
            pass
        return refused

    page.violations = violations
    return page


def log_in(page, live_server, user, next_url):
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.locator(".login button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def visit(page, url):
    page.goto(url)
    page.wait_for_load_state("load")
    assert page.violations() == [], url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_customer_pages_work_under_the_policy(watched, live_server, tmp_path):
    from tests.security.helpers import Desk

    page, desk = watched, Desk()
    existing = desk.open(subject="Printer does not print")
    log_in(page, live_server, desk.customer, "/support/")
    assert page.violations() == []
    # The language switch of the example site (its draft keeping is a static script).
    page.locator(".site-language button[value=fa]").click()
    # (Playwright's wait_for_function evaluates a string, which the policy rightly refuses.)
    page.locator("html[lang=fa]").wait_for(state="attached")
    page.locator(".site-language button[value=en]").click()
    page.locator("html[lang=en]").wait_for(state="attached")
    visit(page, live_server.url + desk.form_url())
    # Look-alike tickets are fetched while the subject is typed.
    page.fill("#id_subject", "Printer does not")
    page.locator(".hdt-similar").wait_for(state="visible")
    assert existing.reference in page.locator(".hdt-similar").inner_text()
    # Chosen files are listed with their sizes.
    attachment = tmp_path / "notes.txt"
    attachment.write_text("paper jam\n", encoding="utf-8")
    page.set_input_files("#id_attachments", str(attachment))
    page.locator(".hdt-file-list li").wait_for()
    page.fill("#id_subject", "Scanner is broken too")
    page.fill("#id_description", "It makes a noise.")
    page.locator("form[data-hdt-once] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/support/tickets/"))
    assert page.violations() == []
    # Closing asks first (the confirm comes from the static script; the dialog is accepted).
    page.locator("form[data-hdt-confirm] button").click()
    page.wait_for_load_state("load")
    assert page.violations() == []
    visit(page, live_server.url + "/support/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_pages_work_under_the_policy(watched, live_server):
    from tests.security.helpers import Desk

    page, desk = watched, Desk()
    ticket = desk.open()
    log_in(page, live_server, desk.agent, "/support/staff/")
    assert page.violations() == []
    # Queue filters apply on change.
    page.select_option(".hdt-staff-filters select[name=priority]", "normal")
    page.wait_for_url(re.compile(r"priority=normal"))
    visit(page, live_server.url + ticket.get_staff_url())
    # Ticking "internal" marks the form and relabels the button.
    page.check("#id_internal")
    page.wait_for_selector("form.hdt-staff-reply-internal")
    page.uncheck("#id_internal")
    page.fill("#id_body", "We are on it.")
    page.locator("#reply button[type=submit]").first.click()
    page.wait_for_load_state("load")
    assert page.violations() == []
    visit(page, f"{live_server.url}/support/staff/new/?find=customer")
    visit(page, f"{live_server.url}/support/staff/dashboard/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_and_api_docs_work_under_their_policies(watched, live_server):
    from django.contrib.auth import get_user_model

    from tests.factories import UserFactory

    page = watched
    admin = UserFactory(username="root", password=PASSWORD, is_staff=True, is_superuser=True)
    log_in(page, live_server, admin, "/admin/")
    people = get_user_model()._meta
    for path in (
        "/admin/",
        "/admin/helpdesk_tickets/ticket/",
        "/admin/helpdesk_tickets/department/add/",
        f"/admin/{people.app_label}/{people.model_name}/",
        f"/admin/{people.app_label}/{people.model_name}/{admin.pk}/change/",
    ):
        visit(page, live_server.url + path)
        assert page.locator("#header").is_visible(), path
    # Swagger UI: scripts from the site, inline styles allowed on that page only.
    visit(page, live_server.url + "/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    page.locator(".opblock").first.wait_for()
    assert page.violations() == []
