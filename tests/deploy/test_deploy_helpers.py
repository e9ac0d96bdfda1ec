"""The deploy tests' own helpers: a missing service skips locally and fails under CI; process groups stop."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from deploy_helpers import clean_env, group_members, missing, start, stop


@pytest.mark.parametrize("ci", ["", "false"])
def test_a_missing_service_skips_outside_ci(ci: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="Redis is not listening"):
        missing("Redis is not listening on 127.0.0.1:6379")


def test_a_missing_service_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"Redis is not listening .*CI=true"):
        missing("Redis is not listening on 127.0.0.1:6379")


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    """A child that ignores SIGTERM and a grandchild: both gone after stop()."""
    code = (
        "import signal, subprocess, sys, time;"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    )
    proc = start("stubborn", [sys.executable, "-c", code], clean_env({}), tmp_path)
    while "up" not in proc.log.read_text():
        assert proc.alive()
        time.sleep(0.05)
    assert len(group_members(proc.popen.pid)) == 2
    took = stop([proc], grace=1.0)
    assert took == {"stubborn": float("inf")}
    assert group_members(proc.popen.pid) == []
