#!/bin/sh
# First start of the database container only (an empty data folder): the login role the app runs as.
# It neither owns the tables nor is a superuser; `manage.py migrate`, run as the owner, grants it
# what it needs (append-only on the audit tables). On an existing database run the same statement
# by hand as a superuser (README, Security).
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$APP_DB_PASSWORD" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE tigermcp_app LOGIN PASSWORD :'pw';
SQL
