"""The live voice: cues are handed over with `say()` (never blocks) and played on the speaker's
own thread, honouring the SpeechQueue's pre-emption (a cut cue stops within one ~20 ms block).

If there is no sound card or the engine fails, the speaker says so once on stderr and prints
each cue's text instead: the workout goes on.
"""

from __future__ import annotations

import queue
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, TextIO

import numpy as np

from coach.core.commands import Faster, Louder, Quieter, Slower
from coach.core.events import Cue, CueSpoken
from coach.core.policy_config import PolicyConfig
from coach.core.speech_queue import PLAY, PREEMPT, SpeechQueue
from coach.speech.cache import AudioCache
from coach.speech.engine import SpeechEngine, TtsError
from coach.speech.output import AudioOutput, NoAudioOutput, SoundDeviceOutput, open_output

if TYPE_CHECKING:
    from coach.core.cues import CueLibrary

_STOP = object()
_RATE = object()
VOLUME_STEP, RATE_STEP_WPM = 0.2, 25
_FIRST_PHRASE = re.compile(r"^(.{12,}?[.,:;!?])\s+(\S.*)$", re.S)


def split_first_phrase(text: str) -> tuple[str, str]:
    """("Brace your core, and keep your back flat.") -> ("Brace your core,", "and keep ...").
    A slow engine renders the first phrase, starts playing it, and renders the rest meanwhile."""
    m = _FIRST_PHRASE.match(text.strip())
    return (m.group(1), m.group(2)) if m else (text, "")


