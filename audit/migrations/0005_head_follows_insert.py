"""PostgreSQL: writing an event moves the head onto it, in the INSERT's own statement.

An AFTER INSERT trigger on the events moves the head row (when there is one) onto the new event, so an
event costs one statement instead of two (issue 16: the order path writes six). The head's own guard
(0004) still runs on that move: an event that does not link to the head (seq one past it, prev_hash its
hash) is refused together with its INSERT. So the database now also refuses an event written beside the
chain, which before it only allowed without moving the head.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_head_follow() RETURNS trigger AS $$
BEGIN
    UPDATE audit_audithead SET seq = NEW.seq, hash = NEW.hash, mac = NEW.mac WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_event_moves_head ON audit_auditevent;
CREATE TRIGGER audit_event_moves_head AFTER INSERT ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_head_follow();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_event_moves_head ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_head_follow();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_head_and_truncate_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
