"""Issue 16: every page that grew with the program, measured at the bench's scale and
reported beside /healthz/ (ratio = throughput / baseline throughput, same run).

Request figures come from wrk against gunicorn (5 s, 4 connections); sizes from one
plain GET; in-process figures (queries, render time, peak RSS) from bench.inproc."""

import urllib.error
import urllib.request

from bench.measure import BASE, inproc, login_cookie, measure, ratio, record, wrk
from bench.seeders.programs import BENCH_PASSWORD

MAIN = "bench-main"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _status(path, headers=None):
    request = urllib.request.Request(BASE + path, headers=headers or {})
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _size(path, headers=None):
    request = urllib.request.Request(BASE + path, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (local)
        return len(response.read())


def _page(label, path, headers=None, target="p95 < 150 ms", size=False):
    status = _status(path, headers)
    if status != 200:  # a redirect (login, MFA) or a refusal is not the page
        record(f"{label}: p95", f"HTTP {status}", target=target, note="not measured")
        return
    result = wrk(path, headers=headers, duration=5, connections=4, timeout=20)
    note = f"p50 {result['p50']:.0f} ms, {result['rps']:.1f} req/s, errors {result['errors']}"
    if size:
        note += f", {_size(path, headers) / 1024:.0f} KB"
    record(
        f"{label}: p95", f"{result['p95']:.0f} ms", target=target, ratio=ratio(result), note=note
    )


def _staff():
    return {"Cookie": login_cookie(f"staff@{MAIN}.bench", BENCH_PASSWORD)}


@measure
def public_complaint_form():
    path = f"/public/{MAIN}/complaints/new/"
    _page("public complaint form (anonymous)", path, target="< 50 ms, < 100 KB", size=True)
    _page("public complaint form, workplace search", path + "?q=farm", size=True)


@measure
def staff_picker_forms():
    headers = _staff()
    ids = inproc("scale_ids")
    for label, path in [
        ("staff form: new audit", f"/p/{MAIN}/audits/new/"),
        ("staff form: new complaint", f"/p/{MAIN}/complaints/new/"),
        ("staff form: propose violation", f"/p/{MAIN}/enforcement/violations/new/"),
        ("staff form: new CAP item", f"/p/{MAIN}/audits/caps/items/new/"),
        ("staff form: education session", f"/p/{MAIN}/audits/education/new/"),
        ("staff form: new facility", f"/p/{MAIN}/facilities/new/"),
        ("staff form: new sourcing", f"/p/{MAIN}/sourcing/new/"),
        ("staff complaint detail", f"/p/{MAIN}/complaints/{ids['case']}/"),
        ("picker search endpoint", f"/p/{MAIN}/pick/facilities/?q=farm"),
    ]:
        _page(label, path, headers, size=True)


@measure
def premium_ledger_pages():
    headers = _staff()
    _page("premium ledger page", f"/p/{MAIN}/premium/", headers)
    _page("premium ledger page 2000", f"/p/{MAIN}/premium/?page=2000", headers)
    _page("premium reconciliation API", f"/api/v1/programs/{MAIN}/premium/reconciliation/", headers)


@measure
def audit_pages():
    headers = _staff()
    ids = inproc("scale_ids")
    for label, path in [
        ("grades", f"/p/{MAIN}/audits/grades/"),
        ("facility history", f"/p/{MAIN}/audits/facilities/{ids['facility']}/history/"),
        ("audits list", f"/p/{MAIN}/audits/"),
        ("API audits", f"/api/v1/programs/{MAIN}/audits/"),
        ("API audit findings", f"/api/v1/programs/{MAIN}/audit-findings/"),
        ("CAP list", f"/p/{MAIN}/audits/caps/"),
        ("API CAP progress", f"/api/v1/programs/{MAIN}/caps/progress/"),
        # The seed has 100,000 cases: 2,000 API pages of 50 (the issue measured page 2015
        # of 100,708 cases).
        ("API cases, page 1999 of 2000", f"/api/v1/programs/{MAIN}/complaints/cases/?page=1999"),
    ]:
        _page(label, path, headers)


@measure
def buyer_portal_many_programs():
    officer = inproc("scale_officer_everywhere")
    headers = {"Cookie": login_cookie(officer["username"], BENCH_PASSWORD)}
    for label, path in [
        (f"buyer portal home, officer in {officer['programs']} programs", "/buyer/"),
        ("buyer portal agreements", "/buyer/agreements/"),
        ("buyer portal statement page (the job's)", "/buyer/statement/"),
    ]:
        _page(label, path, headers)
    q = inproc("scale_portal_queries")
    record(
        "buyer portal queries (home / agreements)",
        f"{q['home']} / {q['agreements']}",
        target="constant in programs",
        note=f"officer in {q['programs']} programs",
    )


@measure
def long_outputs():
    r = inproc("scale_public_report", timeout=600)
    record(
        "public report.pdf render (in-process)",
        f"{r.get('seconds', 0):.1f} s" if "seconds" in r else f"timeout {r.get('timeout')} s",
        target="< 30 s, < 500 MB",
        note=f"peak RSS {r.get('peak_mb', 0):.0f} MB, {r.get('bytes', 0) / 1024:.0f} KB",
    )
    r = inproc("scale_export_job", timeout=600)
    record(
        "program export job (worker code, in-process)",
        f"{r.get('seconds', 0):.1f} s",
        target="off the web request",
        note=f"peak RSS {r.get('peak_mb', 0):.0f} MB, {r.get('bytes', 0) / 1e6:.0f} MB zip",
    )
    r = inproc("scale_obligations_statement", timeout=600)
    record(
        "obligations statement job (worker code, in-process)",
        f"{r.get('seconds', 0):.1f} s" if "seconds" in r else f"timeout {r.get('timeout')} s",
        target="off the web request",
        note=f"{r.get('obligations', 0)} obligations, {r.get('queries', 0)} queries, "
        f"peak RSS {r.get('peak_mb', 0):.0f} MB, {r.get('bytes', 0) / 1024:.0f} KB",
    )
    r = inproc("scale_admin_findings")
    record(
        "admin audit findings: queries",
        str(r["queries"]),
        target="constant (was 106)",
        note=f"{r['rows']} rows on the page",
    )
