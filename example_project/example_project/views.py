"""The example site's own views: the log-in and the home page, which send each person where they work."""

from django.contrib.auth import views as auth_views
from django.shortcuts import resolve_url
from django.views.generic import RedirectView

from helpdesk_tickets import permissions


class LoginView(auth_views.LoginView):
    """Django's log-in; without a ``next``, an agent lands on the staff queue and a customer on their tickets."""

    def get_default_redirect_url(self):
        if permissions.is_agent(self.request.user):
            return resolve_url("helpdesk_tickets:staff_queue")
        return super().get_default_redirect_url()


class HomeView(RedirectView):
    """The site's root: an agent goes to the staff queue, anyone else to their tickets."""

    permanent = False

    def get_redirect_url(self, *args, **kwargs):
        if permissions.is_agent(self.request.user):
            return resolve_url("helpdesk_tickets:staff_queue")
        return resolve_url("helpdesk_tickets:ticket_list")
