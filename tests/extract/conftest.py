"""The installed model, loaded once per test module."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language

from streams.config.settings import load_settings


@pytest.fixture(scope="module")
def model() -> Language:
    return spacy.load(load_settings().spacy_model)
