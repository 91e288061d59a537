"""The demo accounts: two customers, two agents, a supervisor and a superuser.

Found by user name when they exist (only their password is set again).
"""

from django.contrib.auth.models import Permission

from ... import users

# The published password of the demo accounts (printed by the command), not a secret.
DEFAULT_PASSWORD = "demo-pass-1234"  # nosec B105

# role → (first name, last name, e-mail)
ACCOUNTS = {
    "customer": ("سارا", "احمدی", "customer@example.com"),
    "customer2": ("John", "Smith", "customer2@example.com"),
    "agent": ("Reza", "Karimi", "agent@example.com"),
    "agent2": ("Neda", "Rahimi", "agent2@example.com"),
    "supervisor": ("Maryam", "Hosseini", "supervisor@example.com"),
    "admin": ("Site", "Admin", "admin@example.com"),
}
#: The agent answers for these departments only, so the demo shows department queues.
AGENT_DEPARTMENTS = ["technical-support", "billing"]
#: Sales has an agent of its own.
AGENT2_DEPARTMENTS = ["sales"]


def demo_login(username):
    """What a demo account logs in with: its username, or its e-mail address where the user model logs in by e-mail."""
    return ACCOUNTS[username][2] if users.username_field() == users.email_field() else username


def load(password, departments):
    """The demo accounts by role, with ``password``, the agents in their departments, the supervisor's permission."""
    accounts = {username: _account(username, password) for username in ACCOUNTS}
    for slug in AGENT_DEPARTMENTS:
        departments[slug].agents.add(accounts["agent"])
    for slug in AGENT2_DEPARTMENTS:
        departments[slug].agents.add(accounts["agent2"])
    accounts["supervisor"].user_permissions.add(
        Permission.objects.get(content_type__app_label="helpdesk_tickets", codename="view_all_tickets")
    )
    return accounts


def reloaded(accounts):
    """``accounts`` read again, so that the supervisor's fresh permission is seen."""
    return {name: type(user)._default_manager.get(pk=user.pk) for name, user in accounts.items()}


def _account(username, password):
    first_name, last_name, email = ACCOUNTS[username]
    login = demo_login(username)
    user = users.by_username(login)
    if user is None:
        is_admin = username == "admin"
        name = f"{first_name} {last_name}"
        return users.create_user(
            login, email=email, name=name, password=password, is_staff=is_admin, is_superuser=is_admin
        )
    user.set_password(password)
    user.save(update_fields=["password"])
    return user
