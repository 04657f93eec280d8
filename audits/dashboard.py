"""Dashboard panel of the audits app."""

from . import selectors
from .models import AuditStatus, CAPItemStatus


def panels(*, program, membership):
    open_audits = selectors.audit_list(
        program=program, user=membership.user, membership=membership
    ).exclude(status=AuditStatus.FINAL)
    return [
        {
            "template": "audits/panel_caps.html",
            "program": program,
            "rate": selectors.cap_progress_program(program=program),
            "overdue": selectors.cap_item_list(
                program=program, status=CAPItemStatus.OVERDUE
            ).count(),
            "open_audits": open_audits.count(),
        }
    ]
