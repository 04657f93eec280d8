"""State changes of accounts: API tokens, sessions and second factors.

Each runs in one transaction with its audit event. Account events belong to no program:
they go to the platform chain (``program=None``), except an admin ending a member's
sessions, which is recorded in the admin's program.
"""

import datetime

from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.utils import timezone

from core.audit import audit_log
from core.authz import require_member
from core.errors import DomainError

from . import tokens
from .models import ApiToken, UserSession

TOKEN_DEFAULT_DAYS = 90
TOKEN_MAX_DAYS = 365
RECOVERY_CODE_COUNT = 10


def _user_ref(user):
    return {"object_type": "auth.user", "object_id": str(user.pk)}


# ---------------------------------------------------------------- API tokens


@transaction.atomic
def api_token_create(*, actor, user, name, days=TOKEN_DEFAULT_DAYS):
    """A new named token for ``user`` (the actor themself). Returns (token, secret): the
    secret is shown once and never stored."""
    require_member(actor, None, "account.tokens", user)
    name = (name or "").strip()
    if not name:
        raise DomainError("Give the token a name (what or who will use it).")
    if len(name) > 100:
        raise DomainError("A token name has at most 100 characters.")
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise DomainError("The lifetime must be a number of days.") from None
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise DomainError(f"A token lives between 1 and {TOKEN_MAX_DAYS} days.")
    secret = tokens.new_secret()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=tokens.display_prefix(secret),
        digest=tokens.digest_of(secret),
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    audit_log(
        program=None,
        actor=actor,
        verb="api_token.created",
        obj=token,
        payload={"name": name, "expires_at": token.expires_at, "user": user.pk},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor, token):
    require_member(actor, None, "account.tokens", token)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_log(
        program=None,
        actor=actor,
        verb="api_token.revoked",
        obj=token,
        payload={"name": token.name, "user": token.user_id},
    )
    return token


def api_tokens_revoke_all(*, actor, user, reason):
    """Revoke every live token of ``user`` (inside the caller's transaction)."""
    require_member(actor, None, "account.tokens", user)
    live = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    if not live:
        return 0
    ApiToken.objects.filter(pk__in=[t.pk for t in live]).update(revoked_at=timezone.now())
    audit_log(
        program=None,
        actor=actor,
        verb="api_token.revoked_all",
        **_user_ref(user),
        payload={"count": len(live), "reason": reason},
    )
    return len(live)


# ---------------------------------------------------------------- sessions


def session_record(*, request, user):
    """Called on log in (accounts.signals): remember the session so it can be listed."""
    key = request.session.session_key
    if not key:
        request.session.save()
        key = request.session.session_key
    agent = request.META.get("HTTP_USER_AGENT", "")[:200]
    UserSession.objects.update_or_create(
        session_key=key, defaults={"user": user, "user_agent": agent}
    )


