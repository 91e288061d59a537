"""The example project's URLs plus the floor (``bench-floor/``)."""

from django.urls import path
from example_project.urls import urlpatterns as site_urlpatterns

from . import floor

urlpatterns = [
    *site_urlpatterns,
    path("bench-floor/queue/", floor.queue, name="bench_floor_queue"),
    path("bench-floor/api-tickets/", floor.api_tickets, name="bench_floor_api_tickets"),
]
