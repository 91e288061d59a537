"""Shared bits of the web views."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404

from .. import permissions
from ..conf import settings as app_settings
from ..csp import ContentSecurityPolicyMixin


class HelpdeskPageMixin(ContentSecurityPolicyMixin, LoginRequiredMixin):
    """Every helpdesk page: logged-in users only, rendered inside ``BASE_TEMPLATE``, with the app's CSP.

    ``section`` marks the current item of the Support navigation.
    """

    section = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["helpdesk_base_template"] = app_settings.BASE_TEMPLATE
        context["hdt_section"] = self.section
        return context


class AgentRequiredMixin(HelpdeskPageMixin):
    """Staff pages: agents of a department and supervisors only; customers get 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.is_agent(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)
