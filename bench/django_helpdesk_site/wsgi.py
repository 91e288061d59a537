"""WSGI entry of the django-helpdesk benchmark site (for gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.django_helpdesk_site.settings")
application = get_wsgi_application()
