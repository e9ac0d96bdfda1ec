"""``wiredesk airflow``: Airflow's UI on 127.0.0.1 with the Herat demo feeds, to try wiredesk in a browser.

Runs ``airflow standalone`` (API server and UI, scheduler, DAG processor, triggerer; LocalExecutor) on an
embedded SQLite Airflow home under ``$WIREDESK_HOME/airflow-ui``, with SimpleAuthManager and one user, ``admin``,
whose password is generated on first use and kept in that home (mode 0600). In this process: the corpus
server on a free loopback port, its feeds registered in a fresh demo store (``airflow-ui/wiredesk.db``). Runs
until Ctrl-C (or SIGTERM), then stops Airflow (every process it started) and the corpus server.

Not for production: docs/deploy.md configures Airflow with PostgreSQL and the CeleryExecutor.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from wiredesk import airflow_local
from wiredesk.dagconfig import DAG_ID
from wiredesk.errors import WiredeskError
from wiredesk.settings import Settings, schedule_interval

ADMIN = "admin"
PASSWORDS_FILE = "simple_auth_manager_passwords.json"
START_TIMEOUT_S = 300.0
STOP_GRACE_S = 20.0  # airflow standalone stopping its components (a task in flight can hold the scheduler)
STOP_TERM_S = 10.0  # then SIGTERM to every process it started, then SIGKILL


def admin_password(airflow_home: Path) -> str:
    """The ``admin`` password: generated once and kept in SimpleAuthManager's passwords file (mode 0600)."""
    path = airflow_home / PASSWORDS_FILE
    with contextlib.suppress(OSError, ValueError, AttributeError):
        existing = json.loads(path.read_text(encoding="utf-8")).get(ADMIN)
        if isinstance(existing, str) and existing:
            return existing
    password = secrets.token_urlsafe(16)
    airflow_home.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps({ADMIN: password}) + "\n")
    path.chmod(0o600)
    return password


def ui_environment(home: Path, port: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of ``airflow standalone``: ``base`` (default: this process's) without any Airflow setting
    of its own (a production connection or database must not leak in), plus the embedded home, the API on
    127.0.0.1:``port``, SimpleAuthManager with ``admin``, and the demo store with loopback fetches allowed.
    Other ``WIREDESK_*`` settings (policies, schedule) pass through."""
    airflow_home = home / "airflow"
    inherited = dict(os.environ if base is None else base)
    env = {k: v for k, v in inherited.items() if not k.startswith(("AIRFLOW", "_AIRFLOW"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # standalone runs `airflow`
    url = f"http://127.0.0.1:{port}"
    env.update(airflow_local.airflow_environment(airflow_home, quiet=False))
    env.update(
        {
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(airflow_home / PASSWORDS_FILE),
            "WIREDESK_HOME": str(home),
            "WIREDESK_STORE_URL": f"sqlite:///{home / 'wiredesk.db'}",
            "WIREDESK_FETCH_ALLOW": "127.0.0.1",
        }
    )
    return env


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=2) as response:  # noqa: S310 (loopback)
            health = json.loads(response.read())
    except (OSError, ValueError):
        return False
    parts = ("metadatabase", "scheduler", "dag_processor")
    return all(health.get(part, {}).get("status") == "healthy" for part in parts)


def _last_line(path: Path) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    return lines[-1] if lines else "no output"


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C (SIGINT) and SIGTERM stop ``wiredesk airflow`` cleanly, even when started with SIGINT ignored (as
    a shell's background job is): an ignored SIGINT would also be inherited by ``airflow standalone``."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_standalone(proc: subprocess.Popen[bytes], out: Callable[[str], None]) -> None:
    """SIGINT to ``airflow standalone`` (it stops its components); whatever of its process group is left after
    ``STOP_GRACE_S`` gets SIGTERM, and after ``STOP_TERM_S`` more SIGKILL. Another Ctrl-C meanwhile is ignored:
    stopping half way would leave Airflow's processes behind."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _stop(proc, out)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop(proc: subprocess.Popen[bytes], out: Callable[[str], None]) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)
    for sig, wait in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, STOP_TERM_S)):
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            proc.poll()
            if proc.returncode is not None and not _group_alive(proc.pid):
                return
            time.sleep(0.2)
        out(f"  some Airflow processes are still running; sending {sig.name}")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
    proc.wait(timeout=10)


