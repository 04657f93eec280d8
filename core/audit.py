"""Writing and verifying the audit log's hash chain.

Lock order (every service that writes a program's chain follows it; see
docs/security.md, "Lock order"):

1. The program's chain lock FIRST (``chain_lock``, a transaction-scoped advisory lock),
   before any row lock or UPDATE of the transaction. Complaint intake takes its
   case-number lock and the chain lock together in one statement (``_lock_intake``).
2. Then row locks, always ``select_for_update(no_key=True)``, with ``of=("self",)``
   whenever the query joins (``select_related``), so only the row being changed is
   locked, never the program, supplier or provision it points at.
3. Then the writes and the chain append (``audit_log``/``audit_append``, which take the
   chain lock again: re-entrant, free).

Why: every write inserts rows whose foreign keys point at the program (and often a
supplier, facility or case); Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so
the KEY SHARE lock on the referenced row is taken at COMMIT, while the writer still holds
the chain lock. A transaction that locked such a row FOR UPDATE and then waited for the
chain lock closed a cycle, and PostgreSQL aborted one side (issue 13, defect 1). Taking
the chain lock first means two writers of one chain never hold a row lock the other
wants while waiting for the chain; FOR NO KEY UPDATE does not conflict with KEY SHARE at
all, so writers that do not touch the chain (or another program's) are not blocked by a
locked parent row either. A locked row is never deleted or has its key changed (that
would need the full FOR UPDATE).
"""

import datetime
import decimal
import hashlib
import json
import uuid

from django.db import connection
from django.utils import timezone

from .actors import actor_label
from .models import AuditEvent

GENESIS = "0" * 64
# Namespace of the advisory lock that serializes appends to one program's chain.
_LOCK_NAMESPACE = 0x5753


def _default(value):
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    raise TypeError(f"not JSON serializable in an audit payload: {type(value).__name__}")


def canonical_json(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=_default)


