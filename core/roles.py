"""Membership roles and the broad rights each carries.

A Membership is the only source of access. Per-object grants (an investigator assigned
to a case, an auditor to an audit) come from django-guardian on top of these.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Worker-organization admin")
    STAFF = "staff", _("Staff")
    INVESTIGATOR = "investigator", _("Investigator")
    AUDITOR = "auditor", _("Auditor")
    BUYER_OFFICER = "buyer_officer", _("Buyer compliance officer")
    VIEWER = "viewer", _("Viewer")


ALL_ROLES = frozenset(Role.values)
# Roles that work inside the program (the staff workspace); buyer officers use /buyer/.
INTERNAL_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.INVESTIGATOR, Role.AUDITOR, Role.VIEWER})
MANAGE_ROLES = frozenset({Role.ADMIN, Role.STAFF})
ADMIN_ROLES = frozenset({Role.ADMIN})
