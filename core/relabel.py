"""The kernel was the ``wsr`` app until the project split it into ``config`` and ``core``.

A database migrated before the split records the kernel's migrations and content types
under the label ``wsr``. Renaming those rows (once, before ``migrate`` reads its history)
lets such a database carry on: the tables kept their names (``Meta.db_table``), so only
the bookkeeping moves. A fresh database has no ``wsr`` rows and nothing happens.
"""

LEGACY_LABELS = {"wsr": "core"}


def relabel_legacy_apps(connection, stdout=None):
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if "django_migrations" not in tables:
            return
        for old, new in LEGACY_LABELS.items():
            cursor.execute("SELECT 1 FROM django_migrations WHERE app = %s LIMIT 1", [new])
            if cursor.fetchone():
                continue
            cursor.execute("UPDATE django_migrations SET app = %s WHERE app = %s", [new, old])
            moved = cursor.rowcount
            if "django_content_type" in tables:
                cursor.execute(
                    "UPDATE django_content_type SET app_label = %s WHERE app_label = %s",
                    [new, old],
                )
            if moved and stdout is not None:
                stdout.write(f"Relabelled {moved} migrations of app {old!r} as {new!r}")
