"""Who must use a second factor, and the middleware that holds them to it.

``mfa_required(user)`` is the one rule: a member whose role can see complainant
identities (admins by role; staff and investigators through per-case grants, see
complaints/access.py) or confirm violations (admins, plus the roles a program's
enforcement settings name in ``confirm_roles``), and Django superusers/staff (the admin
site opens everything). Buyer officers, auditors and viewers may enrol but need not.

``MfaRequiredMiddleware``: once such a user has logged in with a password, every request
other than the second-factor pages themselves, logging out and the public side is sent
to the code page (enrolled users) or to enrolment (not yet enrolled). A session counts
as verified when django-otp's ``OTPMiddleware`` finds the device it was verified with
(``request.user.is_verified()``).
"""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect

from core import authz
from core.models import get_membership_model, get_tenant_model
from core.roles import Role
from core.scoping import program_scope

# Roles that can see complainant identities by role or through a per-case grant.
IDENTITY_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.INVESTIGATOR})

# Reachable while the second factor is still owed (besides the public side).
MFA_OPEN_PATHS = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/password_reset/",
    "/accounts/reset/",
    "/accounts/mfa/verify/",
    "/accounts/mfa/webauthn/authentication/",
    "/accounts/mfa/webauthn/jsi18n/",
    "/admin/login/",
    "/admin/logout/",
    "/healthz/",
)
# Reachable by a user who has no second factor yet, to set one up.
MFA_ENROL_PATHS = (
    "/accounts/mfa/setup/",
    "/accounts/mfa/totp/",
    "/accounts/mfa/passkey/",
    "/accounts/mfa/webauthn/",
)


def mfa_required(user) -> bool:
    """Whether ``user`` must verify a second factor before reaching anything.

    At merge time this reads authz's role/action table (the actions "see identity" and
    "confirm violation"); until then it reads the roles as the code grants them.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    roles = list(
        get_membership_model()
        .objects.filter(user=user, is_active=True)
        .values_list("role", "program_id")
    )
    if any(role in IDENTITY_ROLES for role, _ in roles):
        return True
    if not roles:
        return False
    # Any role a program lets confirm violations (authz's policy hook), read for all the
    # user's programs at once: this runs on every request of an unverified session, and
    # a buyer officer in 51 programs paid 51 queries per page. The programs' own
    # settings are read in their scope (core/scoping.py): the request may be scoped to
    # another program, or to none (/accounts/).
    program_ids = {program for _, program in roles}
    with program_scope(list(program_ids)):
        programs = get_tenant_model().objects.filter(pk__in=program_ids)
        confirmers = authz.roles_for_many(programs, "violation.confirm")
    return any(role in confirmers.get(program, ()) for role, program in roles)


def has_second_factor(user) -> bool:
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


class MfaRequiredMiddleware:
    """After ``django_otp.middleware.OTPMiddleware``. Costs nothing for anonymous users
    and one query for a verified session (django-otp loading its device)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        blocked = self._check(request)
        return blocked or self.get_response(request)

    def _check(self, request):
        from core.middleware import is_public_path

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        path = request.path
        if is_public_path(path) or path.startswith(MFA_OPEN_PATHS):
            return None
        if user.is_verified():
            return None
        if not mfa_required(user):
            return None
        enrolled = has_second_factor(user)
        if not enrolled and path.startswith(MFA_ENROL_PATHS):
            return None
        if path.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": "Two-factor authentication is required: log in through the web page first."
                },
                status=403,
            )
        target = "/accounts/mfa/verify/" if enrolled else "/accounts/mfa/setup/"
        nxt = request.get_full_path() if request.method == "GET" else "/p/"
        return redirect(f"{target}?{urlencode({'next': nxt})}")
