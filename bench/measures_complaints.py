"""Complaints at 100,000 cases: the staff case list and public submissions."""

import json

from bench.measure import inproc, login_cookie, measure, ratio, record, wrk
from bench.seeders.programs import BENCH_PASSWORD

MAIN = "bench-main"


@measure
def staff_case_list():
    cookie = login_cookie(f"staff@{MAIN}.bench", BENCH_PASSWORD)
    headers = {"Cookie": cookie}
    result = wrk(f"/p/{MAIN}/complaints/", headers=headers, timeout=10)
    record(
        "staff complaint list page 1: p95",
        f"{result['p95']:.0f} ms",
        target="p95 < 100 ms",
        ratio=ratio(result),
        note=(
            f"{result['rps']:.0f} req/s, p50 {result['p50']:.0f} ms, errors {result['errors']}"
            " (ratio = throughput)"
        ),
    )
    queries = inproc("case_list_queries")
    late = queries["late_page"]
    late_result = wrk(f"/p/{MAIN}/complaints/?page={late}", headers=headers, duration=6, timeout=10)
    record(
        f"staff complaint list late page ({late}): p95",
        f"{late_result['p95']:.0f} ms",
        target="p95 < 100 ms",
        ratio=ratio(late_result),
        note=f"{late_result['rps']:.0f} req/s, errors {late_result['errors']}",
    )
    # Pages in the second half are read from the end of the order (IdsFirstPaginator),
    # so the middle page, not the last, skips the most index entries: measure it too.
    middle = max(1, late // 2)
    mid_result = wrk(
        f"/p/{MAIN}/complaints/?page={middle}", headers=headers, duration=6, timeout=10
    )
    record(
        f"staff complaint list middle page ({middle}): p95",
        f"{mid_result['p95']:.0f} ms",
        target="p95 < 100 ms",
        ratio=ratio(mid_result),
        note=f"{mid_result['rps']:.0f} req/s, errors {mid_result['errors']}",
    )
    p1, pl = queries["page1"]["queries"], queries["late"]["queries"]
    record(
        f"staff complaint list queries per request ({queries['cases']} cases)",
        f"{p1} (page 1) / {pl} (page {late})",
        target="constant",
        note="constant" if p1 == pl else "NOT constant",
    )


SUBMIT_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = %s
"""


@measure
def public_submission():
    body = json.dumps(
        {
            "narrative": "The crew leader made us overfill the buckets all week.",
            "facility_description": "The packing house on County Road 12",
            "category": "wages",
            "language": "es",
        }
    )
    script = SUBMIT_LUA % json.dumps(body)
    result = wrk(
        f"/api/v1/public/{MAIN}/complaints/submit/", script=script, duration=10, connections=8
    )
    ok = result["requests"] - result["errors"]
    record(
        "public complaint submission (API)",
        f"{result['rps']:.0f} submissions/s",
        target="≥ 100/s",
        ratio=ratio(result),
        note=f"p95 {result['p95']:.0f} ms; {ok} accepted, {result['errors']} errors",
    )
