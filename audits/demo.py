"""Demo history for audits, CAPs and worker education, created through the services.

Idempotent: a program that already has audits is left alone. Timestamps of the CAP
history are then spread over the past months (a demo-only shortcut, so the progress
chart has a shape); nothing else is rewritten.
"""

import datetime

from django.utils import timezone

from core.roles import Role
from programs.selectors import current_provisions, facility_list

from . import services
from .models import Audit, CAPItem, CAPItemStatusChange

OBSERVATIONS = [
    (
        "Buckets filled above the standard line at the scale; overfill not paid.",
        "Train crew leaders on the standard bucket; pay back the overfill for the season.",
    ),
    (
        "No shade structure within reach of the east fields.",
        "Install mobile shade and water stations at every active field.",
    ),
    (
        "Hours recorded by the crew leader, not on a system the workers control.",
        "Issue time cards to each worker and reconcile them with payroll weekly.",
    ),
    (
        "Fire exit on floor 2 locked during the shift.",
        "Keep exits unlocked during working hours; daily check by the safety committee.",
    ),
]


def seed(*, program, members):
    if Audit.objects.filter(program=program).exists():
        return
    staff = members.get(Role.STAFF) or members[Role.ADMIN]
    auditor = members.get(Role.AUDITOR) or staff
    provisions = list(current_provisions(program=program))
    facilities = list(facility_list(program=program)[:4])
    if not provisions or not facilities:
        return
    today = timezone.localdate()
    sections = sorted({p.section for p in provisions})
    for index, facility in enumerate(facilities):
        workforce = facility.worker_count or 100
        audit = services.audit_create(
            actor=staff,
            program=program,
            facility=facility,
            audit_type=["initial", "periodic", "unannounced", "complaint_driven"][index % 4],
            scheduled_date=today - datetime.timedelta(days=150 - index * 20),
            lead_auditor=auditor,
            workforce_size=workforce,
            # One facility falls short of the majority and carries a justification.
            workers_interviewed=workforce * (2 if index == 2 else 6) // 10,
            management_interviewed=2,
            documents_reviewed=services.policy_for(program).document_checklist[: 3 + index],
            summary="Interviews in the fields and in worker housing; records reviewed on site.",
        )
        if index == 2:
            services.audit_update(
                actor=auditor,
                audit=audit,
                coverage_justification="Half the crew had been moved to another farm that week;"
                " a follow-up audit is scheduled.",
            )
        findings = []
        for offset in range(2):
            provision = provisions[(index + offset) % len(provisions)]
            findings.append(
                services.finding_create(
                    actor=auditor,
                    audit=audit,
                    provision=provision,
                    facts=OBSERVATIONS[(index + offset) % len(OBSERVATIONS)][0],
                    violation_candidate=provision.severity == "zero_tolerance",
                )
            )
        for status in ("fieldwork", "draft_report", "final"):
            audit = services.audit_transition(actor=auditor, audit=audit, status=status)
        for offset, finding in enumerate(findings):
            observation, recommendation = OBSERVATIONS[(index + offset) % len(OBSERVATIONS)]
            deadline = today + datetime.timedelta(days=-20 + 30 * offset + 10 * index)
            item = services.cap_item_create(
                actor=auditor,
                program=program,
                finding=finding,
                observation=observation,
                recommendation=recommendation,
                deadline=max(deadline, today),
                responsible_party=f"{facility.supplier.legal_name} management",
            )
            if deadline < today:
                # Demo history: an item set weeks ago whose deadline has since passed
                # (the service refuses a past deadline on creation, rightly).
                CAPItem.objects.filter(pk=item.pk).update(deadline=deadline)
                item.deadline = deadline
            path = [["in_progress", "reported_done", "verified"], ["in_progress"], []][
                (index + offset) % 3
            ]
            for status in path:
                services.cap_item_transition(actor=auditor, item=item, status=status)
        services.education_session_record(
            actor=staff,
            program=program,
            facility=facility,
            date=today - datetime.timedelta(days=100 - index * 10),
            language=(program.languages or ["en"])[index % max(len(program.languages or []), 1)],
            educator="Worker-to-worker education team",
            attendance_count=workforce // 2,
            topics=sections[:2],
            materials="Know-your-rights booklet; code summary card.",
        )
    _spread_history(program=program, today=today)
    services.cap_items_mark_overdue(program=program)


def _spread_history(*, program, today):
    """Demo only: place each item's history over the past months so progress over time
    is visible (creation ~5 months ago, each later step a month after the previous)."""
    start = timezone.now() - datetime.timedelta(days=150)
    for item in CAPItem.objects.filter(program=program):
        CAPItem.objects.filter(pk=item.pk).update(created_at=start)
        for step, change in enumerate(CAPItemStatusChange.objects.filter(item=item).order_by("pk")):
            CAPItemStatusChange.objects.filter(pk=change.pk).update(
                at=start + datetime.timedelta(days=30 * step)
            )
