"""``wiredesk airflow`` without starting Airflow: its environment, the generated login, a busy port.
(tests/deploy/test_airflow_ui.py starts it for real.)"""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from wiredesk.airflow_ui import PASSWORDS_FILE, admin_password, ui_environment
from wiredesk.cli import main
from wiredesk.settings import Settings


def test_the_admin_password_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = admin_password(tmp_path / "airflow")
    assert len(first) >= 20
    assert admin_password(tmp_path / "airflow") == first
    path = tmp_path / "airflow" / PASSWORDS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert admin_password(tmp_path / "other") != first


def test_the_environment_is_the_embedded_home_and_nothing_inherited(tmp_path: Path) -> None:
    inherited = {
        "PATH": "/usr/bin",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": "postgresql+psycopg://prod/airflow",
        "AIRFLOW_CONN_WIREDESK_STORE": "postgresql+psycopg://prod/wiredesk",
        "WIREDESK_STORE_URL": "postgresql+psycopg://prod/wiredesk",
        "WIREDESK_CANONICAL_POLICY": "latest",
    }
    env = ui_environment(tmp_path, 8123, inherited)
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC" not in env and "AIRFLOW_CONN_WIREDESK_STORE" not in env
    assert env["AIRFLOW_HOME"] == str(tmp_path / "airflow")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{tmp_path / 'airflow' / 'airflow.db'}"
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1" and env["AIRFLOW__API__PORT"] == "8123"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8123/execution/"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == str(tmp_path / "airflow" / PASSWORDS_FILE)
    settings = Settings.from_env(env)
    assert settings.store_url == f"sqlite:///{tmp_path / 'wiredesk.db'}"
    assert settings.fetch.allow == ("127.0.0.1",)
    assert settings.dedupe.cluster_policy == ("latest",)
    assert env["PATH"].endswith("/usr/bin")


def test_a_busy_port_is_a_one_line_error(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["airflow", "--port", str(port)]) == 1
    error = f"wiredesk: error: port {port} on 127.0.0.1 is in use; choose another with --port\n"
    assert capsys.readouterr().err == error
    assert not (settings.home / "airflow-ui").exists()
