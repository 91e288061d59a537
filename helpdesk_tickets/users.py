"""The only module that knows the host's user model.

The app runs in any host site, whatever its ``AUTH_USER_MODEL``: one without
``username`` (an e-mail address as ``USERNAME_FIELD``), with a UUID primary
key, without ``first_name``/``last_name``/``get_full_name``, with any class
name. Everything else in the app names, finds, e-mails, counts or creates
people through the functions below, which read a user only through
``get_username()``, ``EMAIL_FIELD`` (``get_email_field_name()``),
``is_active`` when the model has it, and the ``USER_DISPLAY`` setting.

Nothing here builds a queryset at import time: ``get_user_model()`` is
called when a function runs, after the host's apps are loaded.
"""

import functools

from django.contrib.auth import get_backends, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q
from django.utils.module_loading import import_string

from .conf import settings as app_settings
from .transliteration import persian_name_pattern

#: The most words of a search query that are matched (each must match).
MAX_SEARCH_WORDS = 5


def model():
    return get_user_model()


def has_field(name, user_model=None):
    """Whether the user model has a concrete field ``name``."""
    if not name:
        return False
    try:
        (user_model or get_user_model())._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def username_field():
    return get_user_model().USERNAME_FIELD


def email_field():
    """The model's e-mail field name, or None when it has no such field."""
    user_model = get_user_model()
    name = user_model.get_email_field_name()
    return name if has_field(name, user_model) else None


def name_fields():
    """The person-name fields the model has (``first_name``, ``last_name``), for search and ordering."""
    user_model = get_user_model()
    return [name for name in ("first_name", "last_name") if has_field(name, user_model)]


# --------------------------------------------------------------------------
# showing a person


@functools.lru_cache(maxsize=8)
def _display_function(path):
    return import_string(path)


def full_name(user):
    """The user's full name when the model has one, else ""."""
    get_full_name = getattr(user, "get_full_name", None)
    return str((get_full_name() if callable(get_full_name) else "") or "").strip()


def default_display(user):
    """``USER_DISPLAY``'s default: the full name if the model has one, else the username."""
    return full_name(user) or user.get_username()


def display_name(user):
    """How the helpdesk names ``user`` (``USER_DISPLAY``, a dotted path; by default :func:`default_display`)."""
    if user is None:
        return ""
    path = app_settings.USER_DISPLAY
    function = _display_function(path) if path else default_display
    return str(function(user) or "") or user.get_username()


def looks_like_email(text):
    return "@" in (text or "")


def public_name(user):
    """A staff member's name as customers see it: never an e-mail address ("" then).

    On sites whose usernames are e-mail addresses (and whose users have no
    other name), the display name would be the agent's address; customers
    are then told only that the support team wrote.
    """
    name = display_name(user)
    return "" if looks_like_email(name) else name


def public_username(user):
    """The username as customers may see it for a staff member: "" when it is an e-mail address."""
    name = user.get_username() if user is not None else ""
    return "" if looks_like_email(name) else name


def staff_label(user):
    """How staff pages name a person: the display name, with the username to tell namesakes apart."""
    if user is None:
        return ""
    name, username = display_name(user), user.get_username()
    return f"{name} ({username})" if name != username else username


def email_address(user):
    """The user's e-mail address (the model's ``EMAIL_FIELD``), or ""."""
    if user is None:
        return ""
    return str(getattr(user, user.get_email_field_name(), "") or "")


def is_active(user):
    """``user.is_active`` where the model has it; a model without it has only active users."""
    return bool(user is not None and getattr(user, "is_active", True))


def columns():
    """The concrete columns :func:`display_name` may read (for ``only()`` on related users).

    Django's own naming methods read three fields; a site's own methods or
    ``USER_DISPLAY`` may read any, so then every concrete column is fetched.
    """
    from django.contrib.auth.base_user import AbstractBaseUser

    user_model = get_user_model()
    fields = [user_model.USERNAME_FIELD, *name_fields()]
    if not app_settings.USER_DISPLAY and user_model.get_username is AbstractBaseUser.get_username:
        get_full_name = getattr(user_model, "get_full_name", None)
        from django.contrib.auth.models import AbstractUser

        if get_full_name in (None, AbstractUser.get_full_name):
            return tuple(dict.fromkeys(name for name in fields if has_field(name, user_model)))
    return tuple(field.attname for field in user_model._meta.concrete_fields)


