"""Article extraction: the clean body (:mod:`ingest.body`: trafilatura, the site's learned boilerplate, our
residue filters, a recall-oriented fallback) and the metadata reconciled from the feed entry, the page and
the body (:mod:`ingest.metadata`).
"""

from __future__ import annotations

import lxml.html

from ingest.body import extract_body
from ingest.boilerplate import SiteModel
from ingest.config import ExtractConfig
from ingest.credits import clean_byline
from ingest.errors import ExtractError
from ingest.metadata import first_title, parse_time, read_metadata
from ingest.records import ExtractedArticle, FeedEntry

METHOD = "trafilatura+cleanup"  # the primary path; see ingest.body for the others


def extract_article(
    html: bytes | str,
    *,
    url: str,
    entry: FeedEntry | None = None,
    feed_title: str | None = None,
    config: ExtractConfig | None = None,
    site: SiteModel | None = None,
) -> ExtractedArticle:
    """Extract the clean body and metadata of one article page. ``site`` is the host's learned boilerplate
    (:mod:`ingest.boilerplate`); the body itself comes from :func:`ingest.body.extract_body`. Raises
    :class:`ExtractError`."""
    config = config or ExtractConfig()
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ExtractError(f"extract: unreadable HTML ({exc}) at {url}") from exc
    body = extract_body(
        html,
        url=url,
        title=first_title(tree) or (entry.title if entry else None),
        config=config,
        site=site,
        tree=tree,
        with_metadata=True,
    )
    found = body.metadata  # trafilatura's own metadata findings, from the body's pass
    # Credits in dropped lines ("Source: AP") still count; the dateline is the body's first line.
    meta = read_metadata(tree, url=url, text="\n".join((body.text, *body.removed)), entry=entry, fallback=found)
    return ExtractedArticle(
        text=body.text,
        method=body.method,
        title=meta.title,
        byline=clean_byline(meta.byline),
        published=meta.published,
        published_source=meta.published_source,
        language=meta.language,
        canonical_url=meta.canonical_url,
        outlet=meta.site_name or feed_title or found.get("sitename"),
        agencies=meta.agencies,
        authors=meta.authors,
        updated=meta.updated,
        updated_source=meta.updated_source,
        section=meta.section,
        dateline=meta.dateline,
        language_source=meta.language_source,
        block_keys=body.block_keys,
        removed=body.removed,
    )


__all__ = ["METHOD", "extract_article", "parse_time"]
