"""Attachment downloads, for customers and staff alike.

Files are never served from ``MEDIA_URL``: this view checks that the user
may see the ticket and the message the file belongs to (customers never get
an internal note's files), then streams it from the configured storage as a
download that the browser must not render or sniff.
"""

from urllib.parse import quote

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.views import View

from ..models import Attachment, Message, Ticket


def content_disposition(name):
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 5987)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


class AttachmentDownloadView(LoginRequiredMixin, View):
    """``GET tickets/<reference>/attachments/<pk>/``: the file, or 404 for anyone who may not read it."""

    http_method_names = ["get", "head"]

    def get_attachment(self):
        user = self.request.user
        ticket = Ticket.objects.visible_to(user).filter(reference=self.kwargs["reference"]).first()
        if ticket is None:
            raise Http404
        readable = Message.objects.visible_to(user, ticket)
        attachment = Attachment.objects.filter(pk=self.kwargs["pk"], message__in=readable).first()
        if attachment is None:
            raise Http404
        return attachment

    def get(self, request, *args, **kwargs):
        attachment = self.get_attachment()
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404 from None
        response = FileResponse(handle, content_type=attachment.content_type or "application/octet-stream")
        response["Content-Disposition"] = content_disposition(attachment.original_name)
        if not response.has_header("Content-Length"):
            response["Content-Length"] = str(attachment.size)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        # Private data: shared caches must not keep it.
        response["Cache-Control"] = "private, no-store"
        return response

    head = get
