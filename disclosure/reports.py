"""The public program report (PDF): rendered by a Celery job, kept until the data changes.

The PDF is stored in the cache (Redis) with the version of the figures it shows
(``DataVersion.figures_key``: the register and the complaint figures), and the latest
rendering is kept so a visitor gets the previous report while the new one renders. A render is enqueued at most once per version (``cache.add``
is atomic in Redis); the task itself is idempotent: it does nothing if the version it
would produce is already stored.
"""

from django.core.cache import cache
from django.utils import timezone

from . import selectors

REPORT_TIMEOUT = 30 * 24 * 3600
# How long a claimed render blocks another enqueue of the same version (a lost task is
# retried by the next visitor after this).
RENDER_CLAIM_SECONDS = 300


def _key(program_id, suffix):
    return f"disclosure:report:{program_id}:{suffix}"


def stored_report(program):
    """(version key, pdf bytes) of the latest rendered report, or (None, None)."""
    latest = cache.get(_key(program.pk, "latest"))
    if not latest or "key" not in latest:
        return None, None
    return latest["key"], latest["pdf"]


def request_render(program, version):
    """Enqueue the render of ``version`` unless one is already claimed. Returns True if
    this call enqueued it."""
    if not cache.add(_key(program.pk, f"claim:{version.figures_key}"), 1, RENDER_CLAIM_SECONDS):
        return False
    from .tasks import render_report

    render_report.delay(program.pk, version.figures_key)
    return True


def report_context(program, version):
    from .policy import POLICY

    stats = selectors.public_statistics(program=program, version=version)
    return {
        "program": POLICY.program(program),
        "version": version,
        "stats": stats,
        "code": selectors.public_code(program=program, language="en"),
        "buyers": list(selectors.buyer_records(program=program)),
        "suppliers": list(selectors.supplier_records(program=program)),
        "generated_at": timezone.now(),
        "licence": POLICY.licence,
    }


def render_report_pdf(program, version):
    from core.pdf import render_pdf

    return render_pdf("disclosure/report_pdf.html", report_context(program, version))


def build_report(program):
    """Render the current version unless it is stored already; return its key.

    Called by the task. Renders whatever the data version is *now* (newer than the one
    requested if data changed in between), so a late task never stores stale data as new.
    """
    version = selectors.data_version(program)
    key, _pdf = stored_report(program)
    if key == version.figures_key:
        return key
    pdf = render_report_pdf(program, version)
    # Only move "latest" forward: a slow render of an older version must not overwrite.
    latest = cache.get(_key(program.pk, "latest"))
    if not latest or tuple(latest.get("order", ())) < version.order:
        cache.set(
            _key(program.pk, "latest"),
            {"key": version.figures_key, "order": version.order, "pdf": pdf},
            REPORT_TIMEOUT,
        )
    return version.figures_key
