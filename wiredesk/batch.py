"""``wiredesk dedupe``: batch clustering of a JSONL corpus with the pipeline's matcher."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from dedupe import Decision, DedupeConfig, Document, Stories, dedupe_documents
from wiredesk.errors import WiredeskError


@contextmanager
def _open(name: str, mode: str) -> Iterator[IO[str]]:
    if name == "-":
        yield sys.stdin if mode == "r" else sys.stdout
        return
    try:
        with Path(name).open(mode, encoding="utf-8") as handle:
            yield handle
    except OSError as exc:
        raise WiredeskError(f"cannot open {name}: {exc.strerror}") from None


def _published(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise WiredeskError(f'{where}: "published" must be an ISO 8601 string')
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise WiredeskError(f'{where}: "published" is not ISO 8601: {value!r}') from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def read_documents(handle: IO[str], name: str) -> tuple[list[Document], list[Any]]:
    """Documents and their original ids (as given, string or number), in input order."""
    docs: list[Document] = []
    ids: list[Any] = []
    seen: set[str] = set()
    for lineno, line in enumerate(handle, 1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise WiredeskError(f"{where}: not JSON ({exc.msg}); each line must be one JSON object") from None
        if not isinstance(row, dict):
            raise WiredeskError(f'{where}: expected an object with "id" and "text"')
        raw_id, text = row.get("id"), row.get("text")
        if not isinstance(raw_id, (str, int)) or isinstance(raw_id, bool) or str(raw_id) == "":
            raise WiredeskError(f'{where}: "id" must be a non-empty string or an integer')
        if not isinstance(text, str):
            raise WiredeskError(f'{where}: "text" must be a string')
        if str(raw_id) in seen:
            raise WiredeskError(f"{where}: duplicate id {raw_id!r}; ids must be unique")
        seen.add(str(raw_id))
        title = row.get("title")
        docs.append(
            Document(
                id=str(raw_id),
                text=text,
                title=title if isinstance(title, str) else None,
                published=_published(row.get("published"), where),
            )
        )
        ids.append(raw_id)
    return docs, ids


def explanation(decision: Decision) -> dict[str, Any]:
    """The evidence behind one document's placement: each member compared, and each story link."""
    return {
        "id": decision.doc_id,
        "cluster_id": decision.cluster_id,
        "decision": "founded" if decision.created else "joined",
        "evidence": [asdict(m) for m in decision.evidence],
        "story_links": [{"cluster_id": cluster, **asdict(m)} for cluster, m in decision.links],
    }


def run_batch_dedupe(input_name: str, output_name: str, config: DedupeConfig, explain: str | None = None) -> int:
    with _open(input_name, "r") as handle:
        docs, ids = read_documents(handle, input_name)
    print(f"deduplicating {len(docs)} documents ...", file=sys.stderr)
    ordered = dedupe_documents(docs, config)
    stories = Stories().apply(ordered)
    decisions = {d.doc_id: d for d in ordered}
    with _open(output_name, "w") as out:
        for doc, raw_id in zip(docs, ids, strict=True):
            cluster = decisions[doc.id].cluster_id
            out.write(json.dumps({"id": raw_id, "cluster_id": cluster, "story_id": stories.story_of(cluster)}) + "\n")
    if explain:
        with _open(explain, "w") as out:
            for decision in ordered:
                out.write(json.dumps(explanation(decision)) + "\n")
    clusters = len({d.cluster_id for d in ordered})
    story_count = len({stories.story_of(d.cluster_id) for d in ordered})
    print(f"{len(docs)} documents in {clusters} clusters and {story_count} stories", file=sys.stderr)
    return 0
