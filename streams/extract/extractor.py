"""The extract stage: articles in, structured events out (no stories yet: see stories.py).

Pure apart from spaCy: no Faust, no store, no I/O once built. Runs one call at a time, in a
worker process of streams/extract/process_pool.py (or the service's own thread); docs are
freed after each call (spaCy's memory_zone) so a long-running worker stays flat. Text longer
than the model's limit is read in chunks, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from streams.core.records import Article, Event, dated_key
from streams.extract.dates import parse_published
from streams.extract.reader import ArticleReader, Draft
from streams.extract.sides import sides_of
from streams.knowledge.gazetteer import Gazetteer
from streams.knowledge.taxonomy import Taxonomy

if TYPE_CHECKING:
    import datetime as dt

    from spacy.language import Language

    from streams.config.settings import Settings

CHUNK_CHARS = 100_000  # parser memory grows with doc length: paragraphs beyond this are split
# spaCy batches docs, and each paragraph is a doc: a batch of a few paragraphs per article
# keeps the network's matrices as full as whole articles would (make bench: 0.77 -> 0.8x)
PARAGRAPHS_PER_ARTICLE = 4
# Words read are kept in the vocabulary (outside the memory zone) up to this many entries:
# a word met again is then looked up, not rebuilt with its lexical attributes in every batch
# (tokenizing costs a third less: make bench, extraction vs bare nlp.pipe). A few MB at most.
KNOWN_WORDS = 50_000


class Extractor:
    """Turns articles into events with one spaCy pipeline (see streams/extract/nlp.py)."""

    def __init__(
        self, nlp: Language, taxonomy: Taxonomy, gazetteer: Gazetteer, batch_size: int = 16,
        known_words: int = KNOWN_WORDS,
    ) -> None:
        self.nlp = nlp
        self.taxonomy = taxonomy
        self.gazetteer = gazetteer
        self.batch_size = batch_size
        self.known_words = known_words

    def extract(self, articles: Sequence[Article]) -> list[list[Event]]:
        """One list of events per article, in order; story ids are left empty."""
        readers = [
            ArticleReader(self.taxonomy, self.gazetteer, parse_published(a.published))
            for a in articles
        ]
        limit = min(self.nlp.max_length, CHUNK_CHARS)
        pieces = (
            (chunk, n) for n, article in enumerate(articles) for chunk in chunks(article, limit)
        )
        vocab = self.nlp.vocab
        learn = len(vocab) < self.known_words
        words: set[str] = set()
        with self.nlp.memory_zone():
            batch = self.batch_size * PARAGRAPHS_PER_ARTICLE
            for doc, n in self.nlp.pipe(pieces, as_tuples=True, batch_size=batch):
                readers[n].read(doc)
                if learn:
                    words.update(token.text for token in doc)
        for word in words:  # outside the zone: kept for good
            vocab[word]
        return [
            [_event(article, reader.published, draft) for draft in reader.drafts()]
            for article, reader in zip(articles, readers, strict=True)
        ]


def build_extractor(settings: Settings) -> Extractor:
    """Load taxonomy, gazetteer and model as the settings say (the composition root calls it)."""
    return extractor_for(settings.spacy_model, Path(settings.taxonomy_dir), settings.batch_size,
                         settings.nlp_matmul)


def extractor_for(model: str, taxonomy_dir: Path, batch_size: int, matmul: str = "numpy"
                  ) -> Extractor:
    """Load taxonomy, gazetteer and model (an extraction worker process calls this too)."""
    from streams.extract.nlp import load_nlp

    taxonomy = Taxonomy.load(taxonomy_dir / "event_types.yaml")
    gazetteer = Gazetteer.load(taxonomy_dir / "gazetteer.yaml")
    nlp = load_nlp(model, gazetteer, taxonomy, matmul)
    return Extractor(nlp, taxonomy, gazetteer, batch_size=batch_size)


def chunks(article: Article, limit: int = CHUNK_CHARS) -> Iterator[str]:
    """The headline, then each paragraph; a paragraph over the limit is cut at a sentence end
    (else a space) so that nothing is dropped."""
    text = article.text or ""
    title = (article.title or "").strip()
    if title and not text.lstrip().startswith(title):
        yield title[:limit]
    for paragraph in text.split("\n"):
        paragraph = paragraph.strip()
        while len(paragraph) > limit:
            cut = paragraph.rfind(". ", 0, limit)
            cut = cut + 1 if cut > 0 else paragraph.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            yield paragraph[:cut]
            paragraph = paragraph[cut:].strip()
        if paragraph:
            yield paragraph


def _event(article: Article, day: dt.date | None, draft: Draft) -> Event:
    evidence = " ".join(draft.evidence)
    return Event(
        # dated by its article (streams/core/records.py dated_key: a day's events side by side)
        id=dated_key(day, article.id, draft.type,
                     draft.evidence[0], str(draft.first)),
        article_id=article.id,
        type=draft.type,
        actors=list(draft.actors),
        location=list(draft.location),
        quantities=dict(draft.quantities),
        date=draft.date.isoformat() if draft.date else None,
        status=draft.status,
        attribution=draft.attribution,
        evidence=evidence,
        sides=sides_of(draft.roles),
        roles={role: list(names) for role, names in draft.roles.items()},
        topic=list(draft.topic),
        background=draft.background,
    )
