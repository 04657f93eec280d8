"""The officer's obligations statement (obligations.pdf): built by a worker as an export
job (exports/jobs.py, kind ``obligations_statement``), not inside the web request (9 s
for 1,202 obligations at the bench's large scale).

The job records the (program, buyer) pairs it was asked for; it is built, and later
downloaded, only while the requester still holds an active officer membership for every
one of them (a membership ended in between: the build fails, the download is a 404).
"""

import io

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core.pdf import render_pdf

from . import selectors


def statement_pairs(memberships):
    return sorted([m.program_id, m.buyer_id] for m in memberships)


def _memberships_for(job, user):
    """The user's memberships the job was built for, or None if any has ended."""
    wanted = {tuple(pair) for pair in job.params.get("pairs", [])}
    current = [
        m for m in selectors.officer_memberships(user=user) if (m.program_id, m.buyer_id) in wanted
    ]
    if not wanted or {(m.program_id, m.buyer_id) for m in current} != wanted:
        return None
    return current


def statement_context(*, user, memberships, today=None):
    today = today or timezone.localdate()
    return {
        "user": user,
        "memberships": memberships,
        "generated_at": timezone.now(),
        "counts": selectors.obligation_counts(memberships=memberships, today=today),
        "open_obligations": list(
            selectors.obligation_list(memberships=memberships, status="open", today=today)
        ),
        "closed_obligations": list(
            selectors.obligation_list(memberships=memberships, status="closed", today=today)
        ),
    }


def statement_build(job, progress):
    """exports.jobs' builder: (handle, file name)."""
    memberships = _memberships_for(job, job.requested_by)
    if memberships is None:
        raise PermissionDenied("The requester is no longer the officer of these buyers.")
    context = statement_context(user=job.requested_by, memberships=memberships)
    progress(1, 3)  # the rows are read; WeasyPrint's layout is the long part
    pdf = render_pdf("buyer/statement_pdf.html", context)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return io.BytesIO(pdf), f"obligations-statement-{stamp}-{job.pk}.pdf"


def statement_may_download(job, user):
    return _memberships_for(job, user) is not None
