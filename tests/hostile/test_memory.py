"""Memory stays bounded: a cycle over compression bombs, entity-expansion attacks, endless bodies and a
10,000-entry feed, under the default limits (10 MiB a feed, 5 MiB a page), in a process of its own, peaks
within a fixed allowance above the process's resident size before the cycle; so does a cycle whose one
article page is just under the page cap (what extraction costs, the cap bounds).

Measured (Python 3.11, Linux; resident size before the cycle about 135 MiB, mostly imports): the attacks
add about 35 MiB at the peak (feedparser's objects for the 10,000 entries are most of it), the page of
4.5 MiB 170 to 230 MiB (lxml's and trafilatura's trees: some 40 to 50 times the page). Before the fixes,
the padded billion laughs alone added 1.6 GiB, and each compression bomb 127 MiB (httpx inflates a network
chunk of 64 KiB whole: 64 MiB of zeros). The allowances, 100 MiB and 400 MiB, leave room for other
platforms. The worker runs with one feed process (``WIREDESK_WORKERS=1``), where the peak is measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server import MIB, HostileServer, article_html, item, rss

from wiredesk.corpus import CorpusServer

WORKER = Path(__file__).with_name("memory_worker.py")
ALLOWANCE_MIB = 100
PAGE_ALLOWANCE_MIB = 400
RSS = "application/rss+xml"


@pytest.fixture(scope="module")
def hostile_feeds() -> Iterator[tuple[HostileServer, dict[str, str]]]:
    with HostileServer() as server:
        laughs = '<!DOCTYPE rss [<!ENTITY lol "lol">' + "".join(
            f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10)
        )
        padding = "<!-- " + "x" * (2 * MIB) + " -->"
        quadratic = f'<!DOCTYPE rss [<!ENTITY a "{"A" * 200_000}">]>'
        pages = [f"{server.url}/bomb?encoding=gzip&amp;mib=256&amp;type=text/html", f"{server.url}/huge-page?mib=64"]
        feeds = {
            "gzip bomb": f"{server.url}/bomb?encoding=gzip&mib=256",
            "deflate bomb": f"{server.url}/bomb?encoding=deflate&mib=256",
            "endless": f"{server.url}/unsized?mib=64",
            "laughs": server.add(
                "/laughs.xml",
                (
                    f"<?xml version='1.0'?>{laughs}]>{padding}"
                    + rss(item(server.url + "/page?id=l", "&lol9;"), prolog="")
                ).encode(),
                RSS,
            ),
            "quadratic": server.add(
                "/quadratic.xml",
                (
                    f"<?xml version='1.0'?>{quadratic}"
                    + rss(item(server.url + "/page?id=q", "&a;" * 40_000), prolog="")
                ).encode(),
                RSS,
            ),
            "ten thousand": f"{server.url}/big-feed?n=10000",
            "hostile pages": server.add("/pages.xml", rss("".join(item(p) for p in pages)).encode(), RSS),
        }
        yield server, feeds


def cycle_growth_mib(tmp_path: Path, name: str, feeds: dict[str, str]) -> tuple[float, dict[str, list[Any]]]:
    """Run a cycle over ``feeds`` in a new process: its peak resident size above the size before the cycle
    (MiB), and each feed's [status, error class, entries, stored, failed]."""
    args = {"home": str(tmp_path / name), "feeds": feeds, "max_articles": 5}
    done = subprocess.run(
        [sys.executable, str(WORKER), json.dumps(args)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    grown = (result["peak_kib"] - result["rss_before_kib"]) / 1024
    print(f"{name}: {result['rss_before_kib'] / 1024:.0f} MiB before the cycle, peak +{grown:.0f} MiB")
    return grown, result["feeds"]


def test_memory_stays_bounded_under_attack(
    tmp_path: Path, corpus_server: CorpusServer, hostile_feeds: tuple[HostileServer, dict[str, str]]
) -> None:
    _, hostile = hostile_feeds
    healthy = dict(corpus_server.feed_urls()[:2])
    grown, feeds = cycle_growth_mib(tmp_path, "attacks", {**healthy, **hostile})
    for name in healthy:
        assert feeds[name][:2] == ["ok", None] and feeds[name][3] == 3
    assert [feeds[n][:2] for n in ("gzip bomb", "deflate bomb", "endless")] == [["error", "too-large"]] * 3
    assert feeds["laughs"][:4] == ["ok", None, 1, 1]
    assert feeds["quadratic"][:4] == ["ok", None, 1, 1]
    assert feeds["ten thousand"][:4] == ["ok", None, 10_000, 5]
    assert feeds["hostile pages"][2:] == [2, 0, 2]  # the bomb and the endless page, refused at the cap
    assert grown < ALLOWANCE_MIB


def test_memory_of_a_page_at_the_page_cap(
    tmp_path: Path, corpus_server: CorpusServer, hostile_feeds: tuple[HostileServer, dict[str, str]]
) -> None:
    server, _ = hostile_feeds
    page = article_html("A page of 4.5 MiB", paragraphs=20_000)
    assert 4 * MIB < len(page) < 5 * MIB  # under the default page cap of 5 MiB: fetched and extracted
    url = server.add("/page-at-cap.html", page, "text/html")
    feed = server.add("/page-at-cap.xml", rss(item(url)).encode(), RSS)
    grown, feeds = cycle_growth_mib(tmp_path, "page at the cap", {**dict(corpus_server.feed_urls()[:2]), "big": feed})
    assert feeds["big"] == ["ok", None, 1, 1, 0]
    assert grown < PAGE_ALLOWANCE_MIB
