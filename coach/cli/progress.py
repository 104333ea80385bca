"""A one-line progress display for long work: "frames done/total, fps, ETA".

Draws on `stream` with a carriage return only when the stream is a terminal, and at most a few
times a second, so a piped run stays quiet and a fast loop does not spend its time printing.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_MIN_REDRAW_S = 0.2  # at most ~5 redraws a second


def _fmt_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_progress(done: int, total: int | None, unit: str, elapsed: float) -> str:
    """The text of one progress line (pure: no clock, no I/O)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    rate_unit = "fps" if unit == "frames" else f"{unit}/s"
    if total:
        pct = 100.0 * min(done, total) / total
        line = f"{unit} {done}/{total} ({pct:.0f}%), {rate:.1f} {rate_unit}"
        if rate > 0:
            line += f", ETA {_fmt_duration(max(total - done, 0) / rate)}"
        return line
    return f"{unit} {done}, {rate:.1f} {rate_unit}, {_fmt_duration(elapsed)} elapsed"


class Progress:
    """`update(done)` as work advances; `close()` ends the line. Silent unless `stream` is a TTY."""

    def __init__(self, total: int | None, unit: str = "frames", stream: TextIO | None = None):
        self.total = total if total and total > 0 else None
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.enabled = bool(self.stream.isatty())
        except (AttributeError, ValueError):  # closed or unusual streams
            self.enabled = False
        self._start = time.monotonic()
        self._last_draw = -float("inf")
        self._done = 0
        self._width = 0
        self._drawn = False

    def update(self, done: int) -> None:
        self._done = done
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last_draw < _MIN_REDRAW_S:
            return
        self._last_draw = now
        self._draw(now)

    def _draw(self, now: float) -> None:
        line = format_progress(self._done, self.total, self.unit, now - self._start)
        pad = max(self._width - len(line), 0)  # blank out the tail of a longer previous line
        self._width = len(line)
        try:
            self.stream.write("\r" + line + " " * pad)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False
            return
        self._drawn = True

    def close(self) -> None:
        if not self.enabled:
            return
        self._draw(time.monotonic())  # the final figures, whatever the throttle says
        try:
            self.stream.write("\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass  # the terminal is gone or closed: nothing left to tidy
        self.enabled = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
