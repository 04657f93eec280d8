"""Writes of the complaints app.

Every function is ``<noun>_<verb>(*, actor, ...)``, runs in one transaction
(``@transaction.atomic``), validates, appends an AuditEvent in that transaction and defers
side effects (mail, tasks) with ``transaction.on_commit``. Audit payloads never hold the
complainant's identity, the narrative or the receipt code.

Locking: state changes of one case take ``SELECT ... FOR UPDATE`` on the case row first
(``_lock``), so two staff members cannot both move it, and the status read for the
transition check is the committed one.

Split by subject; everything is importable from ``complaints.services``."""

from ._common import (
    policy_for,
)
from .case_file import (
    evidence_add,
    finding_add,
    finding_refer,
    interview_record,
    message_receive,
    message_send,
    note_add,
)
from .identity import (
    case_identity_purge,
    case_identity_reveal,
    identity_keys_rotate,
)
from .intake import (
    complaint_submit,
)
from .policy import (
    case_remind,
    complaint_policy_set,
    models_q_reminder,
)
from .transitions import (
    case_close,
    case_flag_retaliation,
    case_reopen,
    case_resolve,
    case_start_investigation,
    case_transition,
)
from .triage import (
    case_acknowledge,
    case_assign,
    case_share,
    case_triage,
    case_unshare,
)

__all__ = [
    "case_acknowledge",
    "case_assign",
    "case_close",
    "case_flag_retaliation",
    "case_identity_purge",
    "case_identity_reveal",
    "case_remind",
    "case_reopen",
    "case_resolve",
    "case_share",
    "case_start_investigation",
    "case_transition",
    "case_triage",
    "case_unshare",
    "complaint_policy_set",
    "complaint_submit",
    "evidence_add",
    "finding_add",
    "finding_refer",
    "identity_keys_rotate",
    "interview_record",
    "message_receive",
    "message_send",
    "models_q_reminder",
    "note_add",
    "policy_for",
]
