"""Tasks can be cancelled while running; on PostgreSQL, NOTIFY waiters when tasks finish."""

from django.db import migrations, models

# One NOTIFY per statement, not per row: a worker's write-back of a batch sends one message with
# the finished ids. A payload near PostgreSQL's 8000-byte limit is sent empty, which waiters
# read as "check your task again".
CREATE = """
CREATE OR REPLACE FUNCTION ironrelay_notify_done() RETURNS trigger AS $$
DECLARE
    ids text;
BEGIN
    SELECT string_agg(id::text, ',') INTO ids FROM ironrelay_done_rows
        WHERE status IN ('success', 'failed', 'cancelled');
    IF ids IS NOT NULL THEN
        IF length(ids) > 7000 THEN
            ids := '';
        END IF;
        PERFORM pg_notify('ironrelay_done', ids);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS ironrelay_task_done ON ironrelay_task;
CREATE TRIGGER ironrelay_task_done AFTER UPDATE ON ironrelay_task
    REFERENCING NEW TABLE AS ironrelay_done_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ironrelay_notify_done();
"""
DROP = """
DROP TRIGGER IF EXISTS ironrelay_task_done ON ironrelay_task;
DROP FUNCTION IF EXISTS ironrelay_notify_done();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("ironrelay", "0012_incoming_content_hash")]
    operations = [
        migrations.AddField(
            model_name="task",
            name="cancel_requested_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
