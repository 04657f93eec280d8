"""The fast paths of intake and of the staff case list (issue 8) keep their guarantees:
gap-free case numbers and a linear audit chain under concurrent submissions, the locks
taken last, the program's clocks on public submissions, the throttle's buckets, and
case-list pages read from either end of the order showing the same rows."""

import datetime
import threading

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import selectors, services, throttle
from complaints.models import Case
from complaints.views import LIST_LABEL_FIELDS
from core.audit import verify_chain
from core.models import AuditEvent
from core.pagination import IdsFirstPaginator, with_choice_labels
from core.roles import Role
from tests.utils import count_queries

from .conftest import submit, triaged

pytestmark = pytest.mark.django_db

BODY = {
    "narrative": "The crew leader made us overfill the buckets all week.",
    "facility_description": "The packing house on County Road 12",
    "category": "wages",
    "language": "es",
}


def submit_url(world):
    return reverse("complaints-public-api:submit", kwargs={"program": world.slug})


# ---------------------------------------------------------------- intake


class _Rollback(Exception):
    pass


def test_concurrent_submissions_get_gap_free_numbers_and_a_linear_chain(transactional_db, personas):
    world = personas.a
    errors = []

    def run(worker):
        try:
            for i in range(5):
                if worker == 0 and i == 2:
                    # A submission whose transaction rolls back after taking its number:
                    # the number is free again for the next one.
                    try:
                        with transaction.atomic():
                            submit(world)
                            raise _Rollback
                    except _Rollback:
                        pass
                submit(world, category="wages" if i % 2 else "violence")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    numbers = sorted(Case.objects.filter(program=world.program).values_list("number", flat=True))
    assert numbers == list(range(1, 21))
    references = set(Case.objects.filter(program=world.program).values_list("reference", flat=True))
    assert len(references) == 20
    received = AuditEvent.objects.filter(program=world.program, verb="case.received")
    assert received.count() == 20
    assert verify_chain(world.program.pk) is None


def test_public_submission_takes_its_locks_last(personas):
    """While the program's number and chain locks are held (every other submission to
    the program waits), only the read of the last number and chain head, the two
    INSERTs and the commit run: no validation query, no policy read."""
    world = personas.a
    client = Client()
    client.post(submit_url(world), BODY, content_type="application/json")  # warm up
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(submit_url(world), BODY, content_type="application/json")
    assert response.status_code == 201, response.content
    sqls = [q["sql"] for q in ctx.captured_queries]
    locks = [i for i, sql in enumerate(sqls) if "pg_advisory_xact_lock" in sql]
    assert len(locks) == 1, sqls  # both locks, one statement
    after = sqls[locks[0] + 1 :]
    assert "max(number)" in after[0] and "wsr_auditevent" in after[0]
    assert after[1].startswith('INSERT INTO "complaints_case"')
    assert after[2].startswith('INSERT INTO "wsr_auditevent"')
    # Then only the end of the transaction (a savepoint's release inside a test).
    assert all("RELEASE SAVEPOINT" in sql or sql == "COMMIT" for sql in after[3:]), after
    assert len(sqls) == 7, sqls  # program (with its clocks), begin, locks, read, 2 inserts, end


def test_public_submission_uses_the_programs_clocks(personas):
    world = personas.a
    client = Client()
    response = client.post(submit_url(world), BODY, content_type="application/json")
    case = Case.objects.get(reference=response.json()["reference"])
    assert case.ack_due - case.received_at == datetime.timedelta(hours=72)  # defaults
    services.complaint_policy_set(
        actor=world.user(Role.ADMIN),
        program=world.program,
        clocks={"normal": {"ack_hours": 5, "resolution_days": 9}},
    )
    response = client.post(submit_url(world), BODY, content_type="application/json")
    case = Case.objects.get(reference=response.json()["reference"])
    assert case.ack_due - case.received_at == datetime.timedelta(hours=5)
    assert case.triage_due - case.received_at == datetime.timedelta(hours=168)  # default kept
    assert case.resolution_due - case.received_at == datetime.timedelta(days=9)
    # The other program's cases keep the defaults.
    response = client.post(submit_url(personas.b), BODY, content_type="application/json")
    case = Case.objects.get(program=personas.b.program, reference=response.json()["reference"])
    assert case.ack_due - case.received_at == datetime.timedelta(hours=72)


