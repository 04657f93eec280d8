"""The audit log is append-only: the database itself refuses UPDATE and DELETE."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION wsr_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER wsr_auditevent_append_only
    BEFORE UPDATE OR DELETE ON wsr_auditevent
    FOR EACH ROW EXECUTE FUNCTION wsr_auditevent_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS wsr_auditevent_append_only ON wsr_auditevent;
DROP FUNCTION IF EXISTS wsr_auditevent_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("wsr", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
