"""Writes of the audits app.

Every function is ``<noun>_<verb>(*, actor, ...)``, runs in one transaction, validates,
and appends an AuditEvent in that same transaction. Side effects (report rendering,
calls into enforcement) are deferred with ``transaction.on_commit`` or made idempotent
by unique constraints and conditional updates. Split by subject; everything is
importable from ``audits.services``.
"""

from .audits import (
    audit_create,
    audit_finding_refer,
    audit_policy_update,
    audit_team_add,
    audit_team_remove,
    audit_transition,
    audit_update,
    coverage_shortfall,
    evidence_attach,
    finding_create,
    finding_mark_candidate,
    policy_for,
)
from .caps import (
    cap_item_comment,
    cap_item_create,
    cap_item_transition,
    cap_item_update,
    cap_items_mark_overdue,
    caps_open_for_sanction,
    escalations_dispatch,
)
from .education import education_session_record
from .reporting import report_render, report_request, reports_requeue_stale

__all__ = [
    "audit_create",
    "audit_finding_refer",
    "audit_policy_update",
    "audit_team_add",
    "audit_team_remove",
    "audit_transition",
    "audit_update",
    "cap_item_comment",
    "cap_item_create",
    "cap_item_transition",
    "cap_item_update",
    "cap_items_mark_overdue",
    "caps_open_for_sanction",
    "coverage_shortfall",
    "education_session_record",
    "escalations_dispatch",
    "evidence_attach",
    "finding_create",
    "finding_mark_candidate",
    "policy_for",
    "report_render",
    "report_request",
    "reports_requeue_stale",
]
