"""Public side: the disclosure page and the open-data files at scale."""

import subprocess
import time

from bench.measure import BASE, BASELINE, gunicorn_worker_pids, measure, record, rss_mb, wrk

MAIN = "bench-main"


# Visitors browsing: a random supplier page of the first 400 in one of the program's
# languages, now and then a filter. Most requests at first render a page nobody has
# asked for yet (the cost of a cache miss), later ones find it stored.
BROWSE_LUA = """
local langs = {"en", "es", "ht", "bn"}
request = function()
  local path = "/public/%s/?lang=" .. langs[math.random(1, 4)]
  if math.random(1, 10) == 1 then
    path = path .. "&country=US&standing=good"
  end
  return wrk.format("GET", path .. "&page=" .. math.random(1, 400))
end
"""


@measure
def disclosure_page():
    result = wrk(f"/public/{MAIN}/")
    ratio = result["rps"] / BASELINE["rps"] if BASELINE.get("rps") else None
    record(
        "public disclosure page (20k facilities) throughput",
        f"{result['rps']:.0f} req/s",
        target="ratio ≥ 0.5",
        ratio=ratio,
        note=f"p95 {result['p95']:.1f} ms, errors {result['errors']}",
    )
    browse = wrk(f"/public/{MAIN}/", script=BROWSE_LUA % MAIN, duration=10, timeout=10)
    record(
        "public disclosure page, visitors browsing (random page of 400, 4 languages, some filtered)",
        f"{browse['rps']:.0f} req/s",
        ratio=browse["rps"] / BASELINE["rps"] if BASELINE.get("rps") else None,
        note=f"p50 {browse['p50']:.0f} ms, p95 {browse['p95']:.0f} ms, errors {browse['errors']}",
    )


def _download(path):
    pids = gunicorn_worker_pids()
    before = {p: rss_mb(p) for p in pids}
    t0 = time.monotonic()
    out = subprocess.run(
        ["curl", "-fsS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", BASE + path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    elapsed = time.monotonic() - t0
    after = {p: rss_mb(p) for p in pids}
    growth = max(after[p] - before.get(p, 0) for p in after)
    peak = max(rss_mb(p, "VmHWM") for p in pids)
    return elapsed, out, growth, peak


@measure
def open_data_csv():
    elapsed, out, growth, peak = _download(f"/public/{MAIN}/suppliers.csv")
    record(
        "suppliers.csv (20k rows) download",
        f"{elapsed:.2f} s",
        target="< 2 s",
        note=f"HTTP/bytes {out}; worker RSS growth {growth:.1f} MB, peak {peak:.0f} MB",
    )


@measure
def open_data_json():
    elapsed, out, growth, peak = _download(f"/public/{MAIN}/suppliers.json")
    record(
        "suppliers.json (20k rows) download",
        f"{elapsed:.2f} s",
        target="RSS < 150 MB",
        note=f"HTTP/bytes {out}; worker RSS growth {growth:.1f} MB, peak {peak:.0f} MB",
    )
    result = wrk(f"/api/v1/public/{MAIN}/suppliers/", duration=8)
    ratio = result["rps"] / BASELINE["rps"] if BASELINE.get("rps") else None
    record(
        "public suppliers API page throughput",
        f"{result['rps']:.0f} req/s",
        ratio=ratio,
        note=f"p95 {result['p95']:.1f} ms, errors {result['errors']}",
    )
