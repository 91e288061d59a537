"""Attachment downloads, for customers and staff alike.

Files are never served from ``MEDIA_URL``: this view checks that the user
may see the ticket and the message the file belongs to (customers never get
an internal note's files), then streams it from the configured storage as a
download that the browser must not render or sniff
(:func:`helpdesk_tickets.downloads.attachment_response`, shared with the API).
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.views import View

from .. import services
from ..downloads import attachment_response
from ..models import Attachment, Message, Ticket


class AttachmentDownloadView(LoginRequiredMixin, View):
    """``GET tickets/<reference>/attachments/<pk>/``: the file, or 404 for anyone who may not read it.

    With ``inline=True`` (``…/<pk>/preview/``) a raster image is shown in the
    browser (thumbnails, the full view); any other file is still a download.
    """

    http_method_names = ["get", "head"]
    inline = False

    def get_attachment(self):
        user = self.request.user
        ticket = Ticket.objects.visible_to(user).filter(reference=self.kwargs["reference"]).first()
        if ticket is None:
            raise Http404
        if ticket.is_merged:
            # The file moved with its message: its old link leads to the ticket it is in now.
            raise _Moved(services.final_ticket(ticket))
        readable = Message.objects.visible_to(user, ticket)
        attachment = Attachment.objects.filter(pk=self.kwargs["pk"], message__in=readable).first()
        if attachment is None:
            raise Http404
        return attachment

    def get(self, request, *args, **kwargs):
        try:
            return attachment_response(self.get_attachment(), inline=self.inline)
        except _Moved as moved:
            url_name = "helpdesk_tickets:attachment_preview" if self.inline else "helpdesk_tickets:attachment_download"
            url = reverse(url_name, kwargs={"reference": moved.ticket.reference, "pk": kwargs["pk"]})
            return HttpResponseRedirect(url)

    head = get


class _Moved(Exception):
    def __init__(self, ticket):
        self.ticket = ticket
        super().__init__(ticket.reference)
