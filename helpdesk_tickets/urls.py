"""Web routes; include under any prefix, e.g. ``path("support/", include("helpdesk_tickets.urls"))``."""

from django.urls import path

from .views import customer, downloads, staff

app_name = "helpdesk_tickets"

urlpatterns = [
    # Customer portal (Support → Ticket list / Send ticket)
    path("", customer.TicketListView.as_view(), name="ticket_list"),
    path("new/", customer.ChooseDepartmentView.as_view(), name="ticket_create"),
    path("new/<slug:department>/", customer.ChooseTypeView.as_view(), name="ticket_create_type"),
    path("new/<slug:department>/similar/", customer.SimilarTicketsView.as_view(), name="ticket_similar"),
    path("new/<slug:department>/<slug:ticket_type>/", customer.TicketCreateView.as_view(), name="ticket_create_form"),
    path("tickets/<str:reference>/", customer.TicketDetailView.as_view(), name="ticket_detail"),
    path("tickets/<str:reference>/close/", customer.TicketCloseView.as_view(), name="ticket_close"),
    path("tickets/<str:reference>/reopen/", customer.TicketReopenView.as_view(), name="ticket_reopen"),
    path(
        "tickets/<str:reference>/attachments/<int:pk>/",
        downloads.AttachmentDownloadView.as_view(),
        name="attachment_download",
    ),
    # Staff workspace
    path("staff/", staff.QueueView.as_view(), name="staff_queue"),
    path("staff/dashboard/", staff.DashboardView.as_view(), name="staff_dashboard"),
    path("staff/new/", staff.PhoneTicketCreateView.as_view(), name="staff_ticket_create"),
    path("staff/tickets/<str:reference>/", staff.StaffTicketDetailView.as_view(), name="staff_ticket_detail"),
    path("staff/tickets/<str:reference>/update/", staff.StaffTicketUpdateView.as_view(), name="staff_ticket_update"),
]
