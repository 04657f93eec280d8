"""The deployment files are checked by reading them (no Docker engine in CI): the compose
stack, the image, the Makefile's run sequence, and the README's configuration table."""

import re
import subprocess
import sys
import tomllib

import yaml

from .helpers import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("web", "worker", "beat")


def test_compose_has_the_stack_with_health_checks_and_volumes():
    assert set(SERVICES) == {"postgres", "redis", "minio", "migrate", "web", "worker", "beat"}
    for name in ("postgres", "redis", "minio", *APP_SERVICES):
        assert "healthcheck" in SERVICES[name], name
    major = int(re.search(r"postgres:(\d+)", SERVICES["postgres"]["image"]).group(1))
    assert major >= 15
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]
    assert "miniodata:/data" in SERVICES["minio"]["volumes"]
    assert {"pgdata", "miniodata"} <= set(COMPOSE["volumes"])
    # Uploaded files live in the object storage all app containers share (they may run on
    # different hosts), not on a host volume one of them has.
    for name in ("migrate", *APP_SERVICES):
        env = SERVICES[name]["environment"]
        assert env["FILE_STORAGE"] == "s3" and env["S3_ENDPOINT_URL"] == "http://minio:9000"
        assert "media:/app/var/media" not in SERVICES[name].get("volumes", []) or name == "migrate"
        assert SERVICES[name]["depends_on"]["minio"]["condition"] == "service_healthy"
    worker = " ".join(SERVICES["worker"]["command"])
    assert "worker" in worker and "-Q default,reports" in worker
    assert "beat" in " ".join(SERVICES["beat"]["command"])
    for name in APP_SERVICES:
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
        assert SERVICES[name]["environment"]["DJANGO_SETTINGS_MODULE"] == (
            "config.settings.production"
        )


def test_compose_gives_the_running_app_only_the_row_level_role():
    for name in APP_SERVICES:
        env = SERVICES[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://wsr_app:")
        leaked = {"MIGRATION_DATABASE_URL", "DATABASE_ADMIN_URL", "POSTGRES_PASSWORD"} & set(env)
        assert not leaked, (name, leaked)
        assert "WSR_DB_OWNER_PASSWORD" not in str(env)
    migrate = SERVICES["migrate"]
    assert migrate["environment"]["MIGRATION_DATABASE_URL"].startswith("postgres://wsr_owner:")
    command = " ".join(migrate["command"])
    assert command.index("setup_db_roles") < command.index("migrate --noinput")
    # Grants on the new tables, then the files' bucket.
    assert command.rindex("setup_db_roles") > command.index("migrate --noinput")
    assert command.rstrip().endswith("ensure_bucket")


def test_every_compose_variable_is_in_env_example():
    text = (ROOT / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert required <= example, required - example


def test_dockerfile_is_slim_non_root_with_weasyprint_libraries_and_static_files():
    text = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.13-slim" in text
    assert re.search(r"^USER wsr$", text, re.M)
    for package in ("libpango-1.0-0", "libharfbuzz0b", "fonts-noto-core"):
        assert package in text
    assert "collectstatic" in text
    assert '"gunicorn"' in text and "%(h)s" not in text  # no client address in access logs


def test_make_run_sequence():
    result = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    steps = [
        "scripts/system-packages.sh",
        "check_services --create-db",
        "migrate --noinput",
        "seed_demo",
        "collectstatic",
        "scripts/run.sh",
    ]
    positions = [result.stdout.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), result.stdout
    for script in ("scripts/run.sh", ".ci/run", "scripts/system-packages.sh"):
        subprocess.run(["bash", "-n", str(ROOT / script)], check=True)


def test_readme_documents_every_environment_variable_the_settings_read():
    names = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        text = path.read_text()
        names |= set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", text))
        names |= set(re.findall(r"(?:env_secret|required_secret)\(\s*\"([A-Z][A-Z0-9_]+)\"", text))
    readme = (ROOT / "README.md").read_text()
    assert len(names) > 25
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing, f"README.md's configuration table lacks: {missing}"


def test_readme_lists_every_demo_login_and_the_password():
    from demo.data import DEMO_PASSWORD
    from demo.seed import logins

    readme = (ROOT / "README.md").read_text()
    assert f"`{DEMO_PASSWORD}`" in readme
    for _program, _role, email in logins():
        assert f"`{email}`" in readme, email


def test_make_test_installs_what_it_needs_and_ci_only_calls_it():
    result = subprocess.run(
        ["make", "-n", "test", "TEST_WORKERS=2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    assert out.index("scripts/system-packages.sh") < out.index("pytest -n 2")
    # A fresh machine gets Chromium, pdftotext, msgfmt and the PostgreSQL client from it.
    script = (ROOT / "scripts" / "system-packages.sh").read_text()
    for package in ("chromium", "poppler-utils", "gettext", "postgresql-client", "fonts-noto-core"):
        assert package in script, package
    commands = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert commands[-1].startswith("exec make test"), commands


def _pins(path):
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1).lower())] = match.group(2)
    return pins


def test_the_lock_files_hold_every_pin_of_pyproject():
    """`make lock` was run after the last change to pyproject.toml's dependencies (else
    `make install` refuses to run), and both locks agree with pyproject's pins."""
    check = subprocess.run(
        [sys.executable, "scripts/lock.py", "check"], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _pins(ROOT / "requirements.lock")
    dev = _pins(ROOT / "requirements-dev.lock")
    for requirement in project["dependencies"]:
        name, version = re.sub(r"\[.*\]", "", requirement).split("==")
        name = re.sub(r"[-_.]+", "-", name.lower())
        assert runtime.get(name) == version == dev.get(name), requirement
    for requirement in project["optional-dependencies"]["dev"]:
        name, version = re.sub(r"\[.*\]", "", requirement).split("==")
        assert dev.get(re.sub(r"[-_.]+", "-", name.lower())) == version, requirement
    # The runtime tree is the same in both: the tests run what the image runs.
    assert {k: v for k, v in dev.items() if k in runtime} == runtime


def test_image_and_make_install_from_the_locks():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements.lock" in dockerfile
    result = subprocess.run(
        ["make", "-n", "-B", "install", "VENV=/nonexistent-venv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "scripts/lock.py check" in result.stdout
    assert "--require-hashes -r requirements-dev.lock" in result.stdout