def test_submit_throttle_counts_per_program_and_globally(personas, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], public_submit="3/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = Client()
    a, b = personas.a, personas.b
    codes = [
        client.post(submit_url(a), BODY, content_type="application/json").status_code
        for _ in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    assert client.post(submit_url(b), BODY, content_type="application/json").status_code == 201
    # The buckets are counters that expire a little after their one-minute window.
    redis = throttle._redis_client()
    bucket = cache.make_and_validate_key(throttle._bucket(f"submit:p:{a.slug}", 60))
    assert int(redis.get(bucket)) == 4
    assert 0 < redis.ttl(bucket) <= 65
    glob = cache.make_and_validate_key(throttle._bucket("submit:global", 60))
    assert int(redis.get(glob)) == 5
    # The global bucket (10x the per-program rate) refuses every program once full:
    # at 1 a minute per program it holds 10, and 5 are taken.
    allowed = [throttle.allow("submit", f"other-{i}", rate=(1, 60)) for i in range(6)]
    assert allowed == [True] * 5 + [False]


# ---------------------------------------------------------------- staff case list


def _cases(world, n):
    made = [submit(world, category="wages" if i % 3 else "violence")[0] for i in range(n)]
    # Ties on received_at: the order falls back to the id, from either end.
    Case.objects.filter(pk__in=[c.pk for c in made[3:7]]).update(received_at=made[3].received_at)
    return made


def test_pages_read_from_the_end_are_the_same_rows_as_forward_offsets(personas):
    world = personas.a
    _cases(world, 11)
    qs = Case.objects.filter(program=world.program).order_by("-received_at", "-id")
    expected = list(qs.values_list("pk", flat=True))
    for per_page, orphans in ((3, 0), (4, 0), (4, 2), (11, 0), (25, 0)):
        paginator = IdsFirstPaginator(qs, per_page, orphans=orphans)
        seen = []
        for number in paginator.page_range:
            seen += [row.pk for row in paginator.page(number).object_list]
        assert seen == expected, (per_page, orphans)


def test_late_page_costs_the_queries_of_the_first(personas, client_for):
    world = personas.a
    _cases(world, 60)
    staff = client_for(world.user(Role.STAFF))
    url = reverse("complaints:case_list", kwargs={"program": world.slug})
    staff.get(url)
    first, response = count_queries(lambda: staff.get(url))
    assert response.status_code == 200
    last, response = count_queries(lambda: staff.get(url + "?page=3"))
    assert first == last
    page = response.context["page_obj"]
    assert page.number == 3 and len(page.object_list) == 10
    oldest = Case.objects.filter(program=world.program).order_by("received_at", "id").first()
    assert page.object_list[-1].pk == oldest.pk


def test_list_labels_are_the_fields_display_values(personas, client_for):
    world = personas.a
    case, _ = submit(world, category="violence")
    triaged(world, case, priority="high")
    staff = client_for(world.user(Role.STAFF))
    response = staff.get(reverse("complaints:case_list", kwargs={"program": world.slug}))
    html = response.content.decode()
    row = response.context["cases"][0]
    for field in ("category", "priority", "status"):
        expected = getattr(Case.objects.get(pk=row.pk), f"get_{field}_display")()
        assert getattr(row, f"get_{field}_display")() == expected
        assert str(expected) in html
    assert "Violence or threats" in html and "Urgent" in html
    # An unknown stored value shows as itself, as Django's own method does.
    odd = Case(program=world.program, category="not-a-choice", priority="normal", status="x")
    [odd] = with_choice_labels([odd], LIST_LABEL_FIELDS)
    assert odd.get_category_display() == "not-a-choice"


def test_program_case_count_is_exact_and_the_database_keeps_numbers_contiguous(
    personas, client_for
):
    world = personas.a
    assert selectors.program_case_count(world.program) == 0
    made = _cases(world, 7)
    submit(personas.b)
    assert selectors.program_case_count(world.program) == 7
    assert selectors.program_case_count(personas.b.program) == 1
    staff = client_for(world.user(Role.STAFF))
    url = reverse("complaints:case_list", kwargs={"program": world.slug})
    assert staff.get(url).context["paginator"].count == 7
    # Filtered lists (and members who see only some cases) are counted, not derived.
    urgent = staff.get(url + "?priority=urgent").context["paginator"].count
    assert urgent == Case.objects.filter(program=world.program, priority="urgent").count() < 7
    # What the derived count relies on: no case is deleted, renumbered or moved.
    for change in (
        lambda: Case.objects.filter(pk=made[2].pk).delete(),
        lambda: Case.objects.filter(pk=made[2].pk).update(number=99),
        lambda: Case.objects.filter(pk=made[2].pk).update(program=personas.b.program),
    ):
        refused = pytest.raises(DatabaseError, match="never deleted|keeps its program and number")
        with refused, transaction.atomic():
            change()
    # Saving a case (every column in the UPDATE) is still fine.
    case = Case.objects.get(pk=made[2].pk)
    case.occurred = "yesterday"
    case.save()
    assert selectors.program_case_count(world.program) == 7
