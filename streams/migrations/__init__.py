"""Alembic migrations of the store's schema (streams/store/schema.py), the same for SQLite
and PostgreSQL. Run by `newswatch db upgrade`; driven by streams/store/migrate.py."""
