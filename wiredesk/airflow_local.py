"""An embedded Airflow: an Airflow home with a SQLite metadata database under ``WIREDESK_HOME``, for the demo,
``wiredesk airflow`` and the tests. Production deployments configure Airflow themselves (docs/deploy.md).

Airflow reads its configuration when first imported, so :func:`configure` must run before anything
imports ``airflow``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from wiredesk.errors import WiredeskError

DAGS_FOLDER = Path(__file__).resolve().parents[1] / "dags"


def airflow_environment(airflow_home: Path, *, quiet: bool = True) -> dict[str, str]:
    """The environment variables of an embedded Airflow home."""
    env = {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    }
    if quiet:
        env["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
    return env


def configure(airflow_home: Path, *, quiet: bool = True) -> dict[str, str]:
    """Point this process at the embedded Airflow home and create its database when needed."""
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(airflow_home):
        raise WiredeskError("airflow was imported before its home was configured; this is a bug in wiredesk")
    airflow_home.mkdir(parents=True, exist_ok=True)
    env = airflow_environment(airflow_home, quiet=quiet)
    os.environ.update(env)
    migrate(airflow_home, env)
    return env


def migrate(airflow_home: Path, env: dict[str, str]) -> None:
    """``airflow db migrate`` once per Airflow version (it takes ~15 s, so a marker records it)."""
    marker = airflow_home / f".migrated-{version('apache-airflow-core')}"
    if marker.exists() and (airflow_home / "airflow.db").exists():
        return
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise WiredeskError(f"airflow db migrate failed in {airflow_home}: {tail[0]}")
    marker.touch()


def run_dag_once(dag_id: str, run_time: datetime) -> Any:
    """Run one DAG run for ``run_time`` in this process with ``dag.test()``; returns the finished DagRun."""
    import warnings

    from airflow.dag_processing.dagbag import DagBag

    # dag.test() drives the in-process execution API through Starlette's test client, which warns on every run.
    warnings.filterwarnings("ignore", message=".*starlette.testclient.*")

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        first = next(iter(bag.import_errors.items()))
        raise WiredeskError(f"DAG import error in {first[0]}: {first[1].strip().splitlines()[-1]}")
    if dag_id not in bag.dags:
        raise WiredeskError(f"no DAG {dag_id!r} in {DAGS_FOLDER}")
    return bag.dags[dag_id].test(logical_date=run_time)
