"""A throwaway PostgreSQL database for tests: created on the local server (127.0.0.1:5432, trust auth),
migrated once, emptied between tests, dropped at the end. Under ``CI=true`` a missing server fails the
tests that need it; elsewhere they are skipped."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

ADMIN_URL = os.environ.get("WIREDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin() -> object:
    import psycopg

    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)


def require_postgres() -> None:
    """Fail under CI, skip elsewhere, when the PostgreSQL server cannot be reached."""
    try:
        with _admin():  # type: ignore[attr-defined]
            pass
    except Exception as exc:
        message = f"PostgreSQL at {ADMIN_URL} is not reachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def fresh_database(prefix: str = "wiredesk_test") -> Iterator[str]:
    """A new, empty database; yields its SQLAlchemy URL (psycopg 3) and drops it afterwards."""
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with _admin() as conn:  # type: ignore[attr-defined]
        conn.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with _admin() as conn:  # type: ignore[attr-defined]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_all_tables(url: str) -> None:
    """Truncate every wiredesk table (the schema and its migration stay)."""
    from sqlalchemy import create_engine, text

    from storage.schema import metadata

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