class Speaker:
    def __init__(self, cache: AudioCache | None, config: PolicyConfig | None = None, *,
                 output: AudioOutput | None = None, device: int | str | None = None,
                 volume: float = 1.0, block_s: float = 0.02,
                 on_spoken: Callable[[CueSpoken], None] | None = None,
                 text_stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic,
                 library: CueLibrary | None = None):
        self.cache, self.volume, self.clock = cache, float(volume), clock
        self.on_spoken = on_spoken
        self.text_stream = text_stream if text_stream is not None else sys.stderr
        self._queue = SpeechQueue(config)
        self._inbox: queue.Queue = queue.Queue()
        self._block = 1024
        self.output: AudioOutput | None = None
        self.problem: str | None = None  # why we print instead of speak
        if cache is None:
            self.problem = "no speech engine"
        elif output is not None:
            self.output = output
        else:
            try:
                self.output = open_output(cache.sample_rate, device)
            except NoAudioOutput as e:
                self.problem = str(e)
        if self.output is not None:
            self._block = max(64, int(block_s * self.output.sample_rate))
        if self.problem:
            self._announce_problem()
        # engines slower than real time at startup (Piper) stream long uncached cues by phrase
        self._stream_phrases = bool(getattr(getattr(cache, "engine", None), "phrase_streaming", False))
        self._tail_pool = ThreadPoolExecutor(1, "coach-speech-tail") if self._stream_phrases else None
        self._tail: Future | None = None
        self._thread = threading.Thread(target=self._run, name="coach-speaker", daemon=True)
        self._thread.start()
        # live on a sound card: render the fixed cue library in the background, so cues start
        # within milliseconds (`library` = a CueLibrary; default the installed English one)
        if isinstance(self.output, SoundDeviceOutput) or library is not None:
            from coach.core.cues import load_cues_or_builtin
            from coach.speech.cache import fixed_texts
            self.warm_up(fixed_texts(library if library is not None else load_cues_or_builtin()))

    # -- caller side (any thread) --
    def say(self, cue: Cue) -> None:
        self._inbox.put(cue)

    def say_all(self, cues: Iterable[Cue]) -> None:
        for cue in cues:
            self._inbox.put(cue)

    def apply_command(self, command: object) -> bool:
        """Louder / Quieter / Slower / Faster (coach.core.commands) change the voice; True if handled."""
        match command:
            case Louder() | Quieter():
                step = VOLUME_STEP if isinstance(command, Louder) else -VOLUME_STEP
                self.volume = min(1.0, max(0.1, self.volume + step))
                return True
            case Slower() | Faster():
                self._inbox.put((_RATE, RATE_STEP_WPM if isinstance(command, Faster) else -RATE_STEP_WPM))
                return True
        return False

    def _change_rate(self, delta: int) -> None:
        """A new engine at the new rate (on the speaker thread: Piper takes a second to load)."""
        if self.cache is None:
            return
        engine = self.cache.engine
        rate = min(400, max(60, int(engine.rate_wpm) + delta))
        new: SpeechEngine
        try:
            if engine.name == "piper":
                from coach.speech.piper_engine import PiperEngine
                new = PiperEngine(getattr(engine, "voice_path", None), rate)
            else:
                from coach.speech.espeak_engine import EspeakEngine
                new = EspeakEngine(engine.voice, rate)
        except TtsError:
            return  # keep the voice that works
        self.cache = AudioCache(new, self.cache.directory)

    def warm_up(self, texts: Iterable[str]) -> threading.Thread:
        """Render `texts` into the cache in the background (the fixed cue library)."""
        texts = list(texts)

        def work() -> None:
            try:
                if self.cache is not None:
                    self.cache.prerender(texts)
            except TtsError:
                pass  # the speaker reports it when a cue needs it

        t = threading.Thread(target=work, name="coach-speech-warmup", daemon=True)
        t.start()
        self._warmup = t
        return t

    def close(self, drain: bool = False) -> None:
        """Stop the thread; with `drain`, finish what is playing and waiting first."""
        self._inbox.put((_STOP, drain))
        self._thread.join(timeout=30)
        if self._tail_pool is not None:
            # waits for at most the one phrase being rendered, so nothing outlives the speaker
            self._tail_pool.shutdown(wait=True, cancel_futures=True)
        if self.output is not None:
            self.output.close()

    @property
    def speaking(self) -> bool:
        return self._queue.playing is not None

    # -- the speaker thread --
    def _announce_problem(self) -> None:
        print(f"coach: {self.problem}; cues will be printed here instead.", file=self.text_stream,
              flush=True)

    def _print(self, cue: Cue) -> None:
        print(f"coach says: {cue.text}", file=self.text_stream, flush=True)

    def _start(self, cue: Cue) -> np.ndarray | None:
        """Fetch the cue's audio (rendering it if needed) and report it as spoken."""
        samples = None
        self._tail = None
        if self.output is not None and self.cache is not None:
            try:
                head, tail = cue.text, ""
                # the pool exists when the engine streams phrases (_stream_phrases)
                if self._tail_pool is not None and not self.cache.cached(cue.text):
                    head, tail = split_first_phrase(cue.text)
                samples = self.cache.get(head)
                if self._tail_pool is not None and tail:
                    self._tail = self._tail_pool.submit(self.cache.get, tail)
            except TtsError as e:
                self.output.close()
                self.output, self.problem = None, f"speech failed ({e})"
                self._announce_problem()
        if samples is None:
            self._print(cue)
        if self.on_spoken is not None:
            self.on_spoken(CueSpoken(self.clock(), cue))
        return samples

    def _forget_dropped(self, originals: dict[int, Cue]) -> None:
        for cue in self._queue.dropped:
            originals.pop(id(cue), None)
        self._queue.dropped.clear()

    def _run(self) -> None:
        current: np.ndarray | None = None
        pos = 0
        originals: dict[int, Cue] = {}
        draining = False
        while True:
            idle = self._queue.playing is None and not draining
            items = [self._inbox.get()] if idle else []  # sleep only when there is nothing to do
            while True:
                try:
                    items.append(self._inbox.get_nowait())
                except queue.Empty:
                    break
            for item in items:
                if isinstance(item, tuple) and item and item[0] is _STOP:
                    if not item[1]:
                        return
                    draining = True
                    continue
                if isinstance(item, tuple) and item and item[0] is _RATE:
                    self._change_rate(item[1])
                    continue
                now = self.clock()
                stamped = replace(item, t=now)  # waiting is measured on the speaker's clock
                originals[id(stamped)] = item
                said = pos / len(current) if current is not None and len(current) else 1.0
                if self._queue.offer(stamped, now, said) in (PLAY, PREEMPT):
                    current, pos = self._start(originals.pop(id(stamped))), 0
                self._forget_dropped(originals)
            if current is not None and pos < len(current) and self.output is not None:
                block = current[pos:pos + self._block]
                self.output.write(block * np.float32(self.volume) if self.volume != 1.0 else block)
                pos += len(block)
                continue
            if current is not None and self._tail is not None:  # the rest of a streamed cue
                try:
                    current, pos, self._tail = self._tail.result(), 0, None
                    continue
                except Exception:  # noqa: BLE001 - the head was said; skip the rest
                    self._tail = None
            current = None
            if self._queue.playing is not None:  # it ended (or was only printed): next one
                nxt = self._queue.finished(self.clock())
                self._forget_dropped(originals)
                if nxt is not None:
                    current, pos = self._start(originals.pop(id(nxt), nxt)), 0
                continue
            if draining:
                return
