"""Who may do what with a case.

Broad rights come from the membership role; the sparse ones from django-guardian grants
on the case (the assigned investigator, an outside investigator it was shared with):

- admin, staff: see and manage every case of the program.
- anyone else (investigator, auditor, viewer): only cases granted to them
  (``complaints.investigate_case``), and they may work on those.
- the complainant's identity: admins by role; others only with the per-case grant
  ``complaints.view_complainant_identity`` (given to the assigned investigator). Staff
  without that grant do not see it.
"""

from dataclasses import dataclass

from core.roles import MANAGE_ROLES, Role

PERM_INVESTIGATE = "investigate_case"
PERM_IDENTITY = "view_complainant_identity"


def granted_codenames(*, user, case):
    from .models import CaseUserObjectPermission

    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        CaseUserObjectPermission.objects.filter(user=user, content_object=case).values_list(
            "permission__codename", flat=True
        )
    )


@dataclass(frozen=True)
class CaseAccess:
    view: bool
    work: bool
    manage: bool
    identity: bool


def case_access(*, case, user, membership):
    if membership is None or not membership.is_active or membership.program_id != case.program_id:
        return CaseAccess(False, False, False, False)
    grants = granted_codenames(user=user, case=case)
    manage = membership.role in MANAGE_ROLES
    work = manage or PERM_INVESTIGATE in grants
    identity = membership.role == Role.ADMIN or PERM_IDENTITY in grants
    return CaseAccess(view=work, work=work, manage=manage, identity=identity and work)


def membership_of(user, program):
    from programs.models import Membership

    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, program=program, is_active=True).first()
