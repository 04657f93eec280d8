"""`make run` starts with check_services: a missing service is named, with how to start
it, and there is no traceback."""

from .helpers import manage, run_db_name


def test_reports_postgres_down_with_how_to_start_it():
    result = manage("check_services", env={"DATABASE_URL": "postgres://127.0.0.1:1/wsr"})
    assert result.returncode != 0
    assert "PostgreSQL is not reachable at 127.0.0.1:1" in result.stderr
    assert "pg_ctlcluster" in result.stderr
    assert "docker compose up -d postgres" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Redis" not in result.stderr  # Redis is up: only the missing service is named


def test_reports_redis_down_with_how_to_start_it():
    result = manage(
        "check_services",
        env={"REDIS_URL": "redis://127.0.0.1:1/0", "CACHE_URL": "redis://127.0.0.1:1/1"},
    )
    assert result.returncode != 0
    assert "Redis is not reachable at 127.0.0.1:1" in result.stderr
    assert "redis-server" in result.stderr
    assert "PostgreSQL" not in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_database_is_named_and_created_on_request(django_db_blocker):
    import psycopg

    name = f"{run_db_name()}_checksvc"
    with django_db_blocker.unblock(), psycopg.connect("dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    try:
        env = {"DATABASE_URL": f"postgres:///{name}"}
        result = manage("check_services", env=env)
        assert result.returncode != 0
        assert f'The database "{name}" does not exist' in result.stderr
        result = manage("check_services", "--create-db", env=env)
        assert result.returncode == 0, result.stderr
        assert f'Created the database "{name}"' in result.stdout
        assert manage("check_services", env=env).returncode == 0
    finally:
        with psycopg.connect("dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
