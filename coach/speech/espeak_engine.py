"""espeak-ng through pyttsx3's ctypes binding (pyttsx3.drivers._espeak), rendered in memory.

Why not `pyttsx3.init().save_to_file()`: pyttsx3 2.99's espeak driver prints "Audio saved to ..."
on stdout at every save (breaking `--json`), writes a temporary WAV, and polls its loop with
10 ms sleeps. Calling the same libespeak-ng binding in synchronous mode with our own callback
gives the samples directly in a few milliseconds and keeps stdout clean.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from coach.speech.engine import DEFAULT_RATE_WPM, TtsError, trim_silence

# libespeak-ng is one global state per process: one initialisation, one synthesis at a time.
_LOCK = threading.Lock()
_SAMPLE_RATE: int | None = None


def _espeak():
    try:
        from pyttsx3.drivers import _espeak  # loads libespeak-ng.so via ctypes
    except (ImportError, OSError) as e:
        raise TtsError(f"espeak-ng is not available ({e}); install the espeak-ng package") from None
    return _espeak


def _initialise(E) -> int:
    global _SAMPLE_RATE
    if _SAMPLE_RATE is None:
        rate = E.Initialize(E.AUDIO_OUTPUT_SYNCHRONOUS, 100)
        if rate <= 0:
            raise TtsError("espeak-ng could not be initialised (is espeak-ng-data installed?)")
        _SAMPLE_RATE = int(rate)
        try:  # stop a later pyttsx3.init() in this process from initialising espeak twice
            from pyttsx3.drivers.espeak import EspeakDriver
            EspeakDriver._moduleInitialized = True
        except Exception as e:  # noqa: BLE001 - only a courtesy to pyttsx3
            logging.getLogger(__name__).debug("could not mark pyttsx3's espeak driver initialised: %r", e)
    return _SAMPLE_RATE


class EspeakEngine:
    name = "espeak"

    def __init__(self, voice: str = "en-us", rate_wpm: int = DEFAULT_RATE_WPM):
        self._E = _espeak()
        self.voice, self.rate_wpm = voice, int(rate_wpm)
        self._chunks: list[np.ndarray] = []
        # keep a reference: ctypes callbacks that are garbage-collected crash the process
        self._callback = self._on_synth
        with _LOCK:
            self.sample_rate = _initialise(self._E)
            self._select()

    def _select(self) -> None:
        E = self._E
        if E.SetVoiceByName(self.voice.encode("utf-8")) != 0:
            raise TtsError(f"espeak-ng has no voice {self.voice!r} (try en-us, en-gb, en)")
        E.SetParameter(E.RATE, self.rate_wpm, 0)
        E.SetParameter(E.VOLUME, 100, 0)

    def _on_synth(self, wav, numsamples, events) -> int:
        if numsamples > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(numsamples,)).copy())
        return 0

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        E = self._E
        with _LOCK:
            E.SetSynthCallback(self._callback)
            self._select()  # another EspeakEngine may have changed voice or rate
            self._chunks = []
            result = E.Synth(text.encode("utf-8"), flags=E.ENDPAUSE | E.CHARS_UTF8)
            chunks, self._chunks = self._chunks, []
        if result != 0:
            raise TtsError(f"espeak-ng failed to speak (error {result})")
        if not chunks:
            return np.zeros(0, np.float32), self.sample_rate
        samples = np.concatenate(chunks).astype(np.float32) / 32768.0
        return trim_silence(samples, self.sample_rate), self.sample_rate


def available_voices() -> list[str]:
    E = _espeak()
    with _LOCK:
        _initialise(E)
        return sorted(v.identifier.decode("utf-8") for v in E.ListVoices(None))

