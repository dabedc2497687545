"""The schema revision this code needs, readable without SQLAlchemy or Alembic."""

# The newest migration in migrations/versions (a test keeps the two in step).
SCHEMA_HEAD = "0020"
