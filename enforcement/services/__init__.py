"""Writes of the enforcement app (every state change is a service; see DESIGN.md §4).

Split by subject; everything is importable from ``enforcement.services``.
"""

from .obligations import (
    obligation_acknowledge,
    obligation_attest,
    obligation_mark_breached,
    obligation_mark_overdue,
    obligation_reject,
    obligation_verify,
    obligation_waive,
)
from .policy import (
    agreement_policy_bind,
    current_policy,
    enforcement_settings_update,
    policy_draft_create,
    policy_ensure_default,
    policy_ratify,
    policy_rule_set,
    settings_for,
)
from .violations import (
    consequences_apply,
    escalation_advance,
    escalation_proposal_decide,
    obligated_buyers,
    standing_reinstate,
    suspension_expire,
    violation_confirm,
    violation_dismiss,
    violation_propose,
    violation_remediate,
)

__all__ = [
    "ImportRejected",
    "agreement_policy_bind",
    "consequences_apply",
    "current_policy",
    "enforcement_settings_update",
    "escalation_advance",
    "escalation_proposal_decide",
    "obligated_buyers",
    "obligation_acknowledge",
    "obligation_attest",
    "obligation_mark_breached",
    "obligation_mark_overdue",
    "obligation_reject",
    "obligation_verify",
    "obligation_waive",
    "policy_draft_create",
    "policy_ensure_default",
    "policy_ratify",
    "policy_rule_set",
    "settings_for",
    "standing_reinstate",
    "suspension_expire",
    "violation_confirm",
    "violation_dismiss",
    "violation_propose",
    "violation_remediate",
]
