"""A notification dispatcher standing in for a task queue (``BENCH_NOTIFICATIONS=queued``).

At scale the e-mails leave the request: ``NOTIFICATION_DISPATCHER`` hands
them to workers (see the deployment guide). This one only records the
hand-off, so the throughput measured with it is the request's own cost.
"""

HANDED_OFF = []


def enqueue(kind, ticket_id, message_id=None):
    """Record the notification as a task-queue client would enqueue it."""
    HANDED_OFF.append((kind, ticket_id, message_id))
    del HANDED_OFF[:-1000]
