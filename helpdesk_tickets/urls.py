"""Web routes; include under any prefix, e.g. ``path("support/", include("helpdesk_tickets.urls"))``."""

from django.urls import path, register_converter

from .views import customer, downloads, knowledge, presence, satisfaction, staff


class ReferenceConverter:
    """A ticket reference segment: letters, digits and dashes only, so that no
    other text (a NUL byte, which PostgreSQL refuses, or a 10 kB string) ever
    reaches a query; anything else is a plain 404."""

    regex = "[A-Za-z0-9-]{1,32}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ReferenceConverter, "hdt_reference")

app_name = "helpdesk_tickets"

urlpatterns = [
    # Customer portal (Support → Ticket list / Send ticket)
    path("", customer.TicketListView.as_view(), name="ticket_list"),
    path("new/", customer.ChooseDepartmentView.as_view(), name="ticket_create"),
    path("new/<slug:department>/", customer.ChooseTypeView.as_view(), name="ticket_create_type"),
    path("new/<slug:department>/similar/", customer.SimilarTicketsView.as_view(), name="ticket_similar"),
    path("new/<slug:department>/<slug:ticket_type>/", customer.TicketCreateView.as_view(), name="ticket_create_form"),
    path("tickets/<hdt_reference:reference>/", customer.TicketDetailView.as_view(), name="ticket_detail"),
    path("tickets/<hdt_reference:reference>/close/", customer.TicketCloseView.as_view(), name="ticket_close"),
    path("tickets/<hdt_reference:reference>/reopen/", customer.TicketReopenView.as_view(), name="ticket_reopen"),
    # The signed rating link of a resolved ticket (works without logging in; GET only shows the form).
    path(
        "tickets/<hdt_reference:reference>/rate/<str:token>/",
        satisfaction.RatingView.as_view(),
        name="ticket_rate",
    ),
    path(
        "tickets/<hdt_reference:reference>/attachments/<int:pk>/",
        downloads.AttachmentDownloadView.as_view(),
        name="attachment_download",
    ),
    path(
        "tickets/<hdt_reference:reference>/attachments/<int:pk>/preview/",
        downloads.AttachmentDownloadView.as_view(inline=True),
        name="attachment_preview",
    ),
    # Knowledge base (Support → Help articles); suggest.json cannot be an article (a slug has no dot)
    path("kb/", knowledge.ArticleListView.as_view(), name="kb"),
    path("kb/suggest.json", knowledge.ArticleSuggestView.as_view(), name="kb_suggest"),
    path("kb/<slug:slug>/", knowledge.ArticleDetailView.as_view(), name="kb_article"),
    path("kb/<slug:slug>/helped/", knowledge.ArticleHelpedView.as_view(), name="kb_helped"),
    path("kb/<slug:slug>/answered/", knowledge.ArticleAnsweredView.as_view(), name="kb_answered"),
    # Staff workspace
    path("staff/", staff.QueueView.as_view(), name="staff_queue"),
    path("staff/dashboard/", staff.DashboardView.as_view(), name="staff_dashboard"),
    path("staff/export.csv", staff.QueueExportView.as_view(format="csv"), name="staff_export_csv"),
    path("staff/export.xlsx", staff.QueueExportView.as_view(format="xlsx"), name="staff_export_xlsx"),
    path("staff/bulk/", staff.BulkActionView.as_view(), name="staff_bulk"),
    path("staff/away/", staff.AwayView.as_view(), name="staff_away"),
    path("staff/new/", staff.PhoneTicketCreateView.as_view(), name="staff_ticket_create"),
    path("staff/tickets/<hdt_reference:reference>/", staff.StaffTicketDetailView.as_view(), name="staff_ticket_detail"),
    path(
        "staff/tickets/<hdt_reference:reference>/presence/",
        presence.TicketPresenceView.as_view(),
        name="staff_ticket_presence",
    ),
    path(
        "staff/tickets/<hdt_reference:reference>/emails/<int:pk>/",
        staff.StaffInboundEmailView.as_view(),
        name="staff_inbound_email",
    ),
    path(
        "staff/tickets/<hdt_reference:reference>/emails/<int:pk>/raw/",
        staff.StaffInboundEmailView.as_view(raw=True),
        name="staff_inbound_email_raw",
    ),
    path(
        "staff/tickets/<hdt_reference:reference>/update/",
        staff.StaffTicketUpdateView.as_view(),
        name="staff_ticket_update",
    ),
    path(
        "staff/tickets/<hdt_reference:reference>/tags/", staff.StaffTicketTagsView.as_view(), name="staff_ticket_tags"
    ),
    path(
        "staff/tickets/<hdt_reference:reference>/fields/",
        staff.StaffTicketFieldsView.as_view(),
        name="staff_ticket_fields",
    ),
    path(
        "staff/tickets/<hdt_reference:reference>/merge/",
        staff.StaffTicketMergeView.as_view(),
        name="staff_ticket_merge",
    ),
]
