"""Dedupe evaluation: wiredesk's matcher against a plain MinHash baseline, side by side in one run.

    .venv/bin/python benchmarks/dedupe_eval.py [--repeat N] [--json PATH]

The labelled corpus is built from wire texts we wrote (``benchmarks/corpus/dedupe``) plus the Herat corpus:
for every event, the first agency's copy with verbatim republications (other datelines, quotes, agency
boilerplate), two trims, a write-thru and a correction; the second agency's copy of the same event with
republications and a trim; and an outlet's blend of both. Hard negatives: templated reports with the same
wording and other figures and days, and different stories that quote the same long statement verbatim.

The baseline is what the open tools do: datasketch MinHash (128 permutations) over word 5-shingles,
MinHashLSH at one fixed threshold (0.5), and transitive clusters of the candidate pairs.
Prints pairwise precision, recall, F1, the adjusted Rand index and documents per second for both systems,
then recall and false merges per case; writes the same figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from datasketch import MinHash, MinHashLSH

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_metrics import Scores, score

from dedupe import DedupeConfig, Document, Stories, dedupe_documents
from wiredesk.corpus import load_corpus
from wiredesk.corpus.model import WireText, parse_text

CORPUS = Path(__file__).resolve().parent / "corpus" / "dedupe"
RESULTS = Path(__file__).resolve().parent / "results"
BASE_TIME = datetime(2023, 3, 1, 6, 0, tzinfo=UTC)

AGENCY_TAIL = {
    "AP": [
        "Copyright 2023 The Associated Press. All rights reserved.",
        "Associated Press writers contributed to this report.",
    ],
    "Reuters": [
        "(Reporting by the Reuters bureau; Editing by the desk)",
        "Our Standards: The Thomson Reuters Trust Principles.",
    ],
    "AFP": ["bur/jm", "© Agence France-Presse"],
}


@dataclass(frozen=True)
class Labelled:
    doc: Document
    cluster: str
    story: str
    case: str  # original, republication, trim, update, correction, second, blend, templated, quote, herat


def _paragraphs(text: WireText) -> list[str]:
    return [p.text for p in text.paragraphs if p.kind == "p"]


def _republish(paragraphs: list[str], agency: str | None, rng: random.Random) -> str:
    """An outlet's republication: the same copy, dateline credit dropped or kept, quotes straightened or not,
    agency boilerplate appended or not."""
    out = list(paragraphs)
    if rng.random() < 0.5:
        out[0] = out[0].replace(f"({agency}) ", "", 1) if agency else out[0]
    if rng.random() < 0.5:
        out = [p.replace("“", '"').replace("”", '"').replace("’", "'") for p in out]
    if agency and rng.random() < 0.6:
        out.append(rng.choice(AGENCY_TAIL.get(agency, [""])))
    return "\n\n".join(p for p in out if p)


def _event_docs(folder: Path, index: int, rng: random.Random) -> list[Labelled]:
    event = folder.name
    texts = {p.stem: parse_text(p.stem, p.read_text(encoding="utf-8")) for p in folder.glob("*.txt")}
    first, second = texts["first"], texts["second"]
    base = BASE_TIME + timedelta(days=2 * index)
    a, b = _paragraphs(first), _paragraphs(second)
    docs: list[Labelled] = []

    def add(name: str, text: str, cluster: str, case: str, hours: float) -> None:
        doc = Document(f"{event}/{name}", text, published=base + timedelta(hours=hours))
        docs.append(Labelled(doc, f"{event}/{cluster}", event, case))

    add("first", "\n\n".join(a), "first", "original", 0)
    for n in range(4):
        add(f"first-rep{n}", _republish(a, first.agency, rng), "first", "republication", 1 + n)
    add("first-trim5", "\n\n".join(a[:5]), "first", "trim", 5)
    add("first-trim8", "\n\n".join(a[:8]), "first", "trim", 5.5)
    add("first-update", texts["update"].body, "first", "update", 8)
    add("first-correction", texts["correction"].body, "first", "correction", 9)
    add("second", "\n\n".join(b), "second", "second", 0.5)
    for n in range(2):
        add(f"second-rep{n}", _republish(b, second.agency, rng), "second", "republication", 2 + n)
    add("second-trim6", "\n\n".join(b[:6]), "second", "trim", 6)
    add("blend", "\n\n".join(a[:4] + b[1:5] + a[6:8]), "blend", "blend", 10)
    return docs


def _negatives(start: int) -> list[Labelled]:
    docs = []
    for i, path in enumerate(sorted((CORPUS / "negatives").glob("*.txt")) if (CORPUS / "negatives").exists() else []):
        text = parse_text(path.stem, path.read_text(encoding="utf-8"))
        case = "templated" if path.stem.startswith("templated-") else "quote"
        published = BASE_TIME + timedelta(days=start + i)
        docs.append(Labelled(Document(f"neg/{path.stem}", text.body, published=published), path.stem, path.stem, case))
    return docs


def _herat() -> list[Labelled]:
    corpus = load_corpus()
    story = {"ap-herat": "herat", "afp-herat": "herat", "blend-herat": "herat"}
    docs = []
    for page in corpus.pages:
        text = "\n\n".join(p.text for p in corpus.body_of(page) if p.kind == "p")
        doc = Document(f"herat{page.path}", text, published=page.published)
        docs.append(Labelled(doc, f"herat/{page.cluster}", story.get(page.cluster, page.cluster), "herat"))
    return docs


def build_corpus(seed: int = 7) -> list[Labelled]:
    rng = random.Random(seed)
    events = CORPUS / "events"
    folders = sorted(p for p in events.iterdir() if (p / "first.txt").exists()) if events.exists() else []
    docs = [d for i, folder in enumerate(folders) for d in _event_docs(folder, i, rng)]
    docs += _negatives(start=2 * len(folders) + 1)
    docs += _herat()
    return docs


# -- the two systems -----------------------------------------------------------------------------


def run_wiredesk(docs: Sequence[Document]) -> dict[str, str]:
    return {d.doc_id: d.cluster_id for d in dedupe_documents(docs, DedupeConfig())}


def wiredesk_stories(docs: Sequence[Document]) -> dict[str, str]:
    """Each document's story (clusters linked by a shared passage), as the pipeline and batch mode link them."""
    decisions = dedupe_documents(docs, DedupeConfig())
    stories = Stories().apply(decisions)
    return {d.doc_id: stories.story_of(d.cluster_id) for d in decisions}


