"""Rendered audio, keyed by (text, engine, voice, rate): the fixed cue library is rendered once
and replayed, so a cue starts playing within milliseconds of the event that caused it.

Memory holds everything rendered this run (a cue is ~50 KB of float32); an optional directory
keeps renders across runs, which matters for Piper on a Raspberry Pi.
"""

from __future__ import annotations

import hashlib
import os
import string
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from coach.speech.engine import SpeechEngine

if TYPE_CHECKING:
    from coach.core.cues import CueLibrary

_PRERENDER_COUNTS = range(1, 31)  # "1." .. "30." cover nearly every set


class AudioCache:
    def __init__(self, engine: SpeechEngine, directory: str | os.PathLike[str] | None = None):
        self.engine = engine
        self.directory = Path(directory) if directory else None
        self._mem: dict[tuple[str, str, str, int], np.ndarray] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def sample_rate(self) -> int:
        return int(self.engine.sample_rate)

    def key(self, text: str) -> tuple[str, str, str, int]:
        return (text, self.engine.name, self.engine.voice, int(self.engine.rate_wpm))

    def _file(self, key: tuple[str, str, str, int]) -> Path | None:
        if self.directory is None:
            return None
        digest = hashlib.sha1(repr(key).encode("utf-8")).hexdigest()[:20]
        return self.directory / f"{key[1]}-{digest}.npy"

    def cached(self, text: str) -> bool:
        return self.key(text) in self._mem

    def get(self, text: str) -> np.ndarray:
        """Samples at `sample_rate` for `text`, rendered now if not cached (raises TtsError)."""
        key = self.key(text)
        with self._lock:
            hit = self._mem.get(key)
        if hit is not None:
            self.hits += 1
            return hit
        self.misses += 1
        path = self._file(key)
        samples = None
        if path is not None and path.exists():
            try:
                samples = np.load(path, allow_pickle=False)
            except (OSError, ValueError):
                samples = None  # a damaged cache file: render again
        if samples is None:
            samples, _ = self.engine.synthesize(text)
            samples = np.asarray(samples, np.float32)
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(".tmp.npy")
                    np.save(tmp, samples)
                    os.replace(tmp, path)
                except OSError:
                    pass  # a read-only disk only costs speed
        samples.setflags(write=False)
        with self._lock:
            self._mem[key] = samples
        return samples

    def prerender(self, texts: Iterable[str]) -> int:
        n = 0
        for text in texts:
            self.get(text)
            n += 1
        return n


def fixed_texts(library: CueLibrary) -> list[str]:
    """Every text the library can produce without runtime values, plus the plain counts."""
    out: list[str] = []
    for cue_id, variants in library.messages.items():
        for text in variants:
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            if not fields:
                out.append(text.replace("{{", "{").replace("}}", "}"))
            elif fields == {"rep"} and cue_id.startswith("count."):
                out.extend(text.format(rep=n) for n in _PRERENDER_COUNTS)
    return list(dict.fromkeys(out))
