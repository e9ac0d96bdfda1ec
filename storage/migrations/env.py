"""Alembic environment: runs against the engine handed over by :func:`storage.migrate.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from storage.schema import metadata

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):  # pragma: no cover - only when someone runs the alembic CLI directly
    raise RuntimeError("run migrations through storage.migrate.upgrade(engine)")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
