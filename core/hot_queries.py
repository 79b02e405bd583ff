"""Queries compiled once and re-run: the few that every call or every order runs.

Building and compiling a query through the ORM costs 0.3-1 ms of Python on this project's hardware;
running it, 0.1-0.3 ms. Where a query's shape depends only on a key (who asks, which account), it is
compiled on first use and its SQL re-run each time: the rule stays in the queryset that builds it,
and every call still asks the database, so nothing read goes stale. Values that change from call to
call (an idempotency key, an order's id, a time) are given as `values`: the queryset is built once
with a stand-in for each, and each call's values take the stand-ins' places among the parameters.

hot_rows and hot_rows_for give rows as the database driver returns them, without the ORM's field
converters: for integers, strings and values compared only with other rows of the same query.
hot_values gives rows converted as values_list would give them, and hot_instances model instances
(with their annotations), converted as the ORM converts them: for decimals, dates, JSON, and on
every database.
"""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.sql import UpdateQuery

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


# Stand-ins: values no real call gives, found again among the compiled query's parameters. A time is
# found in the form the database takes it (SQLite: text), and each call's time is put in that form.
_STAND_IN_INT = -2_000_000_000
_STAND_IN_TIME = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


def _stand_in(i: int, value):
    if isinstance(value, str):
        return f"\x1fhot stand-in {i}\x1f"
    if isinstance(value, datetime):
        return _STAND_IN_TIME + timedelta(days=i)
    if isinstance(value, int) and not isinstance(value, bool):
        return _STAND_IN_INT - i
    raise TypeError(f"a hot query's value must be a string, an integer or an aware datetime (got {type(value).__name__})")


class _Compiled(NamedTuple):
    alias: str
    sql: str
    params: tuple
    slots: tuple  # per parameter: None (fixed), or (index of the call's value, whether it is a time)
    converters: tuple  # (column, converters, expression): the ORM's, as values_list and models apply them
    model: type | None  # hot_instances: the model, its fields' attnames, their columns, and the annotations
    init_list: tuple
    model_columns: tuple
    annotations: tuple


_compiled: dict[tuple, _Compiled] = {}


def _compile(key: tuple, build: Callable[..., QuerySet], values: tuple, *, update: bool = False) -> _Compiled:
    entry = _compiled.get(key)
    if entry is not None:
        return entry
    stand_ins = tuple(_stand_in(i, v) for i, v in enumerate(values))
    if update:  # build gives the rows and the new values, as QuerySet.update takes them
        query, changes = build(*stand_ins)
        statement = query.query.chain(UpdateQuery)
        statement.add_update_values(changes)
        compiler = statement.get_compiler(using=query.db)
    else:
        query = build(*stand_ins)
        compiler = query.query.get_compiler(using=query.db)
    sql, params = compiler.as_sql()
    ops = connections[query.db].ops
    # (the form the query holds, the value's index, whether each call's value must be put in that form)
    forms = [(s, i, False) for i, s in enumerate(stand_ins)] + [
        (ops.adapt_datetimefield_value(s), i, True) for i, s in enumerate(stand_ins) if isinstance(s, datetime)]
    # isinstance: the backend may wrap an integer in a subclass naming its column type (psycopg's Int8).
    slots = tuple(next(((i, adapt) for form, i, adapt in forms if isinstance(param, type(form)) and param == form),
                       None) for param in params)
    if sorted(s[0] for s in slots if s is not None) != list(range(len(values))):
        raise ValueError(f"hot query {key}: each value must be one parameter of the query, as given")
    converters, model, init_list, model_columns, annotations = (), None, (), (), ()
    if not update:
        select = [column for column, _sql, _alias in compiler.select[:compiler.col_count]]
        converters = tuple((column, convs, expression)
                           for column, (convs, expression) in compiler.get_converters(select).items())
    klass_info = None if update else compiler.klass_info
    if klass_info is not None and not query._fields:  # a queryset of models, not of values
        model = klass_info["model"]
        model_columns = tuple(klass_info["select_fields"])
        init_list = tuple(compiler.select[i][0].target.attname for i in model_columns)
        annotations = tuple(compiler.annotation_col_map.items())
    entry = _Compiled(query.db, sql, tuple(params), slots, converters, model, init_list, model_columns,
                      annotations)
    remember(_compiled, key, entry)
    return entry


