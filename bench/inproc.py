"""In-process measurements, run as a child process of bench/measure.py so that each has
a clean interpreter, its own peak RSS and a hard timeout (a quadratic loop must not hang
the whole suite).

    python -m bench.inproc <name>    # prints one line: JSON{...}

Uses the environment bench/run.sh exported (production settings, the bench database).
"""

import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from premiums import selectors as premiums_selectors  # noqa: E402 (after setup)

MAIN = "bench-main"
COMMANDS = {}


def command(func):
    COMMANDS[func.__name__] = func
    return func


def _program():
    from programs.models import Program

    return Program.objects.get(slug=MAIN)


def _timed(func):
    """(result, seconds, queries). Queries are counted by an execute wrapper: Django's
    captured-query log stops at 9,000 entries."""
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        t0 = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - t0
    return result, elapsed, count[0]


class _Rollback(Exception):
    pass


@command
def premium_reconciliation():
    from premiums.models import PurchaseReport

    program = _program()
    reports = PurchaseReport.objects.filter(program=program).count()
    pairs = (
        PurchaseReport.objects.filter(program=program)
        .values("buyer_id", "supplier_id")
        .distinct()
        .count()
    )
    # Every row (the CSV's work): the page itself is one LIMIT query (premiums/ledger.py).
    rows, elapsed, queries = _timed(
        lambda: list(premiums_selectors.reconciliation(program=program))
    )
    return {
        "seconds": elapsed,
        "rows": len(rows),
        "queries": queries,
        "reports": reports,
        "pairs": pairs,
    }


@command
def premium_shortfall_check():
    """The daily job over the same ledger, rolled back (it proposes violations)."""
    from django.contrib.auth import get_user_model

    from premiums.services import premium_shortfall_check as check

    program = _program()
    admin = get_user_model().objects.get(username=f"admin@{MAIN}.bench")
    out = {}
    try:
        with transaction.atomic():
            result, elapsed, queries = _timed(lambda: check(actor=admin, program=program))
            # The next day's run: every shortfall already proposed, nothing new to open.
            again, elapsed2, queries2 = _timed(lambda: check(actor=admin, program=program))
            out = {
                "seconds": elapsed,
                "queries": queries,
                "opened": len(result["opened"]),
                "shortfalls": result["shortfalls"],
                "steady_seconds": elapsed2,
                "steady_queries": queries2,
            }
            raise _Rollback
    except _Rollback:
        pass
    return out


