from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import HomeView, LoginView

urlpatterns = [
    path("", HomeView.as_view()),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # The two lines the README asks a host site to add. Attachments are never
    # served from MEDIA_URL: only through the app's permission-checked views.
    path("support/", include("helpdesk_tickets.urls")),
    path("api/", include("helpdesk_tickets.api.urls")),
]
