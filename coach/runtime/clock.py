"""The session's timeline and the inbox that merges frames and commands for the core thread.

In real time (live, or a paced replay) the core always takes the newest frame and drops the ones
it had no time for, and takes commands as they come, so a slow recognizer or a long cue never
stalls counting. In a lossless replay (the fast demo, the tests) the inbox merges frames and
commands in timeline order instead, so a run is repeatable.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from coach.core import events as ev
from coach.core.frames import Frame


class Clock:
    """The session's timeline. Real time: timeline t is released at start + t / speed (wall
    clock). Not real time: as fast as the machine goes."""

    def __init__(self, realtime: bool = False, speed: float = 1.0):
        self.realtime, self.speed = realtime, speed
        self._wall0: float | None = None

    def start(self, wall0: float | None = None) -> float:
        """Pins timeline 0 to the wall clock (now, or `wall0`) once; returns that wall time."""
        if self._wall0 is None:
            self._wall0 = time.monotonic() if wall0 is None else wall0
        return self._wall0

    def now(self) -> float:
        return (time.monotonic() - self.start()) * self.speed

    def wall_of(self, t: float) -> float:
        return self.start() + t / self.speed

    def wait_until(self, t: float, stop: threading.Event) -> bool:
        """Sleeps until timeline time t (real time only); False when asked to stop."""
        if not self.realtime:
            return not stop.is_set()
        delay = self.wall_of(t) - time.monotonic()
        if delay > 0:
            return not stop.wait(delay)
        return not stop.is_set()


@dataclass(frozen=True)
class Tick:
    t: float


InboxItem = Frame | ev.CommandHeard | ev.CommandRejected | Tick


class Inbox:
    """Frames (from the camera thread) and commands (from the voice thread) for the core."""

    def __init__(self, lossless: bool, max_frames: int = 64):
        self.lossless = lossless
        self._max = max_frames
        self._cond = threading.Condition()
        self._frames: collections.deque[Frame] = collections.deque()
        self._commands: collections.deque[ev.CommandHeard | ev.CommandRejected] = collections.deque()
        self.camera_t = -math.inf
        self.voice_t = -math.inf
        self.camera_done = False
        self.voice_done = False
        self.stopped = False
        self.dropped_frames = 0
        self._last_tick = -math.inf

    def put_frame(self, frame: Frame) -> None:
        with self._cond:
            if self.lossless:
                self._cond.wait_for(lambda: len(self._frames) < self._max or self.stopped)
            else:
                self.dropped_frames += len(self._frames)
                self._frames.clear()  # the core only ever wants the newest picture
            self._frames.append(frame)
            self.camera_t = frame.t
            self._cond.notify_all()

    def put_command(self, command: ev.CommandHeard | ev.CommandRejected) -> None:
        with self._cond:
            self._commands.append(command)
            self._cond.notify_all()

    def voice_progress(self, t: float) -> None:
        with self._cond:
            self.voice_t = max(self.voice_t, t)
            self._cond.notify_all()

    def done(self, which: str) -> None:
        with self._cond:
            setattr(self, f"{which}_done", True)
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self.stopped = True
            self._cond.notify_all()

    def _pick(self) -> InboxItem | None:
        f = self._frames[0] if self._frames else None
        c = self._commands[0] if self._commands else None
        if not self.lossless:
            if c is not None:
                return self._commands.popleft()
            if f is not None:
                return self._frames.popleft()
            return None
        # lossless: release the earliest item once the other stream is past its time
        if f is not None and (c is None or f.t < c.t) and (self.voice_done or self.voice_t >= f.t):
            item = self._frames.popleft()
            self._cond.notify_all()
            return item
        if c is not None and (f is None or c.t <= f.t) and (self.camera_done or self.camera_t >= c.t):
            return self._commands.popleft()
        if (self.camera_done and not self._frames and not self.voice_done and math.isfinite(self.voice_t)
                and self.voice_t >= self._last_tick + 0.1):
            self._last_tick = self.voice_t  # no camera: the audio's time drives the rest timer
            return Tick(self.voice_t)
        return None

    def get(self, idle_tick: Callable[[], float] | None = None, timeout: float = 0.25) -> InboxItem | None:
        """The next frame, command or Tick; None when everything is done or stop was asked."""
        with self._cond:
            while True:
                if self.stopped:
                    return None
                item = self._pick()
                if item is not None:
                    return item
                if self.camera_done and self.voice_done and not self._frames and not self._commands:
                    return None
                if not self._cond.wait(timeout) and idle_tick is not None:
                    return Tick(idle_tick())  # real time: the rest timer runs without frames
