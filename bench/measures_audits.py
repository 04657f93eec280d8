"""Audits: the audit report PDF of an audit with 100 findings."""

from bench.measure import inproc, measure, record


@measure
def audit_report_pdf():
    result = inproc("audit_pdf", timeout=180)
    if "timeout" in result:
        record("audit report PDF", f"> {result['timeout']} s (killed)", target="< 3 s")
        return
    record(
        f"audit report PDF ({result['findings']} findings)",
        f"{result['seconds']:.2f} s",
        target="< 3 s",
        note=(
            f"{result['bytes'] // 1024} KB, {result['queries']} queries, "
            f"process peak RSS {result['peak_rss_mb']:.0f} MB"
            + (
                "; FAILS under the manifest static storage (hashed CSS name not found "
                "by core.pdf's fetcher), timed with plain static names"
                if result["workaround"]
                else ""
            )
        ),
    )
