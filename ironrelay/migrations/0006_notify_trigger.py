"""On PostgreSQL, NOTIFY waiting workers whenever tasks are inserted (other databases poll)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION ironrelay_notify_tasks() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('ironrelay_tasks', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS ironrelay_task_inserted ON ironrelay_task;
CREATE TRIGGER ironrelay_task_inserted AFTER INSERT ON ironrelay_task
    FOR EACH STATEMENT EXECUTE FUNCTION ironrelay_notify_tasks();
"""
DROP = """
DROP TRIGGER IF EXISTS ironrelay_task_inserted ON ironrelay_task;
DROP FUNCTION IF EXISTS ironrelay_notify_tasks();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("ironrelay", "0005_unique_pending_key")]
    operations = [migrations.RunPython(forwards, backwards)]
