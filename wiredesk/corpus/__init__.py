"""The Herat wire corpus: fixtures and demo data, served from a loopback HTTP server."""

from wiredesk.corpus.model import Corpus, Outlet, Page, WireText, load_corpus
from wiredesk.corpus.server import CorpusServer

__all__ = ["Corpus", "CorpusServer", "Outlet", "Page", "WireText", "load_corpus"]
