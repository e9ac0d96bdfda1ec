"""storage.migrate and the Alembic migrations: the migrated schema is the declared one, upgrades are
idempotent, and a store that cannot be opened says so in one line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from storage import Store, StoreError, StoreUnavailable, create_store_engine
from storage.migrate import alembic_config, upgrade
from storage.schema import metadata
from wiredesk.settings import Settings

NOW = datetime(2021, 8, 12, 14, 0, tzinfo=UTC)

# SQLite reflection cannot see an expression index (ix_articles_when), so autogenerate and the inspector skip
# it, and say so; test_the_articles_list_reads_its_index_in_order (test_store.py) checks it exists and is used.
pytestmark = [
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index"),
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'db' / 'wiredesk.sqlite'}")
    yield engine
    engine.dispose()


def schema_diffs(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        # No filtering: SQLite reflection of this schema gives no spurious differences today. Should a
        # reflection-only difference appear, filter exactly that one here, with the reason.
        return list(compare_metadata(context, metadata))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def snapshot(engine: Engine) -> dict[str, Any]:
    """Tables, columns, indexes, constraints and the revision, as the database reports them."""
    insp = inspect(engine)
    tables = sorted(insp.get_table_names())
    return {
        "revision": current_revision(engine),
        "tables": tables,
        "columns": {t: [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(t)] for t in tables},
        "indexes": {
            t: sorted((i["name"] or "", tuple(i["column_names"])) for i in insp.get_indexes(t)) for t in tables
        },
        "fks": {t: sorted(str(sorted(fk.items())) for fk in insp.get_foreign_keys(t)) for t in tables},
        "uniques": {t: sorted(str(sorted(u.items())) for u in insp.get_unique_constraints(t)) for t in tables},
    }


def test_migrated_schema_matches_the_declared_metadata(engine: Engine) -> None:
    upgrade(engine)
    assert schema_diffs(engine) == []


def test_store_fixture_is_at_head_with_every_table(store: Store, settings: Settings) -> None:
    engine = create_store_engine(settings.store_url)
    try:
        assert current_revision(engine) == head_revision(engine)
        assert set(inspect(engine).get_table_names()) == set(metadata.tables) | {"alembic_version"}
        assert schema_diffs(engine) == []
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    upgrade(engine)
    with Store(engine) as store:
        feed, _ = store.add_feed("https://example.org/rss.xml", "Example", NOW)
    before = snapshot(engine)
    upgrade(engine)
    assert snapshot(engine) == before
    with Store(engine) as store:
        assert store.list_feeds() == [feed]
    assert schema_diffs(engine) == []


def test_store_open_twice_keeps_the_data(settings: Settings) -> None:
    with Store.open(settings.store_url) as first:
        first.add_feed("https://example.org/rss.xml", "Example", NOW)
    with Store.open(settings.store_url) as second:
        assert [f.url for f in second.list_feeds()] == ["https://example.org/rss.xml"]
        assert second.counts()["feeds"] == 1


def test_downgrade_to_base_then_upgrade_again(engine: Engine) -> None:
    upgrade(engine)
    command.downgrade(alembic_config(engine), "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    assert schema_diffs(engine) == []


def test_a_fresh_database_is_at_head_after_open(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'folder' / 'wiredesk.sqlite'}"
    with Store.open(url) as store:
        assert store.dialect == "sqlite"
        assert store.counts() == {
            "feeds": 0,
            "entries": 0,
            "articles": 0,
            "clusters": 0,
            "memberships": 0,
            "stories": 0,
            "story_links": 0,
            "events": 0,
        }
    assert (tmp_path / "new" / "folder" / "wiredesk.sqlite").is_file()


def test_open_without_migrate_does_not_create_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plain.sqlite'}"
    with Store.open(url, migrate=False):
        pass
    engine = create_store_engine(url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_sqlite_pragmas_are_set(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def _blocked_by_a_file(tmp_path: Path) -> str:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    return f"sqlite:///{blocker / 'wiredesk.sqlite'}"


def _blocked_deeper(tmp_path: Path) -> str:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    return f"sqlite:///{blocker / 'sub' / 'wiredesk.sqlite'}"


def _a_folder(tmp_path: Path) -> str:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    return f"sqlite:///{folder}"


@pytest.mark.parametrize(
    "make_url", [_blocked_by_a_file, _blocked_deeper, _a_folder], ids=["under-a-file", "deeper", "a-folder"]
)
@pytest.mark.parametrize("migrate", [True, False])
def test_unopenable_store_raises_store_unavailable_in_one_line(
    tmp_path: Path, make_url: Callable[[Path], str], migrate: bool
) -> None:
    url = make_url(tmp_path)
    with pytest.raises(StoreUnavailable) as raised:
        Store.open(url, migrate=migrate)
    message = str(raised.value)
    assert isinstance(raised.value, StoreError)
    assert message.startswith("store: ")
    assert "\n" not in message
    assert str(tmp_path) in message


def test_0002_gives_every_existing_cluster_its_own_story(engine: Engine) -> None:
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO articles (id, url, content_hash, fetched_at, body, word_count, extractor)"
                " VALUES ('a1', 'https://x.example/1', 'h', '2021-08-12 14:00:00.000000', 'text', 1, 'test')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO clusters (id, founder_id, canonical_id, canonical_reason, size, created_at, updated_at)"
                " VALUES ('c0123', 'a1', 'a1', 'only version', 1, '2021-08-12 14:00:00.000000',"
                " '2021-08-12 14:00:00.000000')"
            )
        )
    upgrade(engine)
    with Store(engine) as store:
        assert store.get_cluster("c0123").story_id == "s0123"
        story = store.get_story("s0123")
        assert (story.canonical_id, story.canonical_cluster_id, story.clusters, story.size) == ("a1", "c0123", 1, 1)
        assert story.created_at == NOW
        assert store.index_state() is None  # the pipeline rebuilds the index on its next dedupe
