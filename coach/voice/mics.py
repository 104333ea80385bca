"""Microphones for the runtime: a WAV file on the session's timeline, or a live input device.
Each yields AudioChunks timed on the session's timeline."""

from __future__ import annotations

import time
from collections.abc import Iterator

from coach.core.errors import DeviceMissing
from coach.voice.audio import AudioChunk, AudioError, mic_chunks, resolve_device, wav_chunks


class WavMic:
    """A WAV file played as the microphone, on the session's timeline (+ offset)."""

    def __init__(self, path: str, offset_s: float = 0.0):
        self.path, self.offset_s = path, offset_s
        try:
            self._chunks = wav_chunks(path)
            first = next(self._chunks, None)
        except AudioError as e:
            raise DeviceMissing(str(e)) from None
        if first is None:
            raise DeviceMissing(f"{path}: the WAV file holds no audio")
        self._first = first

    def chunks(self) -> Iterator[AudioChunk]:
        for c in self._iter():
            yield AudioChunk(c.t + self.offset_s, c.samples)

    def _iter(self) -> Iterator[AudioChunk]:
        yield self._first
        yield from self._chunks


class LiveMic:
    """A live input device, its chunks timed on the session's timeline (the camera's t0)."""

    realtime_source = True

    def __init__(self, device: str | int | None = None, t0_monotonic: float | None = None):
        try:
            resolve_device(device)  # says what is missing: no device, no input, no such name
        except (AudioError, OSError) as e:  # OSError: PortAudio itself cannot be loaded
            raise DeviceMissing(str(e)) from None
        self.device = device
        self.t0_monotonic = t0_monotonic if t0_monotonic is not None else time.monotonic()

    def chunks(self) -> Iterator[AudioChunk]:
        for c in mic_chunks(self.device):
            yield AudioChunk(c.t - self.t0_monotonic, c.samples)
