"""storage.types.UTCDateTime: aware UTC in, aware UTC out, naive refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import StatementError

from storage import Store
from storage.types import UTCDateTime

KABUL = timezone(timedelta(hours=4, minutes=30))
NEW_YORK_SUMMER = timezone(timedelta(hours=-4))
INSTANT = datetime(2021, 8, 12, 14, 20, 5, 123456, tzinfo=UTC)

_meta = MetaData()
_times = Table("times", _meta, Column("id", Integer, primary_key=True), Column("at", UTCDateTime))


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    _meta.create_all(engine)
    yield engine
    engine.dispose()


def root_cause(exc: BaseException) -> BaseException:
    """The error under SQLAlchemy's wrapping (StatementError keeps it as ``orig``)."""
    return exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc


@pytest.mark.parametrize("dialect", [SQLiteDialect(), PGDialect()], ids=["sqlite", "postgresql"])
def test_naive_datetime_is_refused(dialect: Dialect) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        UTCDateTime().process_bind_param(datetime(2021, 8, 12, 14, 20), dialect)


def test_none_passes_through() -> None:
    assert UTCDateTime().process_bind_param(None, SQLiteDialect()) is None
    assert UTCDateTime().process_result_value(None, SQLiteDialect()) is None


@pytest.mark.parametrize("tz", [UTC, KABUL, NEW_YORK_SUMMER], ids=["utc", "kabul", "new-york"])
def test_sqlite_binds_naive_utc(tz: timezone) -> None:
    bound = UTCDateTime().process_bind_param(INSTANT.astimezone(tz), SQLiteDialect())
    assert bound == INSTANT.replace(tzinfo=None)


@pytest.mark.parametrize("tz", [UTC, KABUL, NEW_YORK_SUMMER], ids=["utc", "kabul", "new-york"])
def test_postgresql_binds_aware_utc(tz: timezone) -> None:
    bound = UTCDateTime().process_bind_param(INSTANT.astimezone(tz), PGDialect())
    assert bound == INSTANT
    assert bound.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "stored",
    [INSTANT.replace(tzinfo=None), INSTANT, INSTANT.astimezone(KABUL)],
    ids=["naive-utc", "aware-utc", "aware-kabul"],
)
def test_results_are_aware_utc(stored: datetime) -> None:
    got = UTCDateTime().process_result_value(stored, SQLiteDialect())
    assert got == INSTANT
    assert got is not None
    assert got.tzinfo is UTC


@pytest.mark.parametrize("tz", [UTC, KABUL, NEW_YORK_SUMMER], ids=["utc", "kabul", "new-york"])
def test_round_trip_through_sqlite(engine: Engine, tz: timezone) -> None:
    with engine.begin() as conn:
        conn.execute(insert(_times).values(id=1, at=INSTANT.astimezone(tz)))
        got = conn.execute(select(_times.c.at)).scalar_one()
        raw = conn.execute(text("SELECT at FROM times")).scalar_one()
    assert got == INSTANT
    assert got.tzinfo is UTC
    assert raw == "2021-08-12 14:20:05.123456"  # stored as naive UTC


def test_comparisons_use_utc(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(_times).values(id=1, at=INSTANT))
        # 18:49 in Kabul is 14:19 UTC: earlier than the stored instant, whatever the wall clock says
        since = datetime(2021, 8, 12, 18, 49, tzinfo=KABUL)
        assert conn.execute(select(_times.c.id).where(_times.c.at >= since)).scalars().all() == [1]
        until = datetime(2021, 8, 12, 10, 19, tzinfo=NEW_YORK_SUMMER)  # 14:19 UTC
        assert conn.execute(select(_times.c.id).where(_times.c.at <= until)).scalars().all() == []


def test_naive_datetime_is_refused_through_a_statement(engine: Engine) -> None:
    with pytest.raises((ValueError, StatementError)) as raised, engine.begin() as conn:
        conn.execute(insert(_times).values(id=1, at=datetime(2021, 8, 12, 14, 20)))
    assert isinstance(root_cause(raised.value), ValueError)
    with engine.connect() as conn:
        assert conn.execute(select(_times.c.id)).all() == []


def test_store_refuses_a_naive_time_and_writes_nothing(store: Store) -> None:
    with pytest.raises((ValueError, StatementError)) as raised:
        store.add_feed("https://example.org/rss.xml", "Example", datetime(2021, 8, 12, 14, 20))
    assert isinstance(root_cause(raised.value), ValueError)
    assert "naive datetime" in str(raised.value)
    assert store.list_feeds() == []


@pytest.mark.parametrize("tz", [KABUL, NEW_YORK_SUMMER], ids=["kabul", "new-york"])
def test_store_returns_non_utc_times_as_utc(store: Store, tz: timezone) -> None:
    feed, _ = store.add_feed("https://example.org/rss.xml", "Example", INSTANT.astimezone(tz))
    assert feed.created_at == INSTANT
    assert feed.created_at is not None
    assert feed.created_at.tzinfo is UTC
    assert store.get_feed(feed.id).created_at == INSTANT
