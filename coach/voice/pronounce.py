"""The pronouncing dictionary PocketSphinx ships (CMU, 135,000 English words), as a lookup for
coach.core.command_match: Whisper's words compared with the commands by their sounds."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=2)
def _load(path: str) -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            word, _, phones = line.strip().partition(" ")
            if word and "(" not in word:   # "word(2)": alternative pronunciations; the first will do
                table[word] = tuple(phones.split())
    return table


def cmu_pronouncer(path: str | Path | None = None) -> Callable[[str], tuple[str, ...] | None]:
    """word -> its CMU phones (None when the dictionary lacks it). Loads the dictionary once."""
    if path is None:
        import pocketsphinx

        path = pocketsphinx.get_model_path("en-us/cmudict-en-us.dict")
    return _load(str(path)).get
