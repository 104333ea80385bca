"""Audio input: 16 kHz mono int16 chunks from a WAV file or a microphone, through one code path.

Both sources yield AudioChunk(t, samples); a file's `t` is its own timeline (0 at the start), a
microphone's is time.monotonic() at the chunk's first sample, so the speech side can gate the
input on the same clock. Any other rate or channel count is converted here (8 kHz, 44.1 kHz,
stereo...), so the recognizers only ever see 16 kHz mono.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.core.errors import CoachError
from coach.io.wav import Resampler, WavError, to_int16, wav_blocks

log = logging.getLogger(__name__)

RATE = 16000
CHUNK_S = 0.03   # 30 ms blocks (one endpointer frame): a command is ready as soon as the endpointer fires


class AudioError(CoachError):
    """Audio that cannot be read, or a microphone that cannot be used: str() is one sentence."""


class DeviceLost(AudioError):
    """The microphone stopped delivering audio (unplugged, or taken by another program)."""


@dataclass(frozen=True)
class AudioChunk:
    t: float              # time of the first sample (s)
    samples: np.ndarray   # int16, mono, RATE Hz


def wav_chunks(path: str | Path, chunk_s: float = CHUNK_S) -> Iterator[AudioChunk]:
    """The WAV file as 16 kHz mono chunks on its own timeline; AudioError if it cannot be read.

    Any rate, channel count and sample encoding a WAV commonly holds (coach.io.wav reads it);
    a file cut short gives the audio it holds."""
    emitted = 0
    try:
        for block in wav_blocks(path, RATE, chunk_s):
            if len(block):
                yield AudioChunk(emitted / RATE, to_int16(block))
                emitted += len(block)
    except WavError as e:
        raise AudioError(str(e)) from None


def array_chunks(samples: np.ndarray, chunk_s: float = CHUNK_S, t0: float = 0.0) -> Iterator[AudioChunk]:
    """16 kHz mono samples already in memory, chunked like a file (benchmarks, tests)."""
    n = int(RATE * chunk_s)
    for i in range(0, len(samples), n):
        yield AudioChunk(t0 + i / RATE, np.asarray(samples[i:i + n], dtype=np.int16))


# --- microphone ------------------------------------------------------------------------------

def resolve_device(device: str | int | None) -> int | None:
    """A sounddevice input index from an index or (part of) a name; AudioError if there is none."""
    import sounddevice as sd
    try:
        devices = sd.query_devices()
    except sd.PortAudioError as e:  # PortAudio without any device raises here
        raise AudioError(f"no audio devices found ({e})") from None
    inputs = [i for i, d in enumerate(devices) if d["max_input_channels"] > 0]
    if not inputs:
        raise AudioError("no microphone found (no audio input device)")
    if device is None:
        try:
            default = sd.query_devices(kind="input")
            return int(default["index"])
        except (sd.PortAudioError, ValueError) as e:  # no default input device is set
            log.debug("no default microphone (%s); using the first input", e)
            return inputs[0]
    if isinstance(device, int) or str(device).isdigit():
        i = int(device)
        if i not in inputs:
            raise AudioError(f"audio device {i} is not a microphone (inputs: {', '.join(map(str, inputs))})")
        return i
    matches = [i for i in inputs if str(device).lower() in devices[i]["name"].lower()]
    if not matches:
        names = "; ".join(devices[i]["name"] for i in inputs)
        raise AudioError(f"no microphone named '{device}' (found: {names})")
    return matches[0]


def mic_chunks(device: str | int | None = None, chunk_s: float = CHUNK_S,
               lost_after_s: float = 2.0) -> Iterator[AudioChunk]:
    """Live microphone chunks at 16 kHz mono; raises DeviceLost when audio stops arriving."""
    import sounddevice as sd
    index = resolve_device(device)
    info = sd.query_devices(index)
    rate = RATE
    try:
        sd.check_input_settings(device=index, channels=1, dtype="int16", samplerate=RATE)
    except (sd.PortAudioError, ValueError):
        rate = int(info["default_samplerate"])   # the device cannot do 16 kHz: resample
    res = Resampler(rate, RATE)
    q: queue.Queue = queue.Queue(maxsize=200)

    def callback(indata, frames, time_info, status):  # PortAudio's thread: copy and hand over
        # the consumer stalled when the queue is full: dropping audio beats growing without bound
        with contextlib.suppress(queue.Full):
            q.put_nowait((time.monotonic() - frames / rate, indata[:, 0].copy()))

    try:
        stream = sd.InputStream(device=index, channels=1, samplerate=rate, dtype="int16",
                                blocksize=int(rate * chunk_s), callback=callback)
        stream.start()
    except (sd.PortAudioError, ValueError) as e:
        raise AudioError(f"cannot open microphone '{info['name']}' ({e})") from None
    try:
        while True:
            try:
                t, x = q.get(timeout=lost_after_s)
            except queue.Empty:
                raise DeviceLost(f"microphone '{info['name']}' stopped delivering audio") from None
            y = res.process(x)
            if len(y):
                yield AudioChunk(t, to_int16(y))
    finally:
        try:  # both ignore PortAudio's errors by default; a stream already gone is fine
            stream.abort()
            stream.close()
        except sd.PortAudioError as e:
            log.debug("closing the microphone stream failed: %s", e)