def event_digest(
    *,
    prev_hash,
    program_id,
    seq,
    actor_id,
    actor_label,
    verb,
    object_type,
    object_id,
    payload,
    created_at,
) -> str:
    body = canonical_json(
        {
            "program": program_id,
            "seq": seq,
            "actor": actor_id,
            "actor_label": actor_label,
            "verb": verb,
            "object_type": object_type,
            "object_id": str(object_id),
            "payload": payload,
            "created_at": created_at.isoformat(),
        }
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def audit_log(*, program, actor, verb, obj=None, object_type="", object_id="", payload=None):
    """Append one event to ``program``'s chain.

    Must run inside the caller's transaction (the service's ``transaction.atomic``): the
    event commits or rolls back with the change it records. Appends to one program are
    serialized by a transaction-scoped advisory lock, held until that transaction ends.
    """
    entry = {
        "verb": verb,
        "obj": obj,
        "object_type": object_type,
        "object_id": object_id,
        "payload": payload,
    }
    return audit_log_many(program=program, actor=actor, entries=[entry])[0]


def audit_log_many(*, program, actor, entries):
    """Append several events by one actor to ``program``'s chain in one lock, one read
    of the chain's head and one INSERT; the chain is exactly what as many ``audit_log``
    calls would write. ``entries``: dicts with ``verb`` and ``obj`` (or ``object_type``
    and ``object_id``) and optionally ``payload``. Same transaction rule as audit_log."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_log must be called inside the service's transaction")
    entries = list(entries)
    if not entries:
        return []
    program_id = getattr(program, "pk", program)
    lock_sql, lock_params = chain_lock_sql(program_id)
    head_sql, head_params = chain_head_sql(program_id)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {lock_sql}", lock_params)
        # Its own statement, after the lock: a READ COMMITTED snapshot taken in the
        # locking statement could predate the previous holder's commit.
        cursor.execute(head_sql, head_params)
        last = cursor.fetchone()
    return audit_append(program=program, actor=actor, entries=entries, head=last)


def chain_lock(program):
    """Take ``program``'s chain lock now (step 1 of the lock order above): call it first
    in a service's transaction, before ``select_for_update`` or any UPDATE. Held until
    the transaction ends; taking it again later (``audit_log``) is free."""
    if not connection.in_atomic_block:
        raise RuntimeError("chain_lock must be called inside the service's transaction")
    lock_sql, lock_params = chain_lock_sql(getattr(program, "pk", program))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {lock_sql}", lock_params)


def chain_lock_sql(program_id):
    """``(sql, params)`` of the expression that takes the advisory lock serializing
    appends to ``program_id``'s chain (held until the transaction ends). For a service
    that takes it in one statement with a lock of its own and then calls
    ``audit_append``; ``audit_log_many`` takes it the same way."""
    return "pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, program_id or 0]


def chain_head_sql(program_id):
    """``(sql, params)`` of a lateral-joinable SELECT of the chain head (seq, hash) of a
    program's chain; no row for an empty chain. Read it only after taking the lock."""
    if program_id is None:
        return (
            "SELECT seq, hash FROM wsr_auditevent WHERE program_id IS NULL"
            " ORDER BY seq DESC LIMIT 1",
            [],
        )
    return (
        "SELECT seq, hash FROM wsr_auditevent WHERE program_id = %s ORDER BY seq DESC LIMIT 1",
        [program_id],
    )


def audit_append(*, program, actor, entries, head):
    """Append ``entries`` after ``head`` (``(seq, hash)`` of the chain's last event, or
    None for an empty chain) in one INSERT. The caller holds the chain lock
    (``chain_lock_sql``) and read ``head`` after taking it, inside the transaction that
    makes the change these events record; ``audit_log_many`` is the usual way in."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_log must be called inside the service's transaction")
    program_id = getattr(program, "pk", program)
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    actor_label = _actor_label(actor)
    seq, prev_hash = (head[0], head[1]) if head else (0, GENESIS)
    events = []
    for entry in entries:
        obj = entry.get("obj")
        object_type = entry.get("object_type", "")
        object_id = entry.get("object_id", "")
        if obj is not None:
            object_type = object_type or obj._meta.label_lower
            object_id = object_id or str(obj.pk)
        payload = json.loads(canonical_json(entry.get("payload") or {}))
        seq += 1
        created_at = timezone.now()
        digest = event_digest(
            prev_hash=prev_hash,
            program_id=program_id,
            seq=seq,
            actor_id=actor_user.pk if actor_user else None,
            actor_label=actor_label,
            verb=entry["verb"],
            object_type=object_type,
            object_id=object_id,
            payload=payload,
            created_at=created_at,
        )
        events.append(
            AuditEvent(
                program_id=program_id,
                seq=seq,
                actor=actor_user,
                actor_label=actor_label,
                verb=entry["verb"],
                object_type=object_type,
                object_id=str(object_id),
                payload=payload,
                created_at=created_at,
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        prev_hash = digest
    return AuditEvent.objects.bulk_create(events)


def _actor_label(actor) -> str:
    return actor_label(actor)


def verify_chain(program_id):
    """Walk one program's chain; return ``None`` if intact, else the first broken event
    and the reason."""
    prev_hash = GENESIS
    expected_seq = 1
    events = AuditEvent.objects.filter(program_id=program_id).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return event, f"sequence gap: expected {expected_seq}, found {event.seq}"
        if event.prev_hash != prev_hash:
            return event, "prev_hash does not match the previous event"
        digest = event_digest(
            prev_hash=event.prev_hash,
            program_id=event.program_id,
            seq=event.seq,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            verb=event.verb,
            object_type=event.object_type,
            object_id=event.object_id,
            payload=event.payload,
            created_at=event.created_at,
        )
        if digest != event.hash:
            return event, "hash does not match the event's content"
        prev_hash = event.hash
        expected_seq += 1
    return None
