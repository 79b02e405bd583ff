"""Queries compiled once and re-run: the few that every call or every order runs.

Building and compiling a query through the ORM costs 0.3-1 ms of Python on this project's hardware;
running it, 0.1-0.3 ms. Where a query's shape and parameters depend only on a key (who asks, which
account), it is compiled on first use and its SQL re-run each time: the rule stays in the queryset that
builds it, and every call still asks the database, so nothing read goes stale.

hot_rows gives rows as the database driver returns them, without the ORM's field converters: for
integers, strings and values compared only with other rows of the same query. hot_instances gives
model instances, converted as the ORM converts them (through a raw queryset of the compiled SQL).
"""

import threading
from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet

ENTRIES = 1024
_lock = threading.Lock()
_statements: dict[tuple, tuple[str, str, tuple]] = {}


def remember(store: dict, key, value) -> None:
    """Keep `value` under `key`, the store emptied when it holds ENTRIES (a bound, not an LRU)."""
    with _lock:
        if len(store) >= ENTRIES:
            store.clear()
        store[key] = value


def hot_statement(key: tuple, build: Callable[[], QuerySet]) -> tuple[str, str, tuple]:
    """(database alias, SQL, parameters) of the queryset `build()` returns, compiled once per `key`:
    everything the query's shape and parameters depend on must be in the key."""
    statement = _statements.get(key)
    if statement is None:
        query = build()
        sql, params = query.query.get_compiler(using=query.db).as_sql()
        statement = (query.db, sql, tuple(params))
        remember(_statements, key, statement)
    return statement


def hot_rows(key: tuple, build: Callable[[], QuerySet]) -> tuple[str, list[tuple]]:
    """The database alias and the rows of hot_statement(key, build), run now."""
    alias, sql, params = hot_statement(key, build)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return alias, cursor.fetchall()


def hot_rows_for(key: tuple, build: Callable[..., QuerySet], *values: str) -> tuple[str, list[tuple]]:
    """hot_rows for a query that also takes per-call strings (`values`, e.g. an idempotency key, each
    compared with =): compiled once per `key` with a stand-in for each value, whose places in the
    parameters are then filled with each call's values."""
    entry = _parametrised.get(key)
    if entry is None:
        stand_ins = tuple(f"\x1fhot stand-in {i}\x1f" for i in range(len(values)))
        query = build(*stand_ins)
        sql, params = query.query.get_compiler(using=query.db).as_sql()
        slots = tuple(stand_ins.index(p) if isinstance(p, str) and p in stand_ins else None for p in params)
        if sorted(s for s in slots if s is not None) != list(range(len(values))):
            raise ValueError(f"hot_rows_for {key}: each value must be one parameter of the query, as given")
        entry = (query.db, sql, tuple(params), slots)
        remember(_parametrised, key, entry)
    alias, sql, params, slots = entry
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [p if s is None else values[s] for p, s in zip(params, slots)])
        return alias, cursor.fetchall()


_parametrised: dict[tuple, tuple[str, str, tuple, tuple]] = {}


def hot_instances(key: tuple, build: Callable[[], QuerySet]) -> list:
    """The model instances of the queryset `build()` returns (a plain one: no select_related, no
    annotations, no deferred fields), compiled once per `key` as hot_statement."""
    alias, sql, params = hot_statement(key, build)
    model = _models.get(key)
    if model is None:
        model = build().model
        remember(_models, key, model)
    return list(model._default_manager.db_manager(alias).raw(sql, params))


_models: dict[tuple, type] = {}
