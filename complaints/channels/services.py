"""Connecting a program's number: the channel's configuration, audited."""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.audit import audit_log
from core.authz import require_member

from .models import ChannelConfig, Transport
from .secrets import encrypt_secret

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,99}$")


@transaction.atomic
def channel_connect(
    *,
    actor,
    program,
    transport,
    address,
    account_sid="",
    secret="",
    secret_env="",
    outbound_url="",
):
    """Connect a number to ``program``. The secret is the name of an environment
    variable (``secret_env``, preferred: it never enters the database) or the value,
    stored encrypted. The audit event names the transport and number, never the secret."""
    require_member(actor, program, "channel.manage")
    if transport not in Transport.values:
        raise ValidationError({"transport": "Choose a transport from the list."})
    address = (address or "").strip()
    if not _E164.match(address):
        raise ValidationError(
            {"address": "Give the number in international form, e.g. +15551234567."}
        )
    if transport != Transport.WEBHOOK and not re.match(r"^AC[0-9a-fA-F]{32}$", account_sid or ""):
        raise ValidationError(
            {"account_sid": "Give the Twilio account SID (AC and 32 characters)."}
        )
    if transport == Transport.WEBHOOK and not (outbound_url or "").startswith("https://"):
        raise ValidationError({"outbound_url": "Give the gateway's https:// address."})
    if bool(secret) == bool(secret_env):
        raise ValidationError(
            {"secret": "Give either the secret or the environment variable holding it."}
        )
    if secret_env and not _ENV_NAME.match(secret_env):
        raise ValidationError({"secret_env": "Give an environment variable name (A-Z, 0-9, _)."})
    config = ChannelConfig(
        program=program,
        transport=transport,
        address=address,
        account_sid=account_sid if transport != Transport.WEBHOOK else "",
        secret_env=secret_env,
        secret_ciphertext=encrypt_secret(secret) if secret else "",
        outbound_url=outbound_url if transport == Transport.WEBHOOK else "",
    )
    try:
        with transaction.atomic():
            config.save()
    except IntegrityError as exc:
        raise ValidationError({"address": "This number is already connected."}) from exc
    audit_log(
        program=program,
        actor=actor,
        verb="channel.connected",
        obj=config,
        payload={"transport": transport, "address": address, "secret_in_env": bool(secret_env)},
    )
    return config


@transaction.atomic
def channel_disconnect(*, actor, config):
    """Stop a channel: its webhooks answer 404 and nothing more is sent on it."""
    require_member(actor, config.program, "channel.manage")
    ChannelConfig.objects.filter(pk=config.pk).update(is_active=False)
    audit_log(
        program=config.program,
        actor=actor,
        verb="channel.disconnected",
        obj=config,
        payload={"transport": config.transport, "address": config.address},
    )
    config.is_active = False
    return config
