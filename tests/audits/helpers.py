"""Building audits, findings and CAP items through the services."""

import datetime

from django.utils import timezone

from audits import services
from core.roles import Role

# A real 1x1 PNG without metadata (uploads are decoded: a signature alone is refused).
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc8!'\x07\x00\x02\xb6\x01\x054\xa6u\xaa\x00\x00\x00\x00"
    b"IEND\xaeB`\x82"
)


def make_audit(world, *, facility=None, lead_role=Role.AUDITOR, **fields):
    fields.setdefault("audit_type", "periodic")
    fields.setdefault("scheduled_date", datetime.date(2026, 3, 2))
    return services.audit_create(
        actor=world.user(Role.STAFF),
        program=world.program,
        facility=facility or world.facility,
        lead_auditor=world.user(lead_role) if lead_role else None,
        **fields,
    )


def make_finding(world, audit, *, provision=None, **fields):
    fields.setdefault("facts", "Three workers report unpaid hours at the packing shed.")
    auditor = world.user(Role.AUDITOR)
    # The auditor records findings of their own audits; staff those of any (core.authz).
    on_team = audit.lead_auditor_id == auditor.pk
    return services.finding_create(
        actor=auditor if on_team else world.user(Role.STAFF),
        audit=audit,
        provision=provision or world.provision,
        **fields,
    )


def make_cap_item(world, *, finding=None, deadline=None, actor=None, **fields):
    """A CAP item created by staff (who manage every CAP) or, for a finding, by the
    auditor who wrote it. The deadline defaults to 2026-04-01, or 60 days from today
    when that has passed (a past deadline is refused)."""
    if deadline is None:
        deadline = max(datetime.date(2026, 4, 1), timezone.localdate() + datetime.timedelta(60))
    if actor is None:
        actor = world.user(Role.AUDITOR if finding else Role.STAFF)
    fields.setdefault("observation", "No shade at field 4.")
    fields.setdefault("recommendation", "Install shade structures and water stations.")
    fields.setdefault("responsible_party", "Farm manager")
    facility = fields.pop("facility", None) or (None if finding else world.facility)
    auditing(world, facility or finding.facility)
    return services.cap_item_create(
        actor=actor,
        program=world.program,
        facility=facility,
        finding=finding,
        deadline=deadline,
        **fields,
    )


def auditing(world, facility):
    """Make sure the auditor persona audits at ``facility`` (an auditor follows CAP items
    up only where they audit: core.authz scope)."""
    from audits.access import auditor_reach

    auditor = world.user(Role.AUDITOR)
    if not auditor_reach(auditor, world.program, facility):
        make_audit(world, facility=facility)
