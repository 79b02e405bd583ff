from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import connections

from audit.dbroles import app_role_name, connection_standing

RUN_AS = ("Run web, workers and run_mcp as DATABASE_APP_ROLE ({role}) or a login role in it; only migrate "
          "needs the owner. See README, Security.")


@register(Tags.database)
def app_runs_as_app_role(app_configs=None, databases=None, **kwargs):
    """Production on PostgreSQL: the app's own role must not be able to disable or bypass the audit
    triggers (a superuser) nor drop or alter them (the owner). Runs with `check --database default`."""
    if not settings.PRODUCTION:
        return []
    problems = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        standing = connection_standing(connection)
        if standing is None:
            continue
        user, superuser, owner = standing
        role = app_role_name()
        if superuser:
            problems.append(Warning(
                f"Database {alias!r}: connected as {user!r}, a superuser, who can switch the audit triggers off.",
                hint=RUN_AS.format(role=role), id="audit.W001"))
        elif owner:
            problems.append(Warning(
                f"Database {alias!r}: connected as {user!r}, which owns the audit tables and can drop their triggers.",
                hint=RUN_AS.format(role=role), id="audit.W002"))
    return problems
