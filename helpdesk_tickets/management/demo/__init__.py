"""The demo data of ``manage.py helpdesk_demo``: departments, types, products, accounts, tickets, help articles.

Safe to run again: catalogue rows are found by slug and accounts by user
name (only their password is set again); demo tickets are opened only for a
customer who has none. Tickets and replies go through the services, like
everything else, on a clock set back to the moments of a few weeks of
history (business hours), so the measured response times look like a
working help desk's rather than all "under 1 minute".

One module per part, loaded in order by :func:`load`; a feature with demo
data of its own adds a module here and one line there.
"""

from django.db import transaction

from . import accounts, canned_replies, catalogue, fields, history, knowledge, ratings, tickets
from .accounts import ACCOUNTS, AGENT2_DEPARTMENTS, AGENT_DEPARTMENTS, DEFAULT_PASSWORD, demo_login

__all__ = ["ACCOUNTS", "AGENT2_DEPARTMENTS", "AGENT_DEPARTMENTS", "DEFAULT_PASSWORD", "demo_login", "load"]


def load(password):
    """Load the whole demo, every account with ``password``; returns how many demo tickets were opened."""
    with transaction.atomic():
        departments = catalogue.load()
        fields.load()
        people = accounts.load(password, departments)
        canned_replies.load(departments)
        knowledge.load(departments)
    people = accounts.reloaded(people)
    opened = tickets.load(people)
    opened += history.load(people)
    ratings.load()
    return opened