# --------------------------------------------------------------------------
# finding people


def active_users(users=None):
    """The active ones of ``users`` (a user queryset; default: every user).

    A model without an ``is_active`` field has only active users.
    """
    users = get_user_model()._default_manager.all() if users is None else users
    return users.filter(is_active=True) if has_field("is_active") else users


def by_username(value):
    """The user whose ``USERNAME_FIELD`` is ``value`` (exactly), or None."""
    try:
        return get_user_model()._default_manager.get_by_natural_key(value)
    except (get_user_model().DoesNotExist, ValueError, TypeError):
        return None


def by_email(address):
    """The user whose e-mail address is ``address`` (case-insensitive), or None.

    Active accounts win over inactive ones, then the oldest; a model without
    an e-mail field has no one to find.
    """
    name = email_field()
    if not name or not address:
        return None
    manager = get_user_model()._default_manager
    found = manager.filter(**{f"{name}__iexact": address.strip()})
    if has_field("is_active"):
        found = found.order_by("-is_active", "pk")
    else:
        found = found.order_by("pk")
    return found.first()


def pk_from(value):
    """``value`` as a primary key of the user model (an integer, a UUID …), or None when it cannot be one."""
    try:
        return get_user_model()._meta.pk.to_python(value)
    except (ValidationError, ValueError, TypeError, OverflowError):
        return None


def same_person_q(raw, prefix=""):
    """A ``Q`` for users whose username or e-mail address is exactly ``raw`` (case-insensitive).

    ``prefix`` is the path to the user from the queried model, e.g.
    ``"requester__"``.
    """
    condition = Q(**{f"{prefix}{username_field()}__iexact": raw})
    email = email_field()
    if email and email != username_field():
        condition |= Q(**{f"{prefix}{email}__iexact": raw})
    return condition


def search_q(query, prefix="", *, persian_names=False):
    """A ``Q`` for users matching ``query``: by the whole username or e-mail address, or by parts
    of the username and names (each word must match).

    E-mail addresses match whole or by the start of the address (a word
    without "@"), never by the domain, so that a search cannot list the
    addresses at a domain; a username that is the e-mail address likewise.
    The start of the address lets a Latin query ("sara") find a customer whose
    name is written in Persian ("سارا احمدی", sara.ahmadi@example.com). With
    ``persian_names`` (the caller lookup) so does the name itself: a Latin
    word also matches the Persian spellings it may stand for
    (:func:`~helpdesk_tickets.transliteration.persian_name_pattern`), a
    regular expression over the name columns, hence not in the queue search,
    which must stay on its indexes.
    """
    query = (query or "").strip()
    email = email_field()
    names = [name for name in name_fields() if name != email]
    fields = [name for name in (username_field(), *names) if name != email]
    words = Q()
    for word in query.split()[:MAX_SEARCH_WORDS]:
        any_field = Q(pk__in=[])
        for field in fields:
            any_field |= Q(**{f"{prefix}{field}__icontains": word})
        if email and "@" not in word:
            any_field |= Q(**{f"{prefix}{email}__istartswith": word})
        pattern = persian_name_pattern(word) if persian_names else ""
        for field in names if pattern else ():
            any_field |= Q(**{f"{prefix}{field}__iregex": pattern})
        words &= any_field
    return same_person_q(query, prefix) | words


def customers():
    """Active users who are neither staff, superusers nor agents of a department."""
    queryset = active_users()
    for flag in ("is_staff", "is_superuser"):
        if has_field(flag):
            queryset = queryset.exclude(**{flag: True})
    members = get_user_model()._default_manager.filter(helpdesk_departments__isnull=False)
    return queryset.exclude(pk__in=members.values("pk"))


def find_customers(query, *, limit, min_length):
    """:func:`customers` matching ``query`` (see :func:`search_q`) by username, at most ``limit``;
    nobody for a query shorter than ``min_length``."""
    query = (query or "").strip()
    if len(query) < min_length:
        return get_user_model()._default_manager.none()
    return customers().filter(search_q(query, persian_names=True)).order_by(username_field())[:limit]


def mask_email(address):
    """``cyrus@example.com`` as ``c•••@example.com``: enough to tell namesakes apart, not to collect."""
    local, at, domain = (address or "").partition("@")
    return f"{local[:1]}\u2022\u2022\u2022@{domain}" if at and local else ""


