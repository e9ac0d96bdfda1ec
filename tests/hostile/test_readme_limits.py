"""The README's "Limits and safety" table says what the code does: each default is the code's default (and
what ``Settings.from_env`` gives when nothing is set), each variable named in "change it with" changes that
very value, and every limit of ``FetchLimits``, ``ExtractConfig``, ``PollPolicy`` and ``Settings`` is listed."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dedupe import DedupeConfig
from ingest.config import ExtractConfig, FetchLimits
from ingest.polling import PollPolicy
from wiredesk.settings import Settings

README = Path(__file__).parents[2] / "README.md"
CONFIGS: dict[str, type[Any]] = {
    "FetchLimits": FetchLimits,
    "ExtractConfig": ExtractConfig,
    "PollPolicy": PollPolicy,
    "DedupeConfig": DedupeConfig,
    "Settings": Settings,
}
ON_SETTINGS = {"FetchLimits": "fetch", "ExtractConfig": "extract", "PollPolicy": "polling", "DedupeConfig": "dedupe"}
# Not limits: identity, places, nested configurations (listed field by field), run-once's parallelism.
NOT_LIMITS = {
    "FetchLimits": {"user_agent", "allow"},
    "Settings": {"home", "store_url", *ON_SETTINGS.values(), "workers"},
}
TIME_UNITS = {
    "s": timedelta(seconds=1),
    "min": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "days": timedelta(days=1),
}
SIZE_UNITS = {"KiB": 1024, "MiB": 1024 * 1024}


def table() -> list[tuple[str, str, str, str]]:
    """The rows of the section's table: (limit, default, in the code, change it with)."""
    text = README.read_text()
    section = text[text.index("## Limits and safety") :]
    section = section[: section.index("\n## ", 5)]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and cells[0] != "limit" and not cells[0].startswith("---"):
            rows.append((cells[0], cells[1], cells[2].strip("`"), cells[3]))
    return rows


ROWS = table()


def code_default(path: str) -> Any:
    """The default of ``Class.field``, ``module.CONSTANT`` or ``module.Class(parameter)``."""
    owner, _, name = path.rpartition(".")
    if owner in CONFIGS:
        (field,) = [f for f in dataclasses.fields(CONFIGS[owner]) if f.name == name]
        if field.default is not dataclasses.MISSING:
            return field.default
        factory: Any = field.default_factory
        return factory()
    call = re.fullmatch(r"(.+)\.(\w+)\((\w+)\)", path)
    if call:
        module, cls, parameter = call.groups()
        return inspect.signature(getattr(importlib.import_module(module), cls)).parameters[parameter].default
    return getattr(importlib.import_module(owner), name)


def on_settings(settings: Settings, path: str) -> Any:
    owner, _, name = path.rpartition(".")
    holder = settings if owner == "Settings" else getattr(settings, ON_SETTINGS[owner])
    return getattr(holder, name)


def readme_value(text: str, like: Any) -> Any:
    """The README's ``text`` ("10 MiB", "24 h", "obey", "0.5", "2048 characters") in the type of ``like``."""
    if isinstance(like, bool):
        return {"obey": True, "yes": True, "no": False}[text]
    number, _, unit = text.partition(" ")
    value = float(number)
    if isinstance(like, timedelta):
        return value * TIME_UNITS[unit]
    if unit in SIZE_UNITS:
        return int(value * SIZE_UNITS[unit])
    assert unit in ("", "s", "days", "characters", "words"), f"{text}: the code's value is a plain number"
    return type(like)(value)


def test_the_table_is_there() -> None:
    assert len(ROWS) >= 30


@pytest.mark.parametrize(("limit", "default", "path", "change"), ROWS, ids=[row[2] for row in ROWS])
def test_default_matches_the_code(limit: str, default: str, path: str, change: str, tmp_path: Path) -> None:
    expected = code_default(path)
    assert readme_value(default, expected) == expected, f"{limit}: README says {default}, the code {expected!r}"
    if path.split(".")[0] in CONFIGS:
        from_env = on_settings(Settings.from_env({"WIREDESK_HOME": str(tmp_path)}), path)
        assert from_env == expected, f"{limit}: Settings.from_env gives {from_env!r}"


@pytest.mark.parametrize(("limit", "default", "path", "change"), ROWS, ids=[row[2] for row in ROWS])
def test_the_variable_changes_that_limit(limit: str, default: str, path: str, change: str, tmp_path: Path) -> None:
    variables = re.findall(r"WIREDESK_[A-Z_]+", change)
    if not variables:
        assert change == "code", f"{limit}: 'change it with' names no variable and is not 'code'"
        return
    (variable,) = variables
    before = on_settings(Settings.from_env({"WIREDESK_HOME": str(tmp_path)}), path)
    expected: Any
    if isinstance(before, bool):
        raw, expected = "ignore", not before
    else:
        unit = variable.rsplit("_", 1)[-1]
        raw = "7"
        scale = {"MINUTES": timedelta(minutes=1), "HOURS": timedelta(hours=1)}.get(unit)
        expected = 7 * scale if scale is not None else type(before)(7)
    changed = on_settings(Settings.from_env({"WIREDESK_HOME": str(tmp_path), variable: raw}), path)
    assert changed == expected, f"{variable}={raw} gives {path} = {changed!r}"


@pytest.mark.parametrize("owner", ["FetchLimits", "ExtractConfig", "PollPolicy", "Settings"])
def test_every_limit_is_listed(owner: str) -> None:
    listed = {path.rpartition(".")[2] for _, _, path, _ in ROWS if path.startswith(f"{owner}.")}
    fields = {f.name for f in dataclasses.fields(CONFIGS[owner])} - NOT_LIMITS.get(owner, set())
    assert fields - listed == set()
