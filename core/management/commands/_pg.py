"""libpq environment for pg_dump/pg_restore/psql from Django's database settings, so the
tools see the same DATABASE_URL/MIGRATION_DATABASE_URL (and *_FILE secrets) as Django."""

import os

import environ
from django.conf import settings

# Parses database URLs as the settings do (django-environ), without importing them.
env = environ.Env()


def owner_database_settings():
    """The owner's connection if MIGRATION_DATABASE_URL is set, else the application's."""
    url = getattr(settings, "MIGRATION_DATABASE_URL", "")
    return env.db_url_config(url) if url else dict(settings.DATABASES["default"])


def libpq_env(db, dbname=None):
    environ = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            environ[var] = str(db[key])
    if db.get("PASSWORD"):
        environ["PGPASSWORD"] = db["PASSWORD"]
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        environ["PGSSLMODE"] = sslmode
    environ["PGDATABASE"] = dbname or db["NAME"]
    return environ


def point_default_connection_at(db, dbname):
    """Make Django's default connection use ``dbname`` with ``db``'s credentials (the
    database a dump was taken from or restored into), for the checks that run there."""
    from django.db import connections

    connection = connections["default"]
    connection.close()
    connection.settings_dict.update(
        {k: db[k] for k in ("USER", "PASSWORD", "HOST", "PORT") if k in db}
    )
    connection.settings_dict["NAME"] = dbname
