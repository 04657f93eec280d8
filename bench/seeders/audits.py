"""Audits at scale: audits with findings, one CAP per audited facility with findings,
CAP items with their status history. One audit carries 100 findings for the PDF measure.

Bulk inserts that respect the model's constraints: audit dates in order, one CAP per
facility, every item's history walks the CAP item transitions, at most one "verified"
change per item.
"""

import datetime

from django.db import connection, transaction
from django.utils import timezone

from audits.models import (
    Audit,
    AuditStatus,
    AuditType,
    CAPItem,
    CAPItemStatus,
    CAPItemStatusChange,
    CorrectiveActionPlan,
    Finding,
)
from bench.seeders.programs import bench_user
from programs.models import Facility, Provision

BATCH = 4000
PDF_AUDIT_SUMMARY = "Bench PDF audit (100 findings)"
PDF_FINDINGS = 100
# Each status and the history that leads to it.
ITEM_PATHS = {
    CAPItemStatus.OPEN: [],
    CAPItemStatus.IN_PROGRESS: [CAPItemStatus.IN_PROGRESS],
    CAPItemStatus.REPORTED_DONE: [CAPItemStatus.IN_PROGRESS, CAPItemStatus.REPORTED_DONE],
    CAPItemStatus.VERIFIED: [
        CAPItemStatus.IN_PROGRESS,
        CAPItemStatus.REPORTED_DONE,
        CAPItemStatus.VERIFIED,
    ],
    CAPItemStatus.OVERDUE: [CAPItemStatus.OVERDUE],
}
ITEM_WEIGHTS = [
    CAPItemStatus.VERIFIED,
    CAPItemStatus.VERIFIED,
    CAPItemStatus.VERIFIED,
    CAPItemStatus.REPORTED_DONE,
    CAPItemStatus.IN_PROGRESS,
    CAPItemStatus.OPEN,
    CAPItemStatus.OVERDUE,
]


def _audit(rng, *, program, facility_id, workers, today, auditor_id, status=None):
    scheduled = today - datetime.timedelta(days=rng.randint(-60, 540))
    if status is None:
        status = (
            AuditStatus.PLANNED
            if scheduled > today
            else rng.choice(
                [AuditStatus.FINAL] * 6 + [AuditStatus.DRAFT_REPORT, AuditStatus.FIELDWORK]
            )
        )
    audit = Audit(
        program=program,
        facility_id=facility_id,
        audit_type=rng.choice(list(AuditType)),
        status=status,
        scheduled_date=scheduled,
        lead_auditor_id=auditor_id,
        workforce_size=workers,
    )
    if status != AuditStatus.PLANNED:
        audit.actual_start = scheduled
        audit.actual_end = scheduled + datetime.timedelta(days=rng.randint(0, 4))
        audit.workers_interviewed = max(1, int(workers * rng.uniform(0.3, 0.7)))
        audit.management_interviewed = rng.randint(1, 5)
        audit.documents_reviewed = ["payroll", "time records"]
        audit.summary = "Interviews in the fields and the housing; payroll for 8 weeks."
    if status == AuditStatus.FINAL:
        audit.finalized_at = datetime.datetime.combine(
            audit.actual_end, datetime.time(17), tzinfo=datetime.UTC
        )
    return audit


def seed(*, program, scale, rng):
    n_audits = scale["audits"]
    today = timezone.localdate()
    now = timezone.now()
    auditor = bench_user(f"staff@{program.slug}.bench")
    facilities = list(Facility.objects.filter(program=program).values_list("id", "worker_count"))
    provisions = list(Provision.objects.filter(program=program).values_list("id", "severity"))
    caps = {}  # facility id -> CAP id
    n_findings = n_items = 0
    for start in range(0, n_audits, BATCH):
        with transaction.atomic():
            audits = []
            for i in range(start, min(start + BATCH, n_audits)):
                facility_id, workers = facilities[i % len(facilities)]
                audit = _audit(
                    rng,
                    program=program,
                    facility_id=facility_id,
                    workers=max(workers, 20),
                    today=today,
                    auditor_id=auditor.pk,
                    status=AuditStatus.FINAL if i == 0 else None,
                )
                if i == 0:
                    audit.summary = PDF_AUDIT_SUMMARY
                audits.append(audit)
            audits = Audit.objects.bulk_create(audits)
            findings = []
            for index, audit in enumerate(audits):
                if audit.status == AuditStatus.PLANNED:
                    continue
                many = start == 0 and index == 0
                for k in range(PDF_FINDINGS if many else rng.choice([0, 1, 1, 2, 3, 4])):
                    provision_id, severity = provisions[(k + index) % len(provisions)]
                    findings.append(
                        Finding(
                            program=program,
                            audit=audit,
                            facility_id=audit.facility_id,
                            provision_id=provision_id,
                            severity=severity,
                            facts=f"Observed during the audit (finding {k + 1}); workers confirmed.",
                            violation_candidate=severity == "zero_tolerance",
                            created_by_id=auditor.pk,
                        )
                    )
            findings = Finding.objects.bulk_create(findings)
            n_findings += len(findings)
            new_caps = {f.facility_id for f in findings if f.facility_id not in caps}
            for cap in CorrectiveActionPlan.objects.bulk_create(
                CorrectiveActionPlan(program=program, facility_id=fid, opened_by_id=auditor.pk)
                for fid in new_caps
            ):
                caps[cap.facility_id] = cap.pk
            items = []
            for finding in findings:
                if rng.random() > 0.8:
                    continue
                created = now - datetime.timedelta(days=rng.randint(10, 500))
                items.append(
                    CAPItem(
                        program=program,
                        cap_id=caps[finding.facility_id],
                        facility_id=finding.facility_id,
                        finding=finding,
                        source_ref=str(finding.pk),
                        observation=finding.facts,
                        recommendation="Fix it and show the records at the follow-up.",
                        deadline=(created + datetime.timedelta(days=rng.randint(14, 120))).date(),
                        responsible_party="Grower management",
                        status=rng.choice(ITEM_WEIGHTS),
                        created_at=created,
                    )
                )
            items = CAPItem.objects.bulk_create(items)
            n_items += len(items)
            history = []
            for item in items:
                prev, at = CAPItemStatus.OPEN, item.created_at
                for to_status in ITEM_PATHS[item.status]:
                    at = min(now, at + datetime.timedelta(days=rng.randint(3, 40)))
                    history.append(
                        CAPItemStatusChange(
                            program=program,
                            item=item,
                            facility_id=item.facility_id,
                            from_status=prev,
                            to_status=to_status,
                            at=at,
                            actor_id=None if to_status == CAPItemStatus.OVERDUE else auditor.pk,
                            note="",
                        )
                    )
                    prev = to_status
            CAPItemStatusChange.objects.bulk_create(history, batch_size=BATCH)
    with connection.cursor() as cursor:
        # auto_now_add stamped "now"; put the findings on their audit's date.
        cursor.execute(
            """UPDATE audits_finding f SET created_at = a.scheduled_date + interval '12 hours'
               FROM audits_audit a WHERE f.audit_id = a.id AND a.program_id = %s""",
            [program.pk],
        )
    print(f"audits: {n_audits} audits, {n_findings} findings, {len(caps)} CAPs, {n_items} items")
