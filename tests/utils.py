"""Helpers for tests: counting queries, checking status codes, waiting for another
process (a Celery worker, a server) to get something done."""

import time
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(func):
    with CaptureQueriesContext(connection) as ctx:
        result = func()
    return len(ctx.captured_queries), result


def assert_constant_queries(fetch, grow, *, extra_rows=29):
    """``fetch()`` must issue the same number of queries before and after ``grow(n)`` adds
    ``n`` more rows to what it lists (1 row → 30 rows)."""
    before, response = count_queries(fetch)
    assert getattr(response, "status_code", 200) == 200, response
    grow(extra_rows)
    after, response = count_queries(fetch)
    assert getattr(response, "status_code", 200) == 200, response
    assert before == after, f"query count grows with rows: {before} → {after}"
    return after


def wait_for(predicate, what, *, timeout=60, interval=0.2, logs=()):
    """Call ``predicate()`` until it returns something true, and return that.

    The deadline is not a timing assertion: it only stops a broken test from hanging.
    On timeout the test fails naming ``what``, with the tail of each file in ``logs``
    (a worker's log, say)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    tails = "".join(f"\n--- {p}\n{Path(p).read_text()[-3000:]}" for p in logs if Path(p).exists())
    pytest.fail(f"timed out after {timeout}s waiting for {what}{tails}")


def drain_mail():
    """Send what the notification outbox holds, by running the task a worker runs
    (``core.tasks.send_notifications``) in this process: tests that cannot use a worker
    (their rows are in an uncommitted test transaction) still send for real, through
    the claim, render and mark-sent path, into ``mail.outbox``."""
    from core.tasks import send_notifications

    return send_notifications()


def sign_agreement(agreement):
    """Both parties sign ``agreement`` (a draft): what an agreement needs before it can
    become active (programs.services.agreement_transition)."""
    from core.actors import SystemActor
    from programs import services

    actor = SystemActor("test-setup")
    for party, name in (
        ("buyer", "Buyer's compliance director"),
        ("worker_organization", "Worker organization's coordinator"),
    ):
        services.signatory_add(actor=actor, agreement=agreement, party=party, name=name)
