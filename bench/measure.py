"""Measure the running platform (started by bench/run.sh) and print one table.

Every request figure is also a ratio to the trivial baseline view (/healthz/) served by
the same gunicorn in the same run, so the numbers hold on a noisy machine. Each
measurement is a function registered with @measure; apps' measurements live in
bench/measures_*.py modules and register the same way.
"""

import argparse
import datetime
import importlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Run as a script, this module is __main__; the measures_*.py modules import
# "bench.measure" and must register into this very module's MEASURES, not a second copy.
if __name__ == "__main__":
    sys.modules.setdefault("bench.measure", sys.modules[__name__])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

BASE = os.environ.get("BENCH_BASE_URL", "http://127.0.0.1:8100")
MEASURES = []
RESULTS = []
WRK_DONE = """
done = function(summary, latency, requests)
  io.write(string.format('JSON{"rps":%f,"p50":%f,"p95":%f,"p99":%f,"errors":%d,"requests":%d}\\n',
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.requests))
end
"""


def measure(func):
    MEASURES.append(func)
    return func


def record(what, value, target="", ratio=None, note=""):
    RESULTS.append(
        {
            "what": what,
            "value": value,
            "target": target,
            "ratio": "" if ratio is None else f"{ratio:.2f}",
            "note": " ".join(str(note).split()).replace("|", "/"),
        }
    )
    print(f"  {what}: {value}" + (f" (ratio {ratio:.2f})" if ratio is not None else ""))


def wrk(path, *, duration=10, connections=8, threads=2, script="", headers=None, timeout=None):
    """Run wrk against ``path``; return dict(rps, p50, p95, p99 in ms, errors, requests)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script + "\n" + WRK_DONE)
        lua = f.name
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "-s", lua]
    if timeout:  # wrk counts slower responses as errors (default 2 s) and leaves them out
        cmd += ["--timeout", f"{timeout}s"]
    for key, value in (headers or {}).items():
        cmd += ["-H", f"{key}: {value}"]
    out = subprocess.run([*cmd, BASE + path], capture_output=True, text=True, check=True).stdout
    os.unlink(lua)
    match = re.search(r"JSON(\{.*\})", out)
    if not match:
        raise RuntimeError(f"wrk gave no summary:\n{out}")
    return json.loads(match.group(1))


def gunicorn_worker_pids():
    master = int((ROOT / "var" / "bench-gunicorn.pid").read_text())
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def rss_mb(pid, field="VmRSS"):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def inproc(name, *, timeout=300):
    """Run ``python -m bench.inproc <name>`` (fresh interpreter, hard timeout); its JSON."""
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.inproc", name],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    match = re.search(r"^JSON(\{.*\})$", out.stdout, re.M)
    if not match:
        raise RuntimeError(f"bench.inproc {name} failed:\n{out.stderr[-1500:]}")
    return json.loads(match.group(1))


def login_cookie(username, password):
    """A session cookie for ``username`` from a real POST to /accounts/login/ (with CSRF).

    Production cookies are Secure, so a cookie jar would not send them back over plain
    HTTP to 127.0.0.1: the Set-Cookie headers are read and replayed by hand."""
    import http.client
    import urllib.parse

    host = urllib.parse.urlsplit(BASE)

    def request(method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read().decode(errors="replace")
        cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key.strip()] = rest.split(";", 1)[0]
        conn.close()
        return response.status, data, cookies

    status, page, cookies = request("GET", "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not token or "csrftoken" not in cookies:
        raise RuntimeError(f"login page: HTTP {status}, no CSRF token")
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    )
    status, _, more = request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Origin": BASE,
            "Referer": BASE + "/accounts/login/",
        },
    )
    if status != 302 or "sessionid" not in more:
        raise RuntimeError(f"login as {username} refused: HTTP {status}")
    _second_factor_verified(username, more["sessionid"])
    return f"sessionid={more['sessionid']}; csrftoken={more.get('csrftoken', cookies['csrftoken'])}"


def _second_factor_verified(username, session_key):
    """Mark the session as having verified a second factor, as django-otp's login does
    after a correct code. Admins, staff and investigators must have one (core.mfa):
    without it every staff page measured was the 302 to the MFA page (wrk counts it a
    success) and every staff API call a 403. Done in the session store, not through the
    TOTP form: the bench measures the pages, not the verification."""
    import importlib

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    user = get_user_model().objects.get(username=username)
    device, _ = StaticDevice.objects.get_or_create(user=user, name="bench second factor")
    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.save()


def ratio(result):
    return result["rps"] / BASELINE["rps"] if BASELINE.get("rps") else None


BASELINE = {}


@measure
def baseline():
    result = wrk("/healthz/")
    BASELINE.update(result)
    record(
        "baseline /healthz/ throughput",
        f"{result['rps']:.0f} req/s",
        note=f"p95 {result['p95']:.1f} ms",
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="large")
    parser.add_argument("--only", help="comma-separated measure names")
    args = parser.parse_args()
    for path in sorted((ROOT / "bench").glob("measures_*.py")):
        importlib.import_module(f"bench.{path.stem}")
    only = set(args.only.split(",")) if args.only else None
    print(f"WSR Platform benchmark, scale={args.scale}, {datetime.datetime.now():%Y-%m-%d %H:%M}")
    for func in MEASURES:
        if only and func.__name__ not in only and func.__name__ != "baseline":
            continue
        print(f"- {func.__name__}")
        t0 = time.monotonic()
        try:
            func()
        except Exception as exc:  # a failed measure is reported, the others still run
            record(func.__name__, "FAILED", note=f"{type(exc).__name__}: {exc}"[:200])
        print(f"  ({time.monotonic() - t0:.1f}s)")
    lines = [
        f"Machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"Scale: {args.scale}. Ratios are to /healthz/ on the same gunicorn in the same run.",
        "",
        "| what | value | ratio to baseline | target | note |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['what']} | {r['value']} | {r['ratio']} | {r['target']} | {r['note']} |"
        for r in RESULTS
    ]
    table = "\n".join(lines)
    print("\n" + table)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"latest-{args.scale}.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
