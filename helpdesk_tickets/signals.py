"""Signals sent by the service layer, always after the transaction commits.

Receivers never see a ticket that is later rolled back. A receiver that
raises does not undo or fail the write (it has already committed): the
error is logged by Django's ``django.db.backends`` logger.

``ticket_created(sender=Ticket, ticket, message, actor)``
    A ticket was opened; ``message`` is its first message (the description);
    ``actor`` opened it (the requester, or the agent filing on their behalf).
``message_posted(sender=Message, ticket, message, actor)``
    A reply or internal note was added (not sent for the description) by ``actor``.
``ticket_status_changed(sender=Ticket, ticket, old, new, actor)``
    The status moved from ``old`` to ``new``.
``ticket_assigned(sender=Ticket, ticket, old, new, actor)``
    The assignee changed; ``old`` / ``new`` are users or None. ``actor`` is None
    when the department's assignment rule gave a new ticket to an agent.
``ticket_merged(sender=Ticket, ticket, into, actor)``
    ``ticket`` was merged into ``into`` (and closed; ``ticket_status_changed``
    is sent for it too): its thread is now ``into``'s.
``sla_warning(sender=Ticket, ticket, target, due, actor)``
    ``target`` (``"first_response"`` or ``"resolution"``) falls due at ``due``
    within ``SLA_WARNING_BEFORE``; sent once per ticket, target and due time.
    ``actor`` is None (the escalation run).
``sla_breached(sender=Ticket, ticket, target, due, old_priority, new_priority, actor)``
    ``target`` passed its ``due`` time unmet; ``new_priority`` differs from
    ``old_priority`` when the department raises the priority on breach. Sent
    once per ticket, target and due time; ``actor`` is None.
``article_helped(sender=Article, article, department, actor)``
    A customer (``actor``) said the knowledge-base ``article`` answered their
    question: on Send ticket of ``department``, which then sent no ticket, or on
    the article's page (``department`` None).
``rating_given(sender=SatisfactionRating, rating, ticket, actor)``
    The requester rated a resolved ticket (or changed their rating).
"""

from django.dispatch import Signal

ticket_created = Signal()
message_posted = Signal()
ticket_status_changed = Signal()
ticket_assigned = Signal()
ticket_merged = Signal()
sla_warning = Signal()
sla_breached = Signal()
article_helped = Signal()
rating_given = Signal()