@command
def audit_pdf():
    from audits.models import Audit, Report, ReportKind
    from audits.reports import render_report_pdf
    from bench.seeders.audits import PDF_AUDIT_SUMMARY

    program = _program()
    audit = Audit.objects.select_related("program", "facility").get(
        program=program, summary=PDF_AUDIT_SUMMARY
    )
    findings = audit.findings.count()
    report = Report(program=program, kind=ReportKind.AUDIT, audit=audit)
    workaround = False
    try:
        data, elapsed, queries = _timed(lambda: render_report_pdf(report))
    except BaseException:  # noqa: BLE001 - weasyprint raises a BaseException here
        workaround = True
        data, elapsed, queries = _manifest_workaround(
            lambda: _timed(lambda: render_report_pdf(report))
        )
    return {
        "seconds": elapsed,
        "queries": queries,
        "bytes": len(data),
        "findings": findings,
        "workaround": workaround,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _manifest_workaround(render):
    """core.pdf's fetcher finds static files through the finders, which know the source
    names only; under the production manifest storage {% static %} yields hashed names
    (pdf.<hash>.css) that only exist in STATIC_ROOT, so rendering fails. Rendered again
    with plain static names, to time the rest (reported in the note)."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.test import override_settings
    from django.utils.functional import empty

    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        staticfiles_storage._wrapped = empty  # noqa: SLF001 - re-read STORAGES
        try:
            return render()
        finally:
            staticfiles_storage._wrapped = empty  # noqa: SLF001


@command
def case_list_queries():
    """Queries per request of the staff complaint list: page 1 and a late page, with the
    test client against the bench database (same middleware as gunicorn)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from complaints.models import Case
    from core.pagination import PAGE_SIZE

    program = _program()
    user = get_user_model().objects.get(username=f"staff@{MAIN}.bench")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    total = Case.objects.filter(program=program).count()
    late = max(1, total // PAGE_SIZE - 1)
    out = {"cases": total, "late_page": late}
    for label, page in (("page1", 1), ("late", late)):
        client.get(f"/p/{MAIN}/complaints/?page={page}")  # warm caches
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(f"/p/{MAIN}/complaints/?page={page}")
            elapsed = time.perf_counter() - t0
        if response.status_code != 200:
            raise RuntimeError(f"{label}: HTTP {response.status_code}")
        out[label] = {"queries": len(ctx.captured_queries), "ms": elapsed * 1000}
        out[label + "_slowest"] = sorted(
            ({"ms": float(q["time"]) * 1000, "sql": q["sql"][:300]} for q in ctx.captured_queries),
            key=lambda q: -q["ms"],
        )[:3]
    return out


# ---------------------------------------------------------------- issue 16


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@command
def scale_ids():
    from audits.models import Audit
    from complaints.models import Case

    program = _program()
    case = Case.objects.filter(program=program).order_by("-pk").values_list("pk", flat=True).first()
    facility = (
        Audit.objects.filter(program=program, status="final")
        .order_by("-pk")
        .values_list("facility_id", flat=True)
        .first()
    )
    return {"case": case, "facility": facility}


@command
def scale_officer_everywhere():
    """An officer of the main program given a buyer officer membership in every program
    (idempotent): the "officer in 51 programs" of issue 16."""
    from core.roles import Role
    from programs.models import Buyer, Membership, Program

    main = (
        Membership.objects.filter(program__slug=MAIN, role=Role.BUYER_OFFICER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    user = main.user
    for program in Program.objects.exclude(slug=MAIN):
        buyer = Buyer.objects.filter(program=program).order_by("pk").first()
        if buyer is None:
            buyer = Buyer.objects.create(
                program=program, name="Bench portal buyer", headquarters_country="US"
            )
        Membership.objects.get_or_create(
            program=program, user=user, defaults={"role": Role.BUYER_OFFICER, "buyer": buyer}
        )
    n = Membership.objects.filter(user=user, role=Role.BUYER_OFFICER, is_active=True).count()
    return {"username": user.username, "programs": n}


@command
def scale_portal_queries():
    from django.test import Client

    info = scale_officer_everywhere()
    from django.contrib.auth import get_user_model

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=info["username"]))
    out = {"programs": info["programs"]}
    for label, path in (("home", "/buyer/"), ("agreements", "/buyer/agreements/")):
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            client.get(path)
        out[label] = len(ctx.captured_queries)
    return out


@command
def scale_public_report():
    from disclosure import reports, selectors

    program = _program()
    version = selectors.data_version(program)
    pdf, elapsed, queries = _timed(lambda: reports.render_report_pdf(program, version))
    return {"seconds": elapsed, "queries": queries, "bytes": len(pdf), "peak_mb": _peak_mb()}


@command
def scale_export_job():
    """The export job's work (what the worker runs), rolled back."""
    from django.contrib.auth import get_user_model

    from exports.services import program_export
    from programs.models import Membership

    program = _program()
    admin = get_user_model().objects.get(username=f"admin@{MAIN}.bench")
    membership = Membership.objects.get(program=program, user=admin)
    (handle, _m), elapsed, queries = _timed(
        lambda: program_export(actor=admin, program=program, membership=membership)
    )
    handle.seek(0, 2)
    size = handle.tell()
    handle.close()
    return {"seconds": elapsed, "queries": queries, "bytes": size, "peak_mb": _peak_mb()}


@command
def scale_obligations_statement():
    """The obligations statement job's work (what the worker runs) for the officer of
    the main program whose buyer has the most obligations (1,202 in issue 16)."""
    from django.db.models import Count

    from buyers import selectors, statement
    from core.pdf import render_pdf
    from core.roles import Role
    from enforcement.models import BuyerObligation
    from programs.models import Membership

    program = _program()
    top = (
        BuyerObligation.objects.filter(program=program)
        .values("buyer")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    membership = (
        Membership.objects.filter(
            program=program, buyer_id=top["buyer"], role=Role.BUYER_OFFICER, is_active=True
        )
        .select_related("user")
        .first()
    )
    memberships = [
        m for m in selectors.officer_memberships(user=membership.user) if m.program_id == program.pk
    ]

    def build():
        context = statement.statement_context(user=membership.user, memberships=memberships)
        return render_pdf("buyer/statement_pdf.html", context)

    pdf, elapsed, queries = _timed(build)
    return {
        "seconds": elapsed,
        "queries": queries,
        "bytes": len(pdf),
        "obligations": top["n"],
        "peak_mb": _peak_mb(),
    }


@command
def scale_admin_findings():
    from django.contrib.auth import get_user_model
    from django.test import Client

    User = get_user_model()
    root, _ = User.objects.get_or_create(
        username="bench-root",
        defaults={"email": "bench-root@bench", "is_staff": True, "is_superuser": True},
    )
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(root)
    # A superuser must have verified a second factor (core.mfa): without this session
    # key the admin answered a redirect to the MFA page, and its 5 queries were measured.
    device, _ = StaticDevice.objects.get_or_create(user=root, name="bench second factor")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    client.get("/admin/audits/finding/", secure=True)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/admin/audits/finding/", secure=True)
    assert response.status_code == 200, response.status_code
    return {
        "queries": len(ctx.captured_queries),
        # Rows of the result table (the read-only admin has no action checkboxes).
        "rows": response.content.split(b'id="result_list"')[-1].split(b"</table>")[0].count(b"<tr")
        - 1,
    }


@command
def registry_import_csv():
    from bench.registry_import import run

    return run("csv")


@command
def registry_import_xlsx():
    from bench.registry_import import run

    return run("xlsx")


def main():
    name = sys.argv[1]
    result = COMMANDS[name]()
    print("JSON" + json.dumps(result, default=str))


if __name__ == "__main__":
    main()
