"""Schema migrations with Alembic, run programmatically (no alembic.ini needed)."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
_UPGRADING = threading.Lock()  # Alembic's command API is not safe to run from two threads at once


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to ``engine`` and this package's migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision`` (idempotent)."""
    with _UPGRADING:
        command.upgrade(alembic_config(engine), revision)
