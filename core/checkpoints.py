"""Signed checkpoints of the audit chains, kept outside the database.

The hash chain proves that no event was changed or removed *inside* the chain, but it
cannot tell a chain whose last events were deleted (or the whole table truncated)
behind the triggers' back from a chain that simply ended there: the shorter chain is
still a valid chain. So a beat job (``core.tasks.audit_checkpoint``) periodically writes
each chain's head (program, seq, hash, time) to an append-only JSON-lines file under
``AUDIT_CHECKPOINT_DIR`` (by default ``var/backups/checkpoints/``, next to the backups
that leave the machine with them), and the public report prints the latest one in its
footer. ``manage.py verify_audit_chain`` checks that every checkpoint's event is still
in the database with the same hash.

Each line is signed with HMAC-SHA256 under ``AUDIT_CHECKPOINT_KEY`` (or ``*_FILE``), a
key the database does not hold: someone who can rewrite the database but not the
application's secrets cannot forge a checkpoint to cover a cut. HMAC rather than
Ed25519: the key is handled like every other secret of the platform, and the only
verifier is the platform's own command; outsiders compare the head hash printed in the
report they downloaded, which needs no key at all.
"""

import hashlib
import hmac
import json
import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .audit import canonical_json

log = logging.getLogger(__name__)

PLATFORM = "platform"


def checkpoint_dir():
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def _key():
    key = settings.AUDIT_CHECKPOINT_KEY
    if not key:
        # A development default derived from SECRET_KEY (production requires its own).
        key = hmac.new(
            settings.SECRET_KEY.encode(), b"wsr-audit-checkpoint", hashlib.sha256
        ).hexdigest()
    return key.encode()


def _chain_name(program_id):
    return PLATFORM if program_id is None else f"program-{program_id}"


def chain_file(program_id):
    return checkpoint_dir() / f"{_chain_name(program_id)}.jsonl"


def sign(record):
    body = canonical_json({k: v for k, v in record.items() if k != "signature"})
    return hmac.new(_key(), body.encode(), hashlib.sha256).hexdigest()


def _heads():
    """(program_id, seq, hash) of every non-empty chain (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (program_id) program_id, seq, hash FROM wsr_auditevent"
            " ORDER BY program_id, seq DESC"
        )
        return cursor.fetchall()


def read(program_id):
    """Every checkpoint of one chain, oldest first, each with its line number."""
    path = chain_file(program_id)
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = {"unreadable": line}
        record["line"] = number
        records.append(record)
    return records


def latest(program_id):
    """The newest checkpoint of a chain with a valid signature, or None."""
    for record in reversed(read(program_id)):
        if record.get("signature") == sign(_signed_part(record)):
            return record
    return None


def _signed_part(record):
    return {k: v for k, v in record.items() if k not in ("signature", "line")}


def write_all():
    """Append a signed checkpoint for every chain whose head moved since its last one.
    Returns the number written. Each line is flushed and fsynced: a checkpoint that a
    crash could lose would anchor nothing."""
    directory = checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    written = 0
    now = timezone.now().isoformat()
    for program_id, seq, head in _heads():
        last = latest(program_id)
        if last and last.get("seq") == seq and last.get("hash") == head:
            continue
        record = {"chain": _chain_name(program_id), "program": program_id, "seq": seq}
        record.update({"hash": head, "at": now})
        record["signature"] = sign(record)
        with chain_file(program_id).open("a") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        written += 1
    return written


def verify(program_id):
    """Problems found checking a chain against its checkpoints (empty: all hold). Each
    problem names the checkpoint (file, line, time)."""
    from .models import AuditEvent

    problems = []
    path = chain_file(program_id)
    for record in read(program_id):
        where = f"checkpoint {path.name}:{record['line']}"
        if "unreadable" in record:
            problems.append(f"{where} is unreadable")
            continue
        if record.get("signature") != sign(_signed_part(record)):
            problems.append(f"{where} has a bad signature (forged or altered checkpoint)")
            continue
        if record.get("program") != program_id:
            problems.append(f"{where} belongs to another chain")
            continue
        where = f"{where} of {record['at']}"
        event = (
            AuditEvent.objects.filter(program_id=program_id, seq=record["seq"])
            .values_list("hash", flat=True)
            .first()
        )
        if event is None:
            head = (
                AuditEvent.objects.filter(program_id=program_id)
                .order_by("-seq")
                .values_list("seq", flat=True)
                .first()
            )
            problems.append(
                f"{where} records seq={record['seq']} hash={record['hash'][:16]}... but the "
                f"chain ends at seq={head or 0}: events were deleted (tail cut or TRUNCATE)"
            )
        elif event != record["hash"]:
            problems.append(
                f"{where} records seq={record['seq']} hash={record['hash'][:16]}... but the "
                f"event there has hash={event[:16]}...: the chain was rewritten"
            )
    return problems
