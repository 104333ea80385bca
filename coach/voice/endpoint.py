"""Where an utterance starts and ends, from frame energy against a tracked noise floor (pure).

PocketSphinx's own endpointer (a WebRTC-style VAD) calls gym music and crowd babble speech, so
at 10 dB SNR an "utterance" never ended and every command drowned in one long segment. Here the
noise floor is the 20th percentile of the recent non-speech frames, speech is a run of frames a
few dB above it, and an utterance is cut after `max_utt_s` whatever happens (commands are short).
Music and a crowd rise and fall by more than those few dB, so a pause between two commands may
never fall to the floor: an utterance also ends where the voice stays well below its own level
(`below_level_db`) for longer than the pause after the floor (`below_level_s`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

# Speech this far above the floor is heard in a quiet room (the bench's clean streams are 60-70 dB
# above it, its noisy ones 10-25).
QUIET_SNR_DB = 30.0


@dataclass
class EndpointConfig:
    frame: int = 480            # samples (30 ms at 16 kHz)
    rate: int = 16000
    start_db: float = 8.0       # above the floor, for `start_frames` frames in a row: speech starts
    end_db: float = 5.0         # below floor + this for `hang_s`: speech ended
    start_frames: int = 3
    hang_s: float = 0.27
    preroll_s: float = 0.25     # audio before the detected start handed to the recognizer
    max_utt_s: float = 4.5     # the longest command said slowly is ~3.5 s; longer is talk or noise
    min_speech_db: float = 38.0  # absolute: a quiet room's floor is near digital silence
    floor_window_s: float = 3.0
    # Commands said a second apart in real music and a crowd (the bench's tuned voices, 96
    # commands at 20 and 10 dB SNR) ran into one utterance 10 times; with these, never, and no
    # more commands were split (clean, synthetic gym noise, a real crowd). Longer than `hang_s`:
    # a soft word's end masked by noise is no pause. Not in a quiet room (QUIET_SNR_DB), where
    # the floor finds the pauses: there it cut 5 minutes of real talk into 118 utterances
    # instead of 102, and one became a command.
    below_level_db: float = 10.0
    below_level_s: float = 0.45
    noisy_snr_db: float = QUIET_SNR_DB   # ... only where the voice is less than this above the floor
    # In noise, after less than `short_s` of speech (a wake word said alone, "coach,"), a pause
    # ends the utterance only after `short_hang_s`: the pause after the name, its edges masked
    # by the noise, outlasts `hang_s`, and "coach ... start set" was cut in two (the bench's
    # tuned voices, 96 commands at 10 and 5 dB SNR, in synthetic gym noise, a real crowd and the
    # real recordings: 51 commands cut in two before, 5 after, and none joined to the next).
    short_s: float = 0.5
    short_hang_s: float = 0.5


def frame_db(frame: np.ndarray) -> float:
    x = frame.astype(np.float64)
    return float(10 * np.log10(np.mean(x * x) + 1.0))


def speech_level_db(audio: np.ndarray, frame: int = 480) -> float:
    """How loud an utterance's speech is: the 80th percentile of its frames' levels (dB), so
    that the pauses between words do not pull it down."""
    n = len(audio) // frame
    if n == 0:
        return frame_db(audio) if len(audio) else 0.0
    return float(np.percentile([frame_db(audio[i * frame:(i + 1) * frame]) for i in range(n)], 80))


LEVEL_MIN_FRAMES = 8   # ~0.25 s of an utterance before its own level is known


class EnergyEndpointer:
    """Feed fixed-size frames; get ("start", audio incl. pre-roll), ("speech", frame), ("end", frame)
    or (None, nothing). `speech_start` / `speech_end` are times (s) on the frames' own clock."""

    def __init__(self, config: EndpointConfig | None = None):
        self.c = config or EndpointConfig()
        fs = self.c.frame / self.c.rate
        self._floor_hist: deque[float] = deque(maxlen=max(10, int(self.c.floor_window_s / fs)))
        self._pre: deque[np.ndarray] = deque(maxlen=max(1, int(self.c.preroll_s / fs)) + self.c.start_frames)
        self._hang_frames = max(1, int(round(self.c.hang_s / fs)))
        self._level_hang_frames = max(1, int(round(self.c.below_level_s / fs)))
        self._short_hang_frames = max(1, int(round(self.c.short_hang_s / fs)))
        self._max_frames = int(self.c.max_utt_s / fs)
        self.in_speech = False
        self._above = 0
        self._below = 0
        self._low = 0          # frames in a row quiet or well below the utterance's own level
        self._utt_frames = 0
        self._utt_db: list[float] = []
        self._n = 0
        self.speech_start = 0.0
        self.speech_end = 0.0
        self.cut = False    # the last utterance was cut at `max_utt_s` (it never paused)
        self._wait_pause = False

    @property
    def hang_frames(self) -> int:
        return self._hang_frames

    @property
    def quiet_frames(self) -> int:
        return self._below if self.in_speech else 0

    @property
    def quiet_s(self) -> float:
        """How long the utterance in progress has been quiet (0 outside one)."""
        return self.quiet_frames * self.c.frame / self.c.rate

    def end_here(self) -> None:
        """End the utterance in progress now, before the full hang (its words are a whole
        command): `speech_end` is where the quiet began."""
        if not self.in_speech:
            return
        t_next = self._n * self.c.frame / self.c.rate
        self.speech_end = t_next - self._below * self.c.frame / self.c.rate
        self.in_speech = self.cut = self._wait_pause = False
        self._above = self._below = self._low = 0

    def _level(self) -> float:
        """The utterance's own speech level so far (dB), as speech_level_db measures it."""
        return float(np.percentile(self._utt_db, 80))

    @property
    def floor_db(self) -> float:
        if not self._floor_hist:
            return 0.0
        return float(np.percentile(self._floor_hist, 20))

    def process(self, frame: np.ndarray) -> tuple[str | None, np.ndarray]:
        t = self._n * self.c.frame / self.c.rate
        self._n += 1
        db = frame_db(frame)
        if len(self._floor_hist) < 5 and not self.in_speech:   # learn the room before listening
            self._floor_hist.append(db)
            self._pre.append(frame)
            return None, frame[:0]
        floor = self.floor_db
        loud = db > max(floor + self.c.start_db, self.c.min_speech_db)
        if not self.in_speech and self._wait_pause:
            # after a cut, the rest of that talk is no new utterance: wait for it to pause
            self._pre.append(frame)
            self._floor_hist.append(db)
            quiet = db < max(floor + self.c.end_db, self.c.min_speech_db - 3)
            self._below = self._below + 1 if quiet else 0
            self._wait_pause = self._below < self._hang_frames
            return None, frame[:0]
        if not self.in_speech:
            self._pre.append(frame)
            self._above = self._above + 1 if loud else 0
            if self._above >= self.c.start_frames:
                self.in_speech = True
                self._below = self._low = 0
                self._utt_frames = len(self._pre)
                self._utt_db = []
                self.speech_start = max(0.0, t - (len(self._pre) - 1) * self.c.frame / self.c.rate)
                audio = np.concatenate(list(self._pre))
                self._pre.clear()
                return "start", audio
            self._floor_hist.append(db)
            return None, frame[:0]
        self._utt_frames += 1
        self._utt_db.append(db)
        quiet = db < max(floor + self.c.end_db, self.c.min_speech_db - 3)
        self._below = self._below + 1 if quiet else 0
        level = self._level()   # once a frame: the percentile is this loop's dearest step
        noisy = level - floor < self.c.noisy_snr_db
        low = quiet or (noisy and len(self._utt_db) >= LEVEL_MIN_FRAMES and db < level - self.c.below_level_db)
        self._low = self._low + 1 if low else 0
        said_s = (len(self._utt_db) - self._below + self.c.start_frames) * self.c.frame / self.c.rate
        hang = self._short_hang_frames if noisy and said_s < self.c.short_s else self._hang_frames
        paused = self._below >= hang or self._low >= self._level_hang_frames
        if paused or self._utt_frames >= self._max_frames:
            self.in_speech = False
            self._above = 0
            self.cut = self._wait_pause = not paused
            # speech ended where the quiet run that ended it began
            run = self._low if paused and self._below < hang else self._below
            end_t = t + self.c.frame / self.c.rate
            self.speech_end = end_t - (run - 1) * self.c.frame / self.c.rate if run else end_t
            self._below = self._low = 0
            if self._utt_frames >= self._max_frames:
                self._floor_hist.extend(self._utt_db)   # a long "utterance" is likely louder noise
            return "end", frame
        return "speech", frame
