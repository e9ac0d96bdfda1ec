"""One cycle over the corpus server stores the reconciled metadata of every article and learns the site's
boilerplate from the stored pages' raw blocks."""

from __future__ import annotations

from datetime import UTC, datetime

from storage import Store
from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import SiteModels, register_feed, run_cycle
from wiredesk.settings import Settings

NOW = datetime(2021, 8, 20, 12, 0, tzinfo=UTC)


def test_a_cycle_stores_metadata_and_learns_the_site(settings: Settings, fresh_server: CorpusServer) -> None:
    for name, url in fresh_server.feed_urls():
        register_feed(settings, url, name, NOW)
    run_cycle(settings, NOW)
    with Store.open(settings.store_url) as store:
        articles = store.list_articles()
        assert len(articles) == len(fresh_server.corpus.pages)
        assert {a.host for a in articles} == {"127.0.0.1"}
        assert all(isinstance(a.authors, list) for a in articles)
        ap = [a for a in articles if a.url.endswith("/plainwire/2021/08/12/ap-taliban-seize-herat")]
        assert [(a.dateline, a.authors, a.agency) for a in ap] == [
            ("KABUL, Afghanistan", ["Samir Wardak", "Ellen Markham"], "AP")
        ]
        afp = [a for a in articles if a.url.endswith("/globe/world/2021/08/12/taliban-take-herat")]
        assert [(a.dateline, a.section, a.language) for a in afp] == [("Herat (Afghanistan)", "World", "en")]
        learned = store.site_model("127.0.0.1")
        assert learned is not None
        keys, pages = learned
        assert pages == len(articles)
        # The corpus outlets share no boilerplate that survived the generic filters; the model knows that.
        assert isinstance(keys, list)
        model = SiteModels(store, settings).model("127.0.0.1")
        assert model is not None and model.pages == pages
