"""REST routes; include under any prefix, e.g. ``path("api/", include("helpdesk_tickets.api.urls"))``."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from . import schema, views

app_name = "helpdesk_tickets_api"

router = SimpleRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")

_ticket = rf"^tickets/(?P<reference>{views.REFERENCE_PATTERN})"

urlpatterns = [
    path("", views.RootView.as_view(), name="root"),
    path("departments/", views.DepartmentListView.as_view(), name="department-list"),
    path("ticket-types/", views.TicketTypeListView.as_view(), name="tickettype-list"),
    path("products/", views.ProductListView.as_view(), name="product-list"),
    *router.urls,
    re_path(
        rf"{_ticket}/messages/$",
        views.MessageViewSet.as_view({"get": "list", "post": "create"}),
        name="ticket-messages",
    ),
    re_path(
        rf"{_ticket}/attachments/(?P<pk>[0-9]{{1,18}})/$",
        views.AttachmentDownloadView.as_view(),
        name="ticket-attachment",
    ),
    path("stats/", views.StatsView.as_view(), name="stats"),
    path("schema/", schema.SchemaView.as_view(), name="schema"),
    path("docs/", schema.DocsView.as_view(), name="docs"),
    re_path(r"^docs/assets/(?P<name>[A-Za-z0-9._-]{1,64})$", schema.DocsAssetView.as_view(), name="docs-asset"),
]
