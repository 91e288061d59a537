"""The example project's URLs plus the floors (``bench-floor/``: JSON, and the queue's rows as HTML)."""

from django.urls import path
from example_project.urls import urlpatterns as site_urlpatterns

from . import floor, floor_html

urlpatterns = [
    *site_urlpatterns,
    path("bench-floor/queue/", floor.queue, name="bench_floor_queue"),
    path("bench-floor/queue.html", floor_html.queue, name="bench_floor_queue_html"),
    path("bench-floor/api-tickets/", floor.api_tickets, name="bench_floor_api_tickets"),
]