def customer_label(user):
    """A customer as a search result shows them: name and username (never a whole address), masked e-mail."""
    masked = mask_email(email_address(user))
    name = full_name(user) if username_field() == email_field() else staff_label(user)
    return " \u00b7 ".join(part for part in (name, masked) if part) or staff_label(user)


def admin_search_fields(prefix):
    """The admin's ``search_fields`` for a user reached through ``prefix`` (e.g. ``"requester"``)."""
    fields = [username_field(), *filter(None, [email_field()])]
    return tuple(f"{prefix}__{field}" for field in dict.fromkeys(fields))


def ordering():
    """How lists of people are sorted: by name where the model has names, then username."""
    return (*name_fields(), username_field())


def with_permission(perm):
    """A ``Q`` for the users holding ``perm`` by any authentication backend that can list them.

    The same backends answer ``user.has_perm(perm)``, so a list built from this
    (the assignee choices) agrees with the permission checks; combine it with
    :func:`active_users`, as ``has_perm`` is False for inactive users.
    """
    holders = Q(pk__in=[])
    for backend in get_backends():
        if isinstance(backend, ModelBackend):
            holders |= _model_backend_holders(perm)
        elif hasattr(backend, "with_perm"):
            holders |= Q(pk__in=backend.with_perm(perm, is_active=True, include_superusers=True).values("pk"))
    return holders


def _model_backend_holders(perm):
    """``ModelBackend.with_perm(perm)`` as uncorrelated subqueries.

    Django's own correlates an EXISTS with every user row, which grows with
    the number of customers; these the database answers once.
    """
    from django.contrib.auth.models import Permission

    if not has_field("user_permissions"):  # no PermissionsMixin: ModelBackend grants nothing
        return Q(pk__in=[])
    app_label, _dot, codename = perm.partition(".")
    granted = Permission.objects.filter(codename=codename, content_type__app_label=app_label)
    return Q(is_superuser=True) | Q(pk__in=granted.values("user")) | Q(pk__in=granted.values("group__user"))


def holders_of(perm):
    """Active users holding ``perm`` (superusers included); see :func:`with_permission`."""
    return active_users().filter(with_permission(perm))


# --------------------------------------------------------------------------
# creating people


def create_user(username, *, email="", name="", password=None, **extra):
    """A user made through the model's manager, with whichever of these fields the model has.

    ``username`` goes to ``USERNAME_FIELD``, ``email`` to ``EMAIL_FIELD``,
    ``name`` ("First Last") to ``first_name``/``last_name``; ``extra``
    (``is_staff``, ``is_superuser``, ``is_active`` …) only where the model has
    the field. ``password=None`` leaves the password unusable.
    """
    user_model = get_user_model()
    fields = {user_model.USERNAME_FIELD: username}
    email_name = email_field()
    if email_name and email_name != user_model.USERNAME_FIELD:
        fields[email_name] = email
    first, _sep, last = (name or "").strip().partition(" ")
    if has_field("first_name"):
        fields["first_name"] = first[:150]
    if has_field("last_name"):
        fields["last_name"] = last.strip()[:150]
    fields.update({key: value for key, value in extra.items() if has_field(key, user_model)})
    user = user_model._default_manager.create_user(**fields, password=password)
    if password is None and user.has_usable_password():
        user.set_unusable_password()
        user.save()
    return user


def create_customer(email, *, name=""):
    """A new customer account for ``email``, with an unusable password, made through the model's manager.

    The username is the e-mail address when the model logs in by e-mail;
    otherwise a free username is derived from the address's local part.
    ``name`` goes to the model's name fields when it has them.
    """
    username = email if username_field() == email_field() else _free_username(email)
    return create_user(username, email=email, name=name)


def _free_username(email):
    user_model = get_user_model()
    field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    limit = getattr(field, "max_length", None) or 150
    base = "".join(ch for ch in email.split("@", 1)[0] if ch.isalnum() or ch in "._-+")[: limit - 6] or "customer"
    manager = user_model._default_manager
    candidate, number = base, 1
    while manager.filter(**{f"{user_model.USERNAME_FIELD}__iexact": candidate}).exists():
        number += 1
        candidate = f"{base}{number}"
    return candidate
