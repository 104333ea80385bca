"""The session transcript: what was heard, said and counted, with times."""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class Transcript:
    """Lines with times, printed as they happen (thread-safe) and kept for the demo's file."""

    def __init__(self, stream: TextIO | None = sys.stdout):
        self.stream = stream
        self.lines: list[tuple[float, int, str]] = []
        self._lock = threading.Lock()
        self._n = 0

    def add(self, t: float, who: str, text: str) -> None:
        line = f"{t:7.1f} s  {who:<6} {text}"
        with self._lock:
            self._n += 1
            self.lines.append((t, self._n, line))
            if self.stream is not None:
                try:
                    print(line, file=self.stream, flush=True)
                except (BrokenPipeError, ValueError):
                    self.stream = None

    def sorted_text(self) -> str:
        with self._lock:
            return "\n".join(line for _, _, line in sorted(self.lines)) + "\n"
