"""An article's own subject (streams/extract/topics.py): the war when its vocabulary comes
back at least three times, as whole words, plural or not."""

from __future__ import annotations

import pytest

from streams.extract.topics import article_speaks_of_war


@pytest.mark.parametrize(("text", "war"), [
    ("Prisoners were freed; the truce held, and PEACE talks resumed.", True),
    ("War. Wars. Warss.", True),  # trailing s repeated: still the word
    ("Warfare, prewar records and postwar housing: a peacekeeping budget.", False),
    ("The war ended; peace came.", False),  # twice is not throughout
    ("war2war exchange-swap", True),  # letters only: digits and hyphens split words
])
def test_war_vocabulary_counted_as_whole_words(text: str, war: bool) -> None:
    assert article_speaks_of_war(text) is war
