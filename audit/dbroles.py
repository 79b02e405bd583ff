"""PostgreSQL: the role the app runs as (settings.DATABASE_APP_ROLE).

It neither owns the tables nor is a superuser, so its privileges alone refuse what the triggers
refuse: it may read and append audit events and move the head row (which its trigger restricts),
never update, delete or truncate them. Every other table gets the usual SELECT/INSERT/UPDATE/DELETE.

`migrate` (run as the tables' owner) calls app_role_sync after every run, so tables added by later
migrations get their grants too. The role is created NOLOGIN; log in as a member of it (README).
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, transaction

AUDIT_TABLE_PRIVILEGES = {
    "audit_auditevent": "SELECT, INSERT",
    "audit_audithead": "SELECT, INSERT, UPDATE",
}
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def app_role_name() -> str:
    role = settings.DATABASE_APP_ROLE
    if not _ROLE_NAME.match(role):
        raise ImproperlyConfigured(
            f"DATABASE_APP_ROLE must be a plain PostgreSQL role name (lower-case letters, digits, _), got {role!r}."
        )
    return role


@dataclass
class RoleSync:
    ok: bool
    message: str


def app_role_sync(connection) -> RoleSync:
    """Create the app role if it is missing and the current role may create roles, then grant it
    exactly what the app needs on every table of the current schema."""
    role = app_role_name()
    q = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute("SELECT current_user, current_schema(), rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        me, schema, may_create = cur.fetchone()
        if role == me:
            return RoleSync(False, f"DATABASE_APP_ROLE is {role!r}, the role migrate runs as (the tables' owner): "
                                   f"set it to another role, which the app then runs as.")
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        created = False
        if cur.fetchone() is None:
            if not may_create:
                return RoleSync(False, f"PostgreSQL role {role!r} (DATABASE_APP_ROLE) does not exist and {me!r} may not "
                                       f"create roles: as a superuser run CREATE ROLE {role} NOLOGIN; then migrate again.")
            try:
                with transaction.atomic(using=connection.alias):
                    cur.execute(f"CREATE ROLE {q(role)} NOLOGIN")
                created = True
            except DatabaseError:  # created meanwhile by a migrate on another database of this cluster
                pass
        cur.execute(f"GRANT USAGE ON SCHEMA {q(schema)} TO {q(role)}")
        cur.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {q(schema)} TO {q(role)}")
        cur.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q(schema)} TO {q(role)}")
        for table, privileges in AUDIT_TABLE_PRIVILEGES.items():
            cur.execute(f"REVOKE ALL ON {q(table)} FROM {q(role)}")
            cur.execute(f"GRANT {privileges} ON {q(table)} TO {q(role)}")
    verb = "created and granted" if created else "granted"
    return RoleSync(True, f"PostgreSQL role {role!r} {verb}: append-only on the audit tables, read and write elsewhere.")


def sync_after_migrate(sender, *, using, verbosity=1, stdout=None, plan=None, **kwargs):
    """post_migrate receiver. flush sends post_migrate too, without a plan: nothing to grant then."""
    from django.db import connections

    connection = connections[using]
    if plan is None or connection.vendor != "postgresql":
        return
    result = app_role_sync(connection)
    if stdout is not None and (verbosity >= 1 or not result.ok):
        stdout.write(("  " if result.ok else "  WARNING: ") + result.message + "\n")


def connection_standing(connection) -> tuple[str, bool, bool] | None:
    """(role, is superuser, owns the audit tables) of a PostgreSQL connection; None before migrate."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT current_user, current_setting('is_superuser') = 'on', pg_has_role(current_user, c.relowner, 'MEMBER') "
            "FROM pg_class c WHERE c.oid = to_regclass('audit_auditevent')"
        )
        return cur.fetchone()
