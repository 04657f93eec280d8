"""Celery jobs of the disclosure app (queue "reports")."""

from celery import shared_task


# The public report is a summary (target < 30 s at 20,000 facilities): a run past two
# minutes is a fault, not a large program.
@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=120, time_limit=150)
def render_report(program_id, version_key, lang=None):
    """Render the public report of a program. Idempotent: a redelivered or duplicate task
    finds the current version stored and does nothing. ``version_key`` is the version the
    visitor saw; the task renders the current one, in the visitor's language ``lang``
    (None: the default language, as tasks enqueued before languages were kept)."""
    from programs.selectors import program_public_list

    from . import reports

    # Re-check scope: a program made private since the request gets no report.
    program = program_public_list().filter(pk=program_id).first()
    if program is None:
        return None
    return reports.build_report(program, lang)
