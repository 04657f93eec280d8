"""The complaints panel of the staff dashboard: overdue clocks (acknowledgement, triage,
resolution). Admins and staff see the whole program; anyone else only their own cases."""

from core.roles import INTERNAL_ROLES, MANAGE_ROLES

from . import selectors


def panels(*, program, membership):
    if membership is None or membership.role not in INTERNAL_ROLES:
        return []
    user = membership.user
    counts = selectors.overdue_counts(program=program, user=user, membership=membership)
    cases = list(selectors.overdue_cases(program=program, user=user, membership=membership)[:10])
    return [
        {
            "template": "complaints/panel_overdue.html",
            "program": program,
            "counts": counts,
            "cases": cases,
            "mine_only": membership.role not in MANAGE_ROLES,
        }
    ]
