"""A program's cases stay numbered 1..N without gaps, enforced by the database.

Intake numbers cases gap-free under a per-program lock (complaints.services); this
keeps the numbers that way afterwards: a case is never deleted (it is a record the
program may have to produce; retention purges the complainant's identity, not the case)
and never renumbered or moved to another program. The staff case list relies on it to
count a program's cases as max(number) - min(number) + 1 (two index lookups) instead of
counting 100,000 index entries on every request (complaints.selectors.program_case_count).
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION complaints_case_refuse_renumber() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'complaint cases are never deleted'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.number IS DISTINCT FROM OLD.number OR NEW.program_id IS DISTINCT FROM OLD.program_id THEN
        RAISE EXCEPTION 'a complaint case keeps its program and number'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER complaints_case_numbers_permanent
    BEFORE UPDATE OF number, program_id OR DELETE ON complaints_case
    FOR EACH ROW EXECUTE FUNCTION complaints_case_refuse_renumber();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS complaints_case_numbers_permanent ON complaints_case;
DROP FUNCTION IF EXISTS complaints_case_refuse_renumber();
"""


class Migration(migrations.Migration):
    dependencies = [("complaints", "0002_case_case_program_received_desc")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
