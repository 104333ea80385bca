"""Whisper in a worker of its own, so that it never starves the camera.

The listener hands over an utterance (its audio and times); the worker transcribes it and the
listener collects the transcript on its next call. Bounded: at most `max_pending` utterances
wait, and one that finds the queue full is dropped rather than answered late (in mode "both"
the fast recognizer's answer then stands, as in mode "fast"). Low priority: the worker thread
lowers its own scheduling priority (nice) before it loads the model, so CTranslate2's threads,
which it starts, inherit it; pose and analysis keep the CPU they need, and Whisper takes what
is left, on at most `threads` threads.

`synchronous=True` transcribes in the caller's thread instead (the bench and the tests: results
in order, the decoding time inside the call that ended the utterance).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from coach.voice.whisper_stage import Propose, Transcriber, Transcript

log = logging.getLogger(__name__)

NICE = 10            # the worker's niceness: below pose and analysis (0), above nothing else
MAX_PENDING = 2      # utterances waiting; a third is dropped (a lifter does not say three commands at once)


@dataclass(frozen=True)
class Job:
    audio: np.ndarray    # int16, 16 kHz: the utterance
    start: float         # audio clock
    end: float
    fallback: object = None   # what the first stage made of it (kept for the decision)
    hints: tuple[str, ...] = ()   # the first stage's words: candidates for Whisper to score


@dataclass(frozen=True)
class Done:
    job: Job
    transcript: Transcript | None   # None: dropped (queue full) or the model failed
    reason: str = ""


class WhisperWorker:
    def __init__(self, make_transcriber: Callable[[], Transcriber], synchronous: bool = False,
                 max_pending: int = MAX_PENDING, nice: int = NICE, propose: Propose | None = None):
        self._make = make_transcriber
        self._propose = propose
        self._sync = synchronous
        self._nice = nice
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=max_pending)
        self._done: queue.Queue[Done] = queue.Queue()
        self._transcriber: Transcriber | None = None
        self._thread: threading.Thread | None = None
        self._busy = 0
        self._lock = threading.Lock()
        self.error: str = ""      # why the model could not be used, once that is known
        # The model is loaded now, not at the first command (half a second that would make the
        # first answer late): here in synchronous mode, in the worker thread otherwise.
        if synchronous:
            self._load()
        else:
            self._start()

    # --- the listener's side ---

    def submit(self, job: Job) -> bool:
        """Queue an utterance; False when the queue is full (the utterance is dropped)."""
        if self._sync:
            self._done.put(self._run(job))
            return True
        self._start()
        with self._lock:
            self._busy += 1
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            with self._lock:
                self._busy -= 1
            self._done.put(Done(job, None, "busy"))
            return False
        return True

    def results(self) -> list[Done]:
        out = []
        while True:
            try:
                out.append(self._done.get_nowait())
            except queue.Empty:
                return out

    def drain(self) -> list[Done]:
        """Wait for the queued utterances (end of input), then their results."""
        if self._thread is not None:
            self._jobs.join()
        return self.results()

    @property
    def pending(self) -> int:
        with self._lock:
            return self._busy

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout=5)

    # --- the worker's side ---

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="whisper", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        try:   # this thread only (Linux: a thread's id is a process id for setpriority)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self._nice)
        except (OSError, AttributeError) as e:
            log.info("the Whisper worker keeps its priority (%s)", e)
        self._load()
        while True:
            job = self._jobs.get()
            if job is None:
                self._jobs.task_done()
                return
            done = self._run(job)
            with self._lock:
                self._busy -= 1
            self._done.put(done)
            self._jobs.task_done()

    def _load(self) -> None:
        try:
            self._transcriber = self._make()
            if self._propose is not None:
                self._transcriber.prepare(self._propose)
        except (RuntimeError, OSError, ValueError) as e:   # CTranslate2 and the tokenizer raise these
            self._fail(e)

    def _fail(self, e: Exception) -> None:
        self.error = f"Whisper failed ({e})"
        log.warning("%s", self.error)

    def _run(self, job: Job) -> Done:
        if self.error or self._transcriber is None:
            return Done(job, None, self.error or "Whisper is not loaded")
        try:
            return Done(job, self._transcriber.transcribe(job.audio, propose=self._propose, hints=job.hints))
        except (RuntimeError, OSError, ValueError) as e:
            self._fail(e)
            return Done(job, None, self.error)
