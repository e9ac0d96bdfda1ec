"""The DAG's tasks take the store's URL from the Airflow connection ``wiredesk_store`` when it exists, with
``WIREDESK_STORE_URL`` (then the default SQLite file) as fallback, and never log its password."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wiredesk import airflow_local
from wiredesk.errors import ConfigError
from wiredesk.settings import Settings, normalise_store_url

pytestmark = pytest.mark.airflow
SECRET = "s3cret-Pa55word"
PG_URL = f"postgresql+psycopg://wd:{SECRET}@127.0.0.1:5432/wiredesk"


@pytest.fixture
def task_env(airflow_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A task's environment: a wiredesk home, no store URL and no connection unless the test sets them."""
    home = tmp_path / "home"
    monkeypatch.setenv("WIREDESK_HOME", str(home))
    monkeypatch.delenv("WIREDESK_STORE_URL", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_WIREDESK_STORE", raising=False)
    return home


def _task_settings(caplog: pytest.LogCaptureFixture) -> Settings:
    from wiredesk import dagtasks

    with caplog.at_level(logging.INFO, logger="wiredesk"):
        return dagtasks.task_settings()


def test_the_connection_from_an_environment_variable_is_the_store(
    task_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("WIREDESK_STORE_URL", "sqlite:////nowhere/ignored.db")
    monkeypatch.setenv("AIRFLOW_CONN_WIREDESK_STORE", PG_URL)
    settings = _task_settings(caplog)
    assert settings.store_url == PG_URL
    assert settings.home == task_env


def test_the_password_is_never_logged(
    task_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_WIREDESK_STORE", PG_URL)
    _task_settings(caplog)
    assert "store: postgresql+psycopg://wd:***@127.0.0.1:5432/wiredesk (from the Airflow connection" in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres_uris_get_the_psycopg_driver(
    scheme: str, task_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_WIREDESK_STORE", f"{scheme}://wd:{SECRET}@db.internal:6432/news?sslmode=require")
    url = _task_settings(caplog).store_url
    assert url == f"postgresql+psycopg://wd:{SECRET}@db.internal:6432/news?sslmode=require"


def test_a_json_connection_with_fields_and_extras(
    task_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    conn = {
        "conn_type": "postgres",
        "host": "127.0.0.1",
        "port": 5432,
        "login": "wd",
        "password": "p@ss/word",
        "schema": "wiredesk",
        "extra": {"sslmode": "disable"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_WIREDESK_STORE", json.dumps(conn))
    settings = _task_settings(caplog)
    assert settings.store_url == "postgresql+psycopg://wd:p%40ss%2Fword@127.0.0.1:5432/wiredesk?sslmode=disable"
    assert "p@ss/word" not in caplog.text and "p%40ss%2Fword" not in caplog.text


def test_the_sqlalchemy_url_extra_names_any_database(
    task_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "elsewhere" / "store.db"
    conn = {"conn_type": "generic", "extra": {"sqlalchemy_url": f"sqlite:///{target}"}}
    monkeypatch.setenv("AIRFLOW_CONN_WIREDESK_STORE", json.dumps(conn))
    assert _task_settings(caplog).store_url == f"sqlite:///{target}"


def test_a_sqlite_uri_round_trips(
    task_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_WIREDESK_STORE", f"sqlite:///{tmp_path}/store.db")
    assert _task_settings(caplog).store_url == f"sqlite:///{tmp_path}/store.db"


def test_a_connection_without_a_database_is_a_clear_error(
    task_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_WIREDESK_STORE", json.dumps({"conn_type": "generic", "host": "db"}))
    with pytest.raises(ConfigError, match="sqlalchemy_url"):
        _task_settings(caplog)


def test_without_the_connection_the_environment_decides(
    task_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert _task_settings(caplog).store_url == f"sqlite:///{task_env / 'wiredesk.db'}"
    assert "(from WIREDESK_STORE_URL or the default)" in caplog.text
    monkeypatch.setenv("WIREDESK_STORE_URL", f"postgres://wd:{SECRET}@127.0.0.1/other")
    caplog.clear()
    assert _task_settings(caplog).store_url == f"postgresql+psycopg://wd:{SECRET}@127.0.0.1/other"
    assert SECRET not in caplog.text


@pytest.fixture
def db_connection(airflow_home: Path, tmp_path: Path) -> Iterator[Path]:
    """``wiredesk_store`` added to the session's Airflow metadata DB with ``airflow connections add`` (a SQLite
    store under ``tmp_path``), deleted afterwards: other tests share that DB and must not see it."""
    env = {**os.environ, **airflow_local.airflow_environment(airflow_home)}
    env.pop("AIRFLOW_CONN_WIREDESK_STORE", None)

    def airflow(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "airflow", *args], env=env, check=True, capture_output=True, text=True)

    target = tmp_path / "from-connection" / "store.db"
    airflow("connections", "add", "wiredesk_store", "--conn-uri", f"sqlite:///{target}")
    try:
        yield target
    finally:
        airflow("connections", "delete", "wiredesk_store")


def test_tasks_read_a_connection_added_with_the_airflow_cli(task_env: Path, db_connection: Path) -> None:
    """Outside a task Airflow only sees connections in environment variables; inside one (here ``dag.test()``,
    through the execution API) the metadata DB's too."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from storage import Store
    from wiredesk.dagconfig import DAG_ID

    run = airflow_local.run_dag_once(DAG_ID, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert str(run.state) == "success"
    assert db_connection.exists(), "the tasks opened the connection's store"
    assert not (task_env / "wiredesk.db").exists(), "the default store was not touched"
    with Store.open(f"sqlite:///{db_connection}") as store:
        assert store.counts()["feeds"] == 0
    with create_session() as session:
        states = dict(
            session.execute(
                select(TaskInstance.task_id, TaskInstance.state).where(TaskInstance.run_id == run.run_id)
            ).all()
        )
    assert states["due_feeds"] == "success" and states["dedupe"] == "success"


def test_normalise_store_url_leaves_other_urls_alone() -> None:
    assert normalise_store_url("sqlite:////srv/wiredesk.db") == "sqlite:////srv/wiredesk.db"
    assert normalise_store_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    assert normalise_store_url("POSTGRES://h/db") == "postgresql+psycopg://h/db"
    assert Settings.from_env({"WIREDESK_HOME": "/x"}, store_url="postgresql://h/db").store_url == (
        "postgresql+psycopg://h/db"
    )
