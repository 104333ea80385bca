"""Where samples go: a sound card through sounddevice, or a null device (benchmarks, no card).

`open_output` checks for a usable output device itself, because the failure modes otherwise are
silent (pyttsx3's say() shells out to aplay and ignores its error) or a PortAudio traceback.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)


class NoAudioOutput(Exception):
    """No usable speaker. str() is one sentence for the user."""


class AudioOutput(Protocol):
    sample_rate: int

    def write(self, block: np.ndarray) -> None:
        """Queue mono float32 samples for playback; returns once the device has room (paced)."""
        ...

    def close(self) -> None: ...


class SoundDeviceOutput:
    def __init__(self, sample_rate: int, device: int | str | None = None, latency: str = "low"):
        try:
            import sounddevice as sd
        except OSError as e:  # PortAudio itself is missing
            raise NoAudioOutput(f"no audio output: {e} (install libportaudio2)") from None
        try:
            info = sd.query_devices(device, kind="output")
            sd.check_output_settings(device=device, channels=1, dtype="float32",
                                     samplerate=sample_rate)
            self._stream = sd.OutputStream(samplerate=sample_rate, channels=1, dtype="float32",
                                           device=device, latency=latency)
            self._stream.start()
        except (sd.PortAudioError, ValueError) as e:
            raise NoAudioOutput(f"no usable audio output device ({e})") from None
        self.sample_rate = sample_rate
        self.name = str(info.get("name", device)) if isinstance(info, dict) else str(device)

    def write(self, block: np.ndarray) -> None:
        self._stream.write(np.ascontiguousarray(block, np.float32).reshape(-1, 1))

    def close(self) -> None:
        try:
            self._stream.abort()
            self._stream.close()
        except Exception as e:  # noqa: BLE001 - closing a dead device must not end the workout
            log.warning("closing the audio output failed: %r", e)


class NullOutput:
    """Discards samples. With `paced`, takes as long as a real device would to play them, so a
    speaker thread behaves as in a gym (used to measure its cost on the analysis loop)."""

    def __init__(self, sample_rate: int, paced: bool = True):
        self.sample_rate, self.paced = sample_rate, paced
        self.samples_written = 0
        self._next: float | None = None

    def write(self, block: np.ndarray) -> None:
        self.samples_written += len(block)
        if not self.paced:
            return
        now = time.monotonic()
        self._next = max(self._next or now, now) + len(block) / self.sample_rate
        # a device buffers ~one block ahead: wait only for the one before
        delay = self._next - now - len(block) / self.sample_rate
        if delay > 0:
            time.sleep(delay)

    def close(self) -> None:
        pass


def open_output(sample_rate: int, device: int | str | None = None) -> AudioOutput:
    """The default (or named) sound card. Raises NoAudioOutput with one clear sentence."""
    return SoundDeviceOutput(sample_rate, device)