def _run(entry: _Compiled, values: tuple, *, rowcount: bool = False):
    connection = connections[entry.alias]
    params = entry.params
    if values:
        params = [p if s is None else (connection.ops.adapt_datetimefield_value(values[s[0]]) if s[1] else values[s[0]])
                  for p, s in zip(params, entry.slots)]
    with connection.cursor() as cursor:
        cursor.execute(entry.sql, params)
        return cursor.rowcount if rowcount else cursor.fetchall()


def hot_rows_for(key: tuple, build: Callable[..., QuerySet], *values) -> tuple[str, list[tuple]]:
    """hot_rows for a query that also takes per-call values (strings, integers, aware datetimes, each
    one parameter of the query): compiled once per `key` with a stand-in for each."""
    entry = _compile(key, build, values)
    return entry.alias, _run(entry, values)


def _converted(entry: _Compiled, rows: list[tuple]) -> list[list]:
    # The converters were made by the connection that compiled the query: they read settings, not the
    # connection's state, and are given the calling thread's connection.
    connection = connections[entry.alias]
    converted = []
    for row in rows:
        row = list(row)
        for column, convs, expression in entry.converters:
            value = row[column]
            for convert in convs:
                value = convert(value, expression, connection)
            row[column] = value
        converted.append(row)
    return converted


def hot_values(key: tuple, build: Callable[..., QuerySet], *values) -> list[tuple]:
    """The rows of a values_list queryset, converted as values_list converts them, compiled once per
    `key` (per-call `values` as hot_rows_for takes them)."""
    entry = _compile(key, build, values)
    return [tuple(row) for row in _converted(entry, _run(entry, values))]


def hot_instances(key: tuple, build: Callable[..., QuerySet], *values) -> list:
    """The model instances of the queryset `build()` returns (no select_related, no deferred fields;
    annotations are set on each instance), compiled once per `key` (per-call `values` as hot_rows_for
    takes them)."""
    entry = _compile(key, build, values)
    if entry.model is None:
        raise ValueError(f"hot query {key}: hot_instances needs a queryset of models")
    model, alias, init_list, columns, annotations = (entry.model, entry.alias, entry.init_list, entry.model_columns,
                                                     entry.annotations)
    instances = []
    for row in _converted(entry, _run(entry, values)):
        instance = model.from_db(alias, init_list, [row[i] for i in columns])
        for name, column in annotations:
            setattr(instance, name, row[column])
        instances.append(instance)
    return instances


def hot_update(key: tuple, build: Callable[..., tuple[QuerySet, dict]], *values) -> int:
    """QuerySet.update, compiled once per `key`: `build` gives the rows and the new values ({field: value}),
    with per-call `values` as hot_rows_for takes them (each one parameter: a time used twice is given
    twice). Returns the number of rows updated. For plain updates of one model's own fields."""
    return _run(_compile(key, build, values, update=True), values, rowcount=True)


_INSERTS: dict[tuple, tuple[str, tuple]] = {}


def hot_insert(instance) -> None:
    """`instance` INSERTed as Model.save(force_insert=True) writes it (each field's pre_save and
    conversion, the primary key read back), the statement built once per model and database instead of
    compiled by the ORM on every call. No save signals are sent: for models nothing listens to. On
    PostgreSQL (RETURNING); elsewhere through save(force_insert=True)."""
    model = type(instance)
    connection = connections[router.db_for_write(model, instance=instance)]
    if connection.vendor != "postgresql" or (instance.pk is not None and model._meta.auto_field is model._meta.pk):
        instance.save(force_insert=True)
        return
    instance._prepare_related_fields_for_save(operation_name="save")
    statement = _INSERTS.get((model, connection.alias))
    if statement is None:
        meta, name = model._meta, connection.ops.quote_name
        auto_pk = meta.pk if meta.auto_field is meta.pk else None
        fields = tuple(f for f in meta.local_concrete_fields if f is not auto_pk)
        sql = (f"INSERT INTO {name(meta.db_table)} ({', '.join(name(f.column) for f in fields)}) "
               f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {name(meta.pk.column)}")
        statement = (sql, fields)
        remember(_INSERTS, (model, connection.alias), statement)
    sql, fields = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields])
        instance.pk = cursor.fetchone()[0]
    instance._state.adding, instance._state.db = False, connection.alias
