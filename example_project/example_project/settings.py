"""Settings of the example host site.

Deployment knobs come from the environment: DATABASE_URL, DJANGO_DEBUG,
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DJANGO_MEDIA_ROOT, DJANGO_BEHIND_PROXY
(1: trust the proxy's X-Forwarded-Proto), DJANGO_REDIS_URL or DJANGO_CACHE_DIR
(the cache the rate limits count in), the mail knobs DJANGO_EMAIL_FILE_PATH,
DJANGO_EMAIL_HOST/PORT, HELPDESK_REPLY_ADDRESS and HELPDESK_TASKS (immediate:
no worker) and, for attachments in object storage, HELPDESK_S3_BUCKET with
the AWS_* variables django-storages reads.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    return os.environ.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


def runserver_url(argv):
    """``http://host:port`` that ``manage.py runserver [addrport]`` serves on, or None for other commands.

    The e-mails are sent by the process that serves the request, so their
    links follow ``runserver 8080`` without HELPDESK_SITE_URL.
    """
    if argv[1:2] != ["runserver"]:
        return None
    positional = [arg for arg in argv[2:] if not arg.startswith("-")]
    host, _colon, port = (positional[0] if positional else "8000").rpartition(":")
    # Compared, not bound: links to a server on all interfaces use the loopback address.
    if host in ("", "0", "0.0.0.0", "[::]"):  # nosec B104
        host = "127.0.0.1"
    return f"http://{host}:{port}"


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (
    "insecure-example-key-only-for-local-development" if DEBUG else None
)
if not SECRET_KEY:
    raise RuntimeError("Set DJANGO_SECRET_KEY when DJANGO_DEBUG is off.")
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "helpdesk_tickets",
    "example_project",
    # The tasks worker that delivers the outbox (manage.py db_worker).
    "django_tasks_db",
]
if django.VERSION < (6, 0):
    # Django 5.2 has the tasks framework from its backport.
    INSTALLED_APPS.append("django_tasks")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The app's Content-Security-Policy on the site's other pages too (the admin, log-in).
    "helpdesk_tickets.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "example_project.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"]["OPTIONS"] = {"charset": "utf8mb4"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", _("Persian")), ("en", _("English"))]
TIME_ZONE = "Asia/Tehran"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = os.environ.get("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if os.environ.get("HELPDESK_S3_BUCKET"):
    STORAGES["helpdesk"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["HELPDESK_S3_BUCKET"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL"),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
        },
    }

# Rate limits are counted in the default cache, which every process must
# share (helpdesk_tickets.W002): Redis when DJANGO_REDIS_URL is set, else files.
if os.environ.get("DJANGO_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["DJANGO_REDIS_URL"],
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("DJANGO_CACHE_DIR", str(BASE_DIR / "cache")),
            "OPTIONS": {"MAX_ENTRIES": 10000},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "helpdesk_tickets:ticket_list"
LOGOUT_REDIRECT_URL = "login"

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
if os.environ.get("DJANGO_EMAIL_FILE_PATH"):
    # Each e-mail becomes a file there: read what the helpdesk sent without a mail server.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["DJANGO_EMAIL_FILE_PATH"]
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "support@example.com")

# Notifications are outbox rows delivered by the tasks worker (manage.py db_worker);
# HELPDESK_TASKS=immediate delivers them in the request's own process after commit.
_tasks_module = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
TASKS = {
    "default": {
        "BACKEND": (
            f"{_tasks_module}.backends.immediate.ImmediateBackend"
            if os.environ.get("HELPDESK_TASKS") == "immediate"
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

REST_FRAMEWORK = {
    # Token first: DRF asks the first class how to challenge, so a request
    # without valid credentials is a 401 with "WWW-Authenticate: Token" (not a
    # 403). The session still signs in the browser's requests (the browsable
    # API, /api/docs/), with DRF's CSRF check on unsafe methods.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Support tickets API",
    "VERSION": "1",
    # The one key of the API schema's info that is the site's to say (helpdesk_tickets.api.schema.HOST_KEYS).
    "CONTACT": {"name": "Example support desk", "email": "support@example.com"},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

HELPDESK_TICKETS = {
    "BASE_TEMPLATE": "site_base.html",
    "ATTACHMENT_STORAGE": "helpdesk" if "helpdesk" in STORAGES else "default",
    "DEFAULT_FIRST_RESPONSE_TARGET": timedelta(minutes=30),
    "BUSINESS_HOURS": ("08:00", "20:00"),
    "WEEKEND_DAYS": [4],  # Friday
    "REFERENCE_PREFIX": "HD",
    "REPLY_ADDRESS": os.environ.get("HELPDESK_REPLY_ADDRESS", "reply@example.com"),
    "SITE_URL": os.environ.get("HELPDESK_SITE_URL") or runserver_url(sys.argv) or "http://127.0.0.1:8000",
}

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Only a proxy that sets (and overwrites) X-Forwarded-Proto may be trusted with it:
    # reachable directly, any client could claim HTTPS.
    if env_bool("DJANGO_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"helpdesk_tickets": {"handlers": ["console"], "level": "INFO"}},
}
