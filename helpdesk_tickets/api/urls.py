"""REST routes; include under any prefix, e.g. ``path("api/", include("helpdesk_tickets.api.urls"))``.

The last route takes every path below the prefix that no other route takes,
so that an unknown path or a malformed reference is a JSON 404 like any
other of the API's, never the host's HTML page.
"""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from . import schema, views
from .views.fallback import NOT_FOUND_NAME, NotFoundView

app_name = "helpdesk_tickets_api"

router = SimpleRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("articles", views.ArticleViewSet, basename="article")

_ticket = rf"^tickets/(?P<reference>{views.REFERENCE_PATTERN})"

urlpatterns = [
    path("", views.RootView.as_view(), name="root"),
    path("departments/", views.DepartmentListView.as_view(), name="department-list"),
    path("ticket-types/", views.TicketTypeListView.as_view(), name="tickettype-list"),
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("me/", views.MeView.as_view(), name="me"),
    # Before the router's: its detail route would read "bulk" and "export" as references.
    path("tickets/bulk/", views.TicketBulkView.as_view(), name="ticket-bulk"),
    path("tickets/export/", views.TicketExportViewSet.as_view({"get": "list"}), name="ticket-export"),
    *router.urls,
    re_path(
        rf"{_ticket}/messages/$",
        views.MessageViewSet.as_view({"get": "list", "post": "create"}),
        name="ticket-messages",
    ),
    re_path(rf"{_ticket}/events/$", views.TicketEventViewSet.as_view({"get": "list"}), name="ticket-events"),
    re_path(
        rf"{_ticket}/attachments/(?P<pk>[0-9]{{1,18}})/$",
        views.AttachmentDownloadView.as_view(),
        name="ticket-attachment",
    ),
    path("stats/", views.StatsView.as_view(), name="stats"),
    path("schema/", schema.SchemaView.as_view(), name="schema"),
    path("docs/", schema.DocsView.as_view(), name="docs"),
    re_path(r"^docs/assets/(?P<name>[A-Za-z0-9._-]{1,64})$", schema.DocsAssetView.as_view(), name="docs-asset"),
    re_path(r"^", NotFoundView.as_view(), name=NOT_FOUND_NAME),
]
