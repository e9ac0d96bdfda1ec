"""Helpers for tests that run Airflow's components as real processes: free ports, process groups with their
logs in files, stopping them for sure, finding strays, and the services they need."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

AIRFLOW = [str(Path(sys.executable).with_name("airflow"))]
if not Path(AIRFLOW[0]).exists():  # an environment without the console script
    AIRFLOW = [sys.executable, "-m", "airflow"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def missing(reason: str) -> None:
    """A required service or package is missing: a failure under CI, a skip elsewhere."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any Airflow or wiredesk setting (the session's embedded Airflow home
    must not leak into the components), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "_AIRFLOW", "WIREDESK_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    _file: IO[bytes] = field(repr=False)

    def alive(self) -> bool:
        return self.popen.poll() is None


def start(name: str, args: Sequence[str], env: Mapping[str, str], log_dir: Path) -> Proc:
    """Start ``args`` in a session (process group) of its own, stdout and stderr to ``log_dir/name.log``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    out = log.open("wb")
    popen = subprocess.Popen(
        list(args),
        env=dict(env),
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    return Proc(name, popen, log, out)


def _signal_group(proc: Proc, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.popen.pid, sig)


def group_members(pgid: int) -> list[int]:
    """Live processes (not zombies) in process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def stop(procs: Sequence[Proc], grace: float = 30.0) -> dict[str, float]:
    """SIGTERM every process group, wait up to ``grace`` seconds for each group to be empty, then SIGKILL what is
    left. Returns how long each took to stop by itself (``inf`` if it had to be killed)."""
    began = time.monotonic()
    for proc in procs:
        _signal_group(proc, signal.SIGTERM)
    took: dict[str, float] = {}
    pending = list(procs)
    while pending and time.monotonic() - began < grace:
        for proc in list(pending):
            proc.popen.poll()
            if proc.popen.returncode is not None and not group_members(proc.popen.pid):
                took[proc.name] = round(time.monotonic() - began, 1)
                pending.remove(proc)
        time.sleep(0.2)
    for proc in pending:
        _signal_group(proc, signal.SIGKILL)
        took[proc.name] = float("inf")
    for proc in procs:
        try:
            proc.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
        proc._file.close()
    return took


def processes_with_env(name: str, value: str) -> list[str]:
    """Live processes whose environment has ``name=value``: every descendant of a component inherits it, even
    one that left its process group."""
    wanted = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            if wanted not in environ:
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        found.append(f"{entry.name} {cmdline}")
    return found


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"({path}: {exc.strerror})"
    return "\n".join(text.splitlines()[-lines:])


def tails(procs: Sequence[Proc], lines: int = 40) -> str:
    return "\n".join(f"----- {p.name} ({p.log}) -----\n{tail(p.log, lines)}" for p in procs)
