from django.db import migrations

# Full-text search indexes for PostgreSQL; the expressions match what tasks/search.py asks for.
# SQLite (make run's default) has no such indexes and searches by substring.
CREATE = [
    """CREATE INDEX IF NOT EXISTS task_search_vector ON tasks_task USING gin (
        to_tsvector('english'::regconfig,
                    COALESCE("title", '') || ' ' || COALESCE("details", '')))""",
    """CREATE INDEX IF NOT EXISTS comment_search_vector ON tasks_comment USING gin (
        to_tsvector('english'::regconfig, COALESCE("body", '')))""",
]
DROP = [
    "DROP INDEX IF EXISTS task_search_vector",
    "DROP INDEX IF EXISTS comment_search_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