def run_baseline(docs: Sequence[Document], threshold: float = 0.5) -> dict[str, str]:
    """datasketch MinHash (128 perms) on word 5-shingles, MinHashLSH at one threshold, transitive clusters."""
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    signatures = {}
    for doc in docs:
        words = doc.text.lower().split()
        shingles = {" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))}
        mh = MinHash(num_perm=128)
        mh.update_batch(list(shingles))
        signatures[doc.id] = mh
        lsh.insert(doc.id, mh)
    parent = {d.id: d.id for d in docs}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for doc in docs:
        for other in lsh.query(signatures[doc.id]):
            parent[find(other)] = find(doc.id)
    return {d.id: find(d.id) for d in docs}


def _timed(
    fn: Callable[[Sequence[Document]], dict[str, str]], docs: Sequence[Document], repeat: int
) -> tuple[dict[str, str], float]:
    best = float("inf")
    result: dict[str, str] = {}
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(docs)
        best = min(best, time.perf_counter() - start)
    return result, len(docs) / best


def per_case(labelled: Sequence[Labelled], predicted: dict[str, str]) -> dict[str, dict[str, float]]:
    """Recall of each variant case against its cluster's original, and how often negatives were merged."""
    by_cluster: dict[str, list[Labelled]] = defaultdict(list)
    for item in labelled:
        by_cluster[item.cluster].append(item)
    found: dict[str, list[bool]] = defaultdict(list)
    for items in by_cluster.values():
        anchor = next((i for i in items if i.case in ("original", "second")), items[0])
        for item in items:
            if item is not anchor:
                found[item.case].append(predicted[item.doc.id] == predicted[anchor.doc.id])
    merged: dict[str, list[bool]] = defaultdict(list)
    sizes: dict[str, int] = defaultdict(int)
    for item in labelled:
        sizes[predicted[item.doc.id]] += 1
    truth_of_pred: dict[str, set[str]] = defaultdict(set)
    for item in labelled:
        truth_of_pred[predicted[item.doc.id]].add(item.cluster)
    for item in labelled:
        if item.case in ("templated", "quote", "blend", "second"):
            merged[item.case].append(len(truth_of_pred[predicted[item.doc.id]]) > 1)
    return {
        "recall": {case: sum(v) / len(v) for case, v in sorted(found.items())},
        "wrongly_merged": {case: sum(v) / len(v) for case, v in sorted(merged.items())},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per system (the best is reported)")
    parser.add_argument("--json", type=Path, default=RESULTS / "dedupe_eval.json", help="where to write the figures")
    args = parser.parse_args(argv)

    labelled = build_corpus()
    docs = [item.doc for item in labelled]
    truth = {item.doc.id: item.cluster for item in labelled}
    clusters = len(set(truth.values()))
    print(f"corpus: {len(docs)} articles in {clusters} clusters, {len({i.story for i in labelled})} stories")
    systems: dict[str, tuple[Scores, float, dict[str, dict[str, float]]]] = {}
    for name, fn in (("wiredesk", run_wiredesk), ("baseline", run_baseline)):
        predicted, rate = _timed(fn, docs, args.repeat)
        systems[name] = (score(truth, predicted), rate, per_case(labelled, predicted))
    print()
    print(f"{'system':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'ARI':>6} {'docs/s':>8}")
    for name, (s, rate, _) in systems.items():
        print(f"{name:<10} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.ari:>6.3f} {rate:>8.0f}")
    story_truth = {item.doc.id: item.story for item in labelled}
    story_scores = score(story_truth, wiredesk_stories(docs))
    print(
        f"{'stories':<10} {story_scores.precision:>9.3f} {story_scores.recall:>7.3f} {story_scores.f1:>6.3f} "
        f"{story_scores.ari:>6.3f}    (wiredesk's stories against the labelled stories; the baseline has none)"
    )
    ours, base = systems["wiredesk"], systems["baseline"]
    print()
    print(f"F1 gain over the baseline: {ours[0].f1 - base[0].f1:+.3f}; throughput ratio: {ours[1] / base[1]:.2f}")
    print()
    print(f"{'case':<16} {'wiredesk':>9} {'baseline':>9}")
    for kind in ("recall", "wrongly_merged"):
        for case in ours[2][kind]:
            print(f"{kind[:6] + ' ' + case:<16} {ours[2][kind][case]:>9.2f} {base[2][kind].get(case, 0.0):>9.2f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "articles": len(docs),
                "clusters": clusters,
                "stories": asdict(story_scores),
                "systems": {
                    n: {"scores": asdict(s), "docs_per_second": r, **cases} for n, (s, r, cases) in systems.items()
                },
            },
            indent=2,
        )
    )
    print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
