"""Bulk import (issue 19): a 20,000-row supplier list as CSV and as XLSX, previewed
(validation and matching against an Open Supply Hub download of 20,000 rows) and applied
through the programs services, then uploaded again (must change nothing, ask nothing).
Runs in a child (bench/inproc.py) on a fresh program, rolled back afterwards."""

from bench.measure import inproc, measure, record


@measure
def registry_import():
    for file_format in ("csv", "xlsx"):
        result = inproc(f"registry_import_{file_format}", timeout=900)
        if "timeout" in result:
            record(
                f"import 20,000 rows ({file_format})",
                f"> {result['timeout']} s (killed)",
                target="< 60 s",
            )
            continue
        record(
            f"import 20,000 rows ({file_format}, {result['file_mb']} MB): upload, preview, apply",
            f"{result['total_s']:.1f} s",
            target="< 60 s",
            note=(
                f"read {result['read_s']} s, preview {result['preview_s']} s, apply "
                f"{result['apply_s']} s; {result['report']}; {result['events']} audit events; "
                f"{result['os_ids']} OS IDs matched"
            ),
        )
        record(
            f"re-upload of the same {file_format} (changes nothing, asks nothing)",
            f"{result['reupload_s']:.1f} s",
            note=f"{result['reupload_summary']}; {result['reupload_events']} event (the batch's)",
        )
