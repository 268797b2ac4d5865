"""Writing many new rows of one model fast, with their ids (for rows that other new rows refer to).

`insert_new(objs)` is `Model.objects.bulk_create(objs)` for the cases where that statement is the cost: on
PostgreSQL the ids are taken from the table's sequence first (one query) and the rows written with COPY (one
statement, psycopg's C writer), instead of one INSERT whose thousands of parameters psycopg's client-side binding
splits and quotes in Python. Elsewhere (SQLite) it is `bulk_create`. Either way the objects come back saved, with
their `pk`, in the caller's transaction; the values written are the ones `bulk_create` would write (each field's
`pre_save` and `get_db_prep_save`). No signals are sent, as with `bulk_create`. A model without an automatic id,
objects whose ids are given, and fields with a database default go through `bulk_create` as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db import connection
from django.db.models import Model
from django.db.models.fields import AutoFieldMixin

M = TypeVar("M", bound=Model)


def insert_new(objs: Iterable[M]) -> list[M]:
    """Write new objects of one model; they come back with their ids (see the module)."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert_new")
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated]
    if (
        connection.vendor != "postgresql"
        or not isinstance(meta.pk, AutoFieldMixin)  # no sequence to take ids from
        or any(obj.pk is not None for obj in objs)  # ids given: bulk_create keeps them
        or any(f.has_db_default() for f in fields)  # a database default is the database's to fill in
    ):
        return model.objects.bulk_create(objs)
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
    return objs
