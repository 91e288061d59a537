"""Bulk inserts for the seeders: PostgreSQL COPY, SQLite ``executemany`` in large batches.

Rows are tuples of plain Python values in the order of ``columns``; the
caller gives every column Django would (defaults included), so the rows are
exactly what the ORM would have written, only much faster. Indexes stay in
place as the migrations define them, as they would in production.
"""

import json
from datetime import UTC, datetime, timedelta

from django.db import connection

BATCH = 5000


def _sqlite_value(value):
    # How Django's SQLite backend stores these types.
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, timedelta):
        return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    return value


class Inserter:
    """Collects rows for one table and writes them in batches."""

    def __init__(self, table, columns):
        self.table = table
        self.columns = columns
        self.rows = []
        self.count = 0

    def add(self, row):
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self):
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            cols = ", ".join(f'"{c}"' for c in self.columns)
            with connection.cursor() as cursor:
                with cursor.cursor.copy(f'COPY "{self.table}" ({cols}) FROM STDIN') as copy:
                    for row in self.rows:
                        copy.write_row([Jsonb(v) if isinstance(v, (dict, list)) else v for v in row])
        else:
            cols = ", ".join(f'"{c}"' for c in self.columns)
            marks = ", ".join("?" for _ in self.columns)
            with connection.cursor() as cursor:
                cursor.connection.executemany(
                    f'INSERT INTO "{self.table}" ({cols}) VALUES ({marks})',
                    [tuple(_sqlite_value(v) for v in row) for row in self.rows],
                )
        self.count += len(self.rows)
        self.rows = []


class ModelInserter(Inserter):
    """An :class:`Inserter` for a model's table: ``add(**values)``, the other columns get their defaults."""

    def __init__(self, model):
        fields = [f for f in model._meta.concrete_fields]
        super().__init__(model._meta.db_table, [f.column for f in fields])
        self.names = [f.attname for f in fields]
        self.defaults = {}
        for field in fields:
            if field.primary_key:
                continue
            default = field.get_default()
            # Callable defaults that must differ per row (e.g. a secret) are given by the caller.
            self.defaults[field.attname] = default

    def add(self, **values):
        missing = set(values) - set(self.names)
        if missing:
            raise KeyError(f"{self.table}: unknown columns {sorted(missing)}")
        super().add(tuple(values[n] if n in values else self.defaults.get(n) for n in self.names))


def next_id(model):
    """The first free primary key of ``model`` (ids are given explicitly so rows can refer to each other)."""
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def reset_sequences(*models):
    """After explicit ids, move PostgreSQL's sequences past them."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)


def replica_mode():
    """Skip foreign-key triggers for the rest of the transaction (PostgreSQL, superuser).

    The generated rows are consistent by construction; checking ~7 million
    deferred foreign keys at commit would double the seeding time and say
    nothing about the application. Indexes are still maintained.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")


def analyze():
    """Vacuumed tables and fresh planner statistics, as autovacuum keeps them on a live site.

    Vacuum also marks the freshly loaded pages all-visible, so index-only
    scans work as they would on a site that has been running a while; the
    checkpoint writes out what loading and vacuuming dirtied, rather than
    leaving it to be flushed while the requests are being timed.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM (ANALYZE)")
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("ANALYZE")