def _end(session_rows):
    keys = [row.session_key for row in session_rows]
    for key in keys:
        SessionStore(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def _admin_program_over(actor, user):
    """A program in which ``actor`` is an active admin and ``user`` a member, or None."""
    from core.roles import Role
    from programs.models import Membership

    return (
        Membership.objects.filter(
            user=actor, role=Role.ADMIN, is_active=True, program__memberships__user=user
        )
        .values_list("program", flat=True)
        .first()
    )


@transaction.atomic
def session_end(*, actor, session):
    """End one session of the actor's own."""
    require_member(actor, None, "account.sessions", session)
    _end([session])
    audit_log(
        program=None,
        actor=actor,
        verb="session.ended",
        **_user_ref(session.user),
        payload={"created_at": session.created_at},
    )


@transaction.atomic
def sessions_end_all(*, actor, user, program=None, keep_key=None):
    """End every session of ``user``: the user themself (keeping ``keep_key``, the
    session they are using), or an admin of ``program`` in which ``user`` is a member."""
    require_member(
        actor,
        program,
        "member.sessions_end" if program is not None else "account.sessions",
        None if program is not None else user,
    )
    if program is not None:
        from programs.models import Membership

        if not Membership.objects.filter(user=user, program=program).exists():
            raise DomainError("That person is not a member of this program.", code="not_found")
    rows = UserSession.objects.filter(user=user).exclude(session_key=keep_key or "")
    count = _end(list(rows))
    audit_log(
        program=program,
        actor=actor,
        verb="session.ended_all",
        **_user_ref(user),
        payload={"count": count},
    )
    return count


def sessions_of(user):
    """The user's live sessions (rows whose session expired or was deleted are dropped)."""
    from django.contrib.sessions.models import Session

    rows = list(UserSession.objects.filter(user=user))
    live = set(
        Session.objects.filter(
            session_key__in=[r.session_key for r in rows], expire_date__gt=timezone.now()
        ).values_list("session_key", flat=True)
    )
    stale = [r.pk for r in rows if r.session_key not in live]
    if stale:
        UserSession.objects.filter(pk__in=stale).delete()
    return [r for r in rows if r.session_key in live]


# ---------------------------------------------------------------- second factors


def pending_totp_device(user):
    """The user's authenticator being set up (unconfirmed), or None. Reads only."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


@transaction.atomic
def totp_setup_begin(*, actor):
    """Start adding an authenticator app: a new unconfirmed device with a fresh secret,
    or the one already pending (so asking twice, or reloading, does not change the
    secret under the user's phone). Explicit (a POST), never a side effect of a page."""
    require_member(actor, None, "account.mfa")
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # Two starts at once (two tabs) make one device: they queue on the user's row.
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    device = pending_totp_device(actor)
    if device is not None:
        return device
    device = TOTPDevice.objects.create(user=actor, name="Authenticator app", confirmed=False)
    audit_log(
        program=None, actor=actor, verb="mfa.totp_setup_started", **_user_ref(actor), payload={}
    )
    return device


@transaction.atomic
def totp_confirm(*, actor, device, token):
    """Confirm an unconfirmed TOTP device with a code from the authenticator app. The
    first confirmed device also gets recovery codes (returned, shown once)."""
    require_member(actor, None, "account.mfa", device)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.confirmed:
        raise DomainError("This authenticator is already set up.")
    if not device.verify_token((token or "").strip().replace(" ", "")):
        raise DomainError("That code is not right. Check the time on your phone and try again.")
    device.confirmed = True
    device.save()
    audit_log(program=None, actor=actor, verb="mfa.totp_added", **_user_ref(actor), payload={})
    codes = None
    if not _has_recovery_codes(actor):
        codes = recovery_codes_regenerate(actor=actor)
    return device, codes


def _has_recovery_codes(user):
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()


@transaction.atomic
def recovery_codes_regenerate(*, actor):
    """Replace the actor's recovery codes with ``RECOVERY_CODE_COUNT`` new ones (each
    works once). Returns the codes; only django-otp's rows keep them."""
    require_member(actor, None, "account.mfa")
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    device, _ = StaticDevice.objects.get_or_create(
        user=actor, name="recovery", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    audit_log(
        program=None,
        actor=actor,
        verb="mfa.recovery_codes_generated",
        **_user_ref(actor),
        payload={"count": len(codes)},
    )
    return codes


def mfa_device_recorded(*, actor, kind):
    """Audit a second factor added outside our services (a passkey registered through
    django-otp-webauthn's API)."""
    require_member(actor, None, "account.mfa")
    audit_log(program=None, actor=actor, verb=f"mfa.{kind}_added", **_user_ref(actor), payload={})


@transaction.atomic
def mfa_device_remove(*, actor, device):
    require_member(actor, None, "account.mfa", device)
    kind = type(device).__name__
    device.delete()
    audit_log(
        program=None,
        actor=actor,
        verb="mfa.device_removed",
        **_user_ref(actor),
        payload={"kind": kind},
    )
