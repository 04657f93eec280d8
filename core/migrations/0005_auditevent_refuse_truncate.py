"""The audit log refuses TRUNCATE too (the row triggers of 0002 never see it).

A statement-level trigger: TRUNCATE fires no row triggers, so 0002's UPDATE/DELETE guard
let the whole log be emptied in one statement. The guard yields only to a session that
sets ``wsr.allow_audit_truncate`` to ``on``: the test suite's flush between
transactional tests (wsr/settings/test.py). That is no weaker than before: a role that
may TRUNCATE the table (its owner, a superuser) may also drop the trigger; the signed
checkpoints (wsr/checkpoints.py) are what detects either.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION wsr_auditevent_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('wsr.allow_audit_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (TRUNCATE refused)'
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER wsr_auditevent_no_truncate
    BEFORE TRUNCATE ON wsr_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION wsr_auditevent_refuse_truncate();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS wsr_auditevent_no_truncate ON wsr_auditevent;
DROP FUNCTION IF EXISTS wsr_auditevent_refuse_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [("wsr", "0004_notification_outbox_and_preferences")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
