"""The audit chain is anchored outside the database (issue 13, defect 6).

The hash chain alone cannot tell a chain whose last events were deleted from one that
ended there, and TRUNCATE fired no trigger at all, though docs/security.md said
deletions were detected. Now TRUNCATE is refused by a statement-level trigger, and
signed checkpoints (head seq and hash per chain, HMAC-SHA256) are appended to a file
beside the backups and printed in the public report; ``verify_audit_chain`` checks the
database against them.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.template.loader import render_to_string

from core import checkpoints
from core.actors import SystemActor
from core.audit import verify_chain
from core.models import AuditEvent
from core.tasks import audit_checkpoint
from programs import services as program_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def anchor_dir(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    return settings.AUDIT_CHECKPOINT_DIR


def verify(*args):
    out = StringIO()
    try:
        call_command("verify_audit_chain", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def _behind_the_triggers_back(*statements):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE wsr_auditevent DISABLE TRIGGER USER")
        for sql, params in statements:
            cursor.execute(sql, params)
        cursor.execute("ALTER TABLE wsr_auditevent ENABLE TRIGGER USER")


def test_truncate_is_refused(personas):
    before = AuditEvent.objects.count()
    assert before > 0
    with (
        pytest.raises(DatabaseError, match="TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The test settings let Django's flush truncate; a real session does not.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL wsr.allow_audit_truncate = 'off'")
        cursor.execute("TRUNCATE wsr_auditevent")
    assert AuditEvent.objects.count() == before


def test_beat_task_writes_signed_checkpoints_only_when_a_chain_moved(personas, anchor_dir):
    a = personas.a
    chains = AuditEvent.objects.values("program_id").distinct().count()
    assert audit_checkpoint() == chains
    assert audit_checkpoint() == 0  # nothing moved
    program_services.buyer_create(
        actor=SystemActor("test"), program=a.program, name="Anchor Foods", headquarters_country="US"
    )
    assert audit_checkpoint() == 1
    records = checkpoints.read(a.program.pk)
    assert len(records) == 2
    head = AuditEvent.objects.filter(program=a.program).order_by("-seq").first()
    assert (records[-1]["seq"], records[-1]["hash"]) == (head.seq, head.hash)
    assert checkpoints.latest(a.program.pk)["hash"] == head.hash
    out, error = verify()
    assert error is None, out
    assert f"{a.slug}: chain intact (checkpoint seq={head.seq}" in out


def test_deleted_tail_is_detected_naming_the_checkpoint(personas, anchor_dir):
    a = personas.a
    audit_checkpoint()
    head = AuditEvent.objects.filter(program=a.program).order_by("-seq").first()
    _behind_the_triggers_back(
        (
            "DELETE FROM wsr_auditevent WHERE program_id = %s AND seq > %s",
            [a.program.pk, head.seq - 3],
        )
    )
    # The chain that is left is a valid chain: the hash walk alone (all the command did
    # before) finds nothing wrong.
    assert verify_chain(a.program.pk) is None
    out, error = verify()
    assert error is not None and "1 chain(s) broken" in str(error)
    path = checkpoints.chain_file(a.program.pk).name
    assert f"{a.slug}: checkpoint {path}:1 of " in out
    assert f"records seq={head.seq}" in out and f"chain ends at seq={head.seq - 3}" in out
    assert "events were deleted" in out
    assert "bravo: chain intact" in out


def test_truncate_behind_the_triggers_back_is_detected(personas, anchor_dir):
    audit_checkpoint()
    _behind_the_triggers_back(("TRUNCATE wsr_auditevent", []))
    assert AuditEvent.objects.count() == 0
    out, error = verify()
    assert error is not None
    assert "alpha: checkpoint" in out and "bravo: checkpoint" in out
    assert out.count("chain ends at seq=0") == 2


def test_forged_checkpoint_is_reported_as_a_bad_signature(personas, anchor_dir):
    a = personas.a
    audit_checkpoint()
    path = checkpoints.chain_file(a.program.pk)
    record = json.loads(path.read_text())
    # Someone who cut the tail rewrites the checkpoint to match the shorter chain.
    shorter = AuditEvent.objects.get(program=a.program, seq=record["seq"] - 1)
    record.update(seq=shorter.seq, hash=shorter.hash)
    path.write_text(json.dumps(record) + "\n")
    out, error = verify("--program", a.slug)
    assert error is not None
    assert f"checkpoint {path.name}:1 has a bad signature" in out
    assert checkpoints.latest(a.program.pk) is None  # nor is it shown in the report


def test_public_report_footer_shows_the_latest_checkpoint(personas, anchor_dir):
    from disclosure import selectors
    from disclosure.reports import report_context

    a = personas.a
    audit_checkpoint()
    context = report_context(a.program, selectors.data_version(a.program))
    html = render_to_string("disclosure/report_pdf.html", context)
    anchor = checkpoints.latest(a.program.pk)
    assert f"event {anchor['seq']}, hash {anchor['hash']}" in html
