"""Check that PostgreSQL and Redis are reachable before anything else starts.

``make run`` calls this first so that a missing service gives one clear sentence (which
service, where, and how to start it) instead of a traceback from deep inside Django.
With ``--create-db`` a missing database is created (the server must be up and the role
allowed to create databases).
"""

from urllib.parse import urlsplit

import psycopg
import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql

PG_HINT = """\
Start PostgreSQL (15 or newer) with one of:
  sudo pg_ctlcluster 15 main start        # Debian/Ubuntu
  sudo systemctl start postgresql         # systemd
  brew services start postgresql@15       # macOS
  docker compose up -d postgres           # then DATABASE_URL=postgres://wsr_owner:...@127.0.0.1:5432/wsr
or point DATABASE_URL at a running server."""

REDIS_HINT = """\
Start Redis with one of:
  sudo service redis-server start         # Debian/Ubuntu
  redis-server --daemonize yes            # any machine with Redis installed
  brew services start redis               # macOS
  docker compose up -d redis              # then REDIS_URL=redis://127.0.0.1:6379/0
or point REDIS_URL / CELERY_BROKER_URL / CACHE_URL at a running server."""


def _pg_conninfo(db, dbname=None):
    params = {
        "dbname": dbname or db.get("NAME") or "",
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": str(db["PORT"]) if db.get("PORT") else None,
        "connect_timeout": 3,
    }
    params.update({k: v for k, v in (db.get("OPTIONS") or {}).items() if isinstance(v, str)})
    return {k: v for k, v in params.items() if v is not None}


def _pg_where(db):
    host = db.get("HOST") or "the local socket (/var/run/postgresql)"
    port = db.get("PORT") or 5432
    return f"{host}:{port}" if db.get("HOST") else host


class Command(BaseCommand):
    help = "Check that PostgreSQL and Redis are reachable (and optionally create the database)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--create-db", action="store_true", help="create the database if it is missing"
        )

    def handle(self, *args, **options):
        problems = []
        pg_problem = self._check_postgres(create=options["create_db"])
        if pg_problem:
            problems.append(pg_problem)
        redis_problem = self._check_redis()
        if redis_problem:
            problems.append(redis_problem)
        if problems:
            raise CommandError("\n\n".join(problems))
        self.stdout.write(self.style.SUCCESS("PostgreSQL and Redis are reachable."))

    def _check_postgres(self, *, create):
        db = settings.DATABASES["default"]
        name = db.get("NAME")
        try:
            psycopg.connect(**_pg_conninfo(db)).close()
            return None
        except psycopg.OperationalError as exc:
            message = str(exc).strip()
        if "does not exist" in message and f'"{name}"' in message and "database" in message:
            if not create:
                return f'The database "{name}" does not exist. Create it with: createdb {name}'
            return self._create_database(db, name)
        if "role" in message and "does not exist" in message:
            return (
                f"PostgreSQL at {_pg_where(db)} is running but refused the role: {message}\n"
                "Create it (e.g. sudo -u postgres createuser --createdb $USER) or set "
                "DATABASE_URL to a role that exists."
            )
        return (
            f"PostgreSQL is not reachable at {_pg_where(db)} ({message.splitlines()[0]}).\n"
            + PG_HINT
        )

    def _create_database(self, db, name):
        try:
            with psycopg.connect(**_pg_conninfo(db, dbname="postgres"), autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            return f'The database "{name}" does not exist and could not be created: {exc}'
        self.stdout.write(f'Created the database "{name}".')
        return None

    def _check_redis(self):
        urls = {settings.CELERY_BROKER_URL, settings.CACHES["default"]["LOCATION"]}
        for url in sorted(urls):
            parts = urlsplit(url)
            where = f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}"
            try:
                client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
                client.ping()
                client.close()
            except redis.RedisError as exc:
                return f"Redis is not reachable at {where} ({exc}).\n" + REDIS_HINT
        return None
