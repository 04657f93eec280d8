"""Issue 21: referring audit findings while complaints arrive answered 500 (a deadlock:
the referral locked the program row FOR UPDATE, then waited for the audit chain, while
each complaint held the chain and, at commit, wanted a share lock on the program row).

The fix is the reliability work's lock order (issue 13 #1, branch rel): this test may
only pass once that is merged."""

import threading

import pytest
from django.db import connections

from audits import services
from complaints import services as complaint_services
from complaints.models import Case
from core.actors import PUBLIC
from core.roles import Role

from .helpers import make_audit, make_finding

ROUNDS = 6


@pytest.mark.django_db(transaction=True)
def test_findings_referred_while_complaints_arrive_never_deadlock(personas):
    a = personas.a
    audit = make_audit(a)
    findings = [make_finding(a, audit, violation_candidate=True) for _ in range(ROUNDS)]
    before = Case.objects.filter(program=a.program).count()
    errors = []
    start = threading.Barrier(2)

    def intake():
        try:
            start.wait(10)
            for i in range(ROUNDS * 3):
                complaint_services.complaint_submit(
                    actor=PUBLIC,
                    program=a.program,
                    narrative=f"The crew boss keeps our passports ({i}).",
                    facility=a.facility,
                )
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(("intake", exc))
        finally:
            connections.close_all()

    def refer():
        try:
            start.wait(10)
            for finding in findings:
                services.audit_finding_refer(actor=a.user(Role.STAFF), finding=finding)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(("refer", exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=intake), threading.Thread(target=refer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors
    assert Case.objects.filter(program=a.program).count() == before + ROUNDS * 3
    for finding in findings:
        finding.refresh_from_db()
        assert finding.referral_status == "sent"