def _exited(proc: subprocess.Popen[bytes], log: Path) -> WiredeskError:
    return WiredeskError(f"airflow standalone exited with {proc.returncode} ({_last_line(log)}); see {log}")


def _airflow_command() -> list[str]:
    script = Path(sys.executable).with_name("airflow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "airflow"]


def _say(line: str) -> None:
    print(line, flush=True)


def run_airflow_ui(base: Settings, port: int, out: Callable[[str], None] = _say) -> int:
    """``wiredesk airflow``: see the module's docstring. Returns the exit code."""
    from wiredesk.corpus import CorpusServer
    from wiredesk.pipeline import register_feed

    if not 0 < port < 65536:
        raise WiredeskError(f"--port {port} is not a TCP port; choose one between 1 and 65535")
    if _port_in_use(port):
        raise WiredeskError(f"port {port} on 127.0.0.1 is in use; choose another with --port")
    home = base.home / "airflow-ui"
    airflow_home = home / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    for name in ("wiredesk.db", "wiredesk.db-wal", "wiredesk.db-shm"):  # the corpus port changes: a fresh store
        (home / name).unlink(missing_ok=True)
    env = ui_environment(home, port)
    settings = Settings.from_env(env)
    password = admin_password(airflow_home)
    url = f"http://127.0.0.1:{port}"
    log = home / "standalone.log"

    out("wiredesk airflow: Airflow's UI with the Herat demo feeds (airflow standalone, LocalExecutor, SQLite)")
    with _interruptible(), CorpusServer() as server:
        now = datetime.now(UTC)
        for name, feed_url in server.feed_urls():
            register_feed(settings, feed_url, name, now)
        with settings.open_store() as store:
            feeds = len(store.list_feeds())
        out(f"  corpus server  {server.url}  ({feeds} feeds registered)")
        out(f"  store          {settings.store_url}")
        out(f"  airflow home   {airflow_home}")
        out(f"  airflow log    {log}")
        out("preparing the Airflow database (the first time takes about 20 s) ...")
        airflow_local.migrate(airflow_home, env)
        out("starting Airflow (about a minute) ...")
        with log.open("ab") as log_file:
            proc = subprocess.Popen(
                [*_airflow_command(), "standalone"],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches only us; we stop Airflow in order
            )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not _healthy(url):
                if proc.poll() is not None:
                    raise _exited(proc, log)
                if time.monotonic() > deadline:
                    raise WiredeskError(f"Airflow did not answer at {url} within {START_TIMEOUT_S:.0f} s; see {log}")
                time.sleep(1)
            out("")
            out(f"Airflow UI: {url}")
            out(f"login: {ADMIN} / {password}")
            out(f"  (the password is kept in {airflow_home / PASSWORDS_FILE})")
            minutes = int(schedule_interval(env).total_seconds() // 60)
            out(f"{DAG_ID} polls the {feeds} demo feeds every {minutes} minutes; its Trigger button runs it at once.")
            out(f'feed health, clusters and stories: {url}/wiredesk/ ("wiredesk" in the UI\'s navigation)')
            out("Ctrl-C stops Airflow and the corpus server.")
            while proc.poll() is None:
                time.sleep(0.5)
            raise _exited(proc, log)
        except KeyboardInterrupt:
            out("")
            out("stopping Airflow ...")
            return 0
        finally:
            stop_standalone(proc, out)
            out("stopped.")
