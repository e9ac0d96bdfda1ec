"""What a run leaves in the store, row for row, to compare an interrupted-then-rerun store with an uninterrupted
one: every table the pipeline writes except the poll history (``feeds``, ``polls``, ``runs``: an interrupted
run did poll, and says so). Rows are sorted by their natural keys; events keep their order but not their ids
(PostgreSQL sequences do not roll back, so a lost transaction leaves a gap in the ids, by design)."""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import create_engine, select

from storage import schema as t

_TABLES = (
    t.entries,
    t.articles,
    t.site_models,
    t.signatures,
    t.clusters,
    t.memberships,
    t.stories,
    t.story_links,
    t.index_keys,
    t.meta,
    t.robots_txt,
)


def _value(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return zlib.crc32(bytes(value))  # raw HTML, signatures: equal bytes, equal checksum
    if isinstance(value, list | dict):
        return repr(value)
    return value


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the pipeline's tables at ``url``; ``events`` in order, without their ids."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            state = {
                table.name: sorted(
                    (tuple(_value(v) for v in row) for row in conn.execute(select(table))),
                    key=repr,
                )
                for table in _TABLES
            }
            columns = [c for c in t.events.c if c.name != "id"]
            state["events"] = [
                tuple(_value(v) for v in row) for row in conn.execute(select(*columns).order_by(t.events.c.id))
            ]
    finally:
        engine.dispose()
    return state


def counts(state: dict[str, list[tuple[Any, ...]]]) -> dict[str, int]:
    return {name: len(rows) for name, rows in state.items()}


def differences(got: dict[str, list[tuple[Any, ...]]], want: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """Per table, the rows one store has and the other lacks (empty when equal): a readable failure."""
    found = []
    for name in want:
        if got[name] == want[name]:
            continue
        extra = [r for r in got[name] if r not in want[name]]
        missing = [r for r in want[name] if r not in got[name]]
        found.append(
            f"{name}: {len(got[name])} rows, want {len(want[name])}; "
            f"extra {[repr(r)[:160] for r in extra[:3]]}, missing {[repr(r)[:160] for r in missing[:3]]}"
            + ("" if extra or missing else " (same rows, other order)")
        )
    return found
