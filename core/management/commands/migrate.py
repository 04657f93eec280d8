"""``migrate`` that runs as the database owner role when MIGRATION_DATABASE_URL is set.

The application's everyday role (DATABASE_URL) may only read and write rows; it cannot
create, alter or drop tables, nor disable the audit log's trigger. Schema changes need the
owner, so this command swaps the owner's credentials into the connection it migrates.
"""

import environ
from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DEFAULT_DB_ALIAS, connections

# Parses database URLs as the settings do (django-environ), without importing them.
env = environ.Env()


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Runs as the owner role of MIGRATION_DATABASE_URL if set."

    def handle(self, *args, **options):
        url = getattr(settings, "MIGRATION_DATABASE_URL", "")
        alias = options.get("database") or DEFAULT_DB_ALIAS
        if url and alias == DEFAULT_DB_ALIAS:
            owner = env.db_url_config(url)
            connection = connections[alias]
            connection.close()
            for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS"):
                if key in owner:
                    connection.settings_dict[key] = owner[key]
            if options["verbosity"] >= 1:
                self.stdout.write(f"Migrating as the owner role {owner.get('USER') or '(default)'}")
        return super().handle(*args, **options)
