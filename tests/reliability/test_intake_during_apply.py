"""Public complaint intake running while a real worker applies a 300-buyer violation of
the same program (issue 13, defect 1).

Before the lock order of core/audit.py, ``consequences_apply`` locked the violation with
its program, supplier and provision FOR UPDATE and then waited for the program's
audit-chain lock, while each intake held the chain lock and, at COMMIT, waited for a KEY
SHARE lock on the program row (its deferred foreign-key check): PostgreSQL aborted one
side, a complaint (500, no receipt code) or the apply. Now every writer of the chain
takes the chain lock first and locks rows FOR NO KEY UPDATE, of the row itself.

Real processes: gunicorn (2 sync workers) answering the public API, a Celery worker,
both on the test database and the test's own redis-server; four threads of this process
post complaints as fast as they are answered.
"""

import threading
import time

import pytest
from django.utils import timezone

from complaints.models import Case
from core.audit import verify_chain
from enforcement import services
from enforcement.models import BuyerObligation, ConsequenceApplication, OutboxState, Sanction
from enforcement.services.violations import obligated_buyers
from tests.enforcement.conftest import propose

from .procs import add_buyers, submit_complaint, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.chaos]

THREADS = 4


class Intake:
    """``THREADS`` threads posting complaints to ``server`` until stopped."""

    def __init__(self, server, slug):
        self.server, self.slug = server, slug
        self.results = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(THREADS)]

    def _run(self):
        while not self._stop.is_set():
            result = submit_complaint(self.server, self.slug, timeout=60)
            with self._lock:
                self.results.append(result)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self.threads:
            thread.join(timeout=90)

    def count(self):
        with self._lock:
            return len(self.results)


def assert_every_complaint_received(world, results, cases_before):
    failures = [(status, body) for status, body, _ in results if status != 201]
    assert not failures, f"{len(failures)} of {len(results)} complaints failed: {failures[:3]}"
    codes = [body["receipt_code"] for _, body, _ in results]
    assert all(codes) and len(set(codes)) == len(codes)
    references = {body["reference"] for _, body, _ in results}
    stored = Case.objects.filter(program=world.program).exclude(pk__in=cases_before)
    # Every answered complaint is stored once, and nothing was stored unanswered.
    assert set(stored.values_list("reference", flat=True)) == references
    assert stored.count() == len(results)


@pytest.mark.django_db(transaction=True)
def test_intake_concurrent_with_a_300_buyer_apply_loses_nothing(personas, broker, workers, web):
    a = personas.a
    add_buyers(a, 300)
    expected = len(
        obligated_buyers(program_id=a.program.pk, supplier_id=a.supplier.pk, on=timezone.now())
    )
    assert expected >= 300
    server = web(broker.url(0), cache_url=broker.url(1))
    worker = workers(broker.url(0), name="applier", cache_url=broker.url(1))
    violation = propose(a)
    cases_before = list(Case.objects.filter(program=a.program).values_list("pk", flat=True))

    with Intake(server, a.slug) as intake:
        wait_for(lambda: intake.count() >= 10, "intake to flow", logs=[server.log])
        confirmed_at = timezone.now()
        services.violation_confirm(actor=a.user("admin"), violation=violation)
        wait_for(
            lambda: ConsequenceApplication.objects.filter(
                violation=violation, state=OutboxState.APPLIED
            ).exists(),
            "the worker to apply the violation while intake runs",
            timeout=120,
            logs=[worker.log, server.log],
        )
        during = intake.count()
        time.sleep(1)  # intake goes on after the apply committed

    application = ConsequenceApplication.objects.get(violation=violation)
    # The apply ran while complaints were coming in, and committed.
    received_during = Case.objects.filter(
        program=a.program, received_at__gte=confirmed_at, received_at__lte=application.applied_at
    ).count()
    assert received_during > 0
    assert intake.count() > during
    assert application.enqueue_count == 0  # applied by the confirmation's task, not the sweeper
    assert Sanction.objects.filter(violation=violation).count() == 1
    obligations = BuyerObligation.objects.filter(violation=violation)
    assert obligations.count() == expected
    assert obligations.values("buyer").distinct().count() == expected
    assert "deadlock" not in worker.log.read_text().lower()
    assert_every_complaint_received(a, intake.results, cases_before)
    assert verify_chain(a.program.pk) is None
