"""Audio input: 16 kHz mono int16 chunks from a WAV file or a microphone, through one code path.

Both sources yield AudioChunk(t, samples); a file's `t` is its own timeline (0 at the start), a
microphone's is time.monotonic() at the chunk's first sample, so the speech side can gate the
input on the same clock. Any other rate or channel count is converted here (8 kHz, 44.1 kHz,
stereo...), so the recognizers only ever see 16 kHz mono.
"""

from __future__ import annotations

import queue
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

RATE = 16000
CHUNK_S = 0.03   # 30 ms blocks (one endpointer frame): a command is ready as soon as the endpointer fires


class AudioError(Exception):
    """Audio that cannot be read, or a microphone that cannot be used: str() is one sentence."""


class DeviceLost(AudioError):
    """The microphone stopped delivering audio (unplugged, or taken by another program)."""


@dataclass(frozen=True)
class AudioChunk:
    t: float              # time of the first sample (s)
    samples: np.ndarray   # int16, mono, RATE Hz


class Resampler:
    """Streaming band-limited resampling (windowed sinc), stateful across chunks.

    Plain numpy so the Raspberry Pi needs no scipy; 16 taps a side is plenty for speech."""

    def __init__(self, rate_in: int, rate_out: int = RATE, half_taps: int = 16):
        self.rate_in, self.rate_out, self.k = rate_in, rate_out, half_taps
        self.step = rate_in / rate_out
        self.cutoff = min(1.0, rate_out / rate_in) * 0.95   # of the input Nyquist
        self._buf = np.zeros(half_taps, dtype=np.float64)   # history (left padding)
        self._pos = float(half_taps)                        # next output position in _buf

    def process(self, x: np.ndarray, final: bool = False) -> np.ndarray:
        if self.rate_in == self.rate_out:
            return x.astype(np.float64)
        buf = np.concatenate([self._buf, x.astype(np.float64)])
        if final:
            buf = np.concatenate([buf, np.zeros(self.k + 1)])
        last = len(buf) - self.k - 1          # the latest centre with a full right side
        if self._pos > last:
            self._buf = buf
            return np.zeros(0)
        pos = np.arange(self._pos, last + 1e-9, self.step)
        out = np.empty(len(pos))
        for s in range(0, len(pos), 8192):   # bounded memory on long files
            p = pos[s:s + 8192]
            base = np.floor(p).astype(np.int64)
            offs = np.arange(-self.k + 1, self.k + 1)
            idx = base[:, None] + offs[None, :]
            d = p[:, None] - idx
            w = self.cutoff * np.sinc(self.cutoff * d) * (0.5 + 0.5 * np.cos(np.pi * d / (self.k + 1)))
            out[s:s + 8192] = (buf[idx] * w).sum(axis=1)
        next_pos = pos[-1] + self.step
        drop = int(np.floor(next_pos)) - self.k
        self._buf = buf[drop:]
        self._pos = next_pos - drop
        return out


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def _decode_pcm(raw: bytes, width: int, channels: int) -> np.ndarray:
    """PCM bytes -> float64 mono in int16 units."""
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) * 256.0
    elif width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float64)
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        x = v.astype(np.float64) / 256.0
    elif width == 4:
        x = np.frombuffer(raw, "<i4").astype(np.float64) / 65536.0
    else:
        raise ValueError(width)
    if channels > 1:
        x = x[: len(x) // channels * channels].reshape(-1, channels).mean(axis=1)
    return x


def wav_chunks(path: str | Path, chunk_s: float = CHUNK_S) -> Iterator[AudioChunk]:
    """The WAV file as 16 kHz mono chunks on its own timeline; AudioError for anything else."""
    try:
        w = wave.open(str(path), "rb")
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioError(f"{path}: is a directory, not a WAV file") from None
    except (wave.Error, EOFError) as e:
        raise AudioError(f"{path}: not a PCM WAV file ({e})") from None
    with w:
        rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
        if width not in (1, 2, 3, 4) or rate < 4000 or channels < 1:
            raise AudioError(f"{path}: unsupported WAV format ({width * 8}-bit, {rate} Hz)")
        res = Resampler(rate)
        per_read = max(1, int(rate * chunk_s))
        emitted = 0
        while True:
            raw = w.readframes(per_read)
            final = len(raw) < per_read * width * channels
            y = res.process(_decode_pcm(raw, width, channels), final=final)
            if len(y):
                yield AudioChunk(emitted / RATE, to_int16(y))
                emitted += len(y)
            if final:
                return


def read_wav(path: str | Path) -> np.ndarray:
    """A whole WAV file as 16 kHz mono int16."""
    parts = [c.samples for c in wav_chunks(path, chunk_s=5.0)]
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def write_wav(path: str | Path, samples: np.ndarray, rate: int = RATE) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(to_int16(np.asarray(samples, dtype=np.float64)).tobytes())


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
    except Exception as e:  # PortAudio without any device raises here
        raise AudioError(f"no audio devices found ({e})") from None
    inputs = [i for i, d in enumerate(devices) if d["max_input_channels"] > 0]
    if not inputs:
        raise AudioError("no microphone found (no audio input device)")
    if device is None:
        try:
            default = sd.query_devices(kind="input")
            return int(default["index"])
        except Exception:
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
    except Exception:
        rate = int(info["default_samplerate"])   # the device cannot do 16 kHz: resample
    res = Resampler(rate)
    q: queue.Queue = queue.Queue(maxsize=200)

    def callback(indata, frames, time_info, status):  # PortAudio's thread: copy and hand over
        try:
            q.put_nowait((time.monotonic() - frames / rate, indata[:, 0].copy()))
        except queue.Full:
            pass  # the consumer stalled: dropping audio beats growing without bound

    try:
        stream = sd.InputStream(device=index, channels=1, samplerate=rate, dtype="int16",
                                blocksize=int(rate * chunk_s), callback=callback)
        stream.start()
    except Exception as e:
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
        try:
            stream.abort()
            stream.close()
        except Exception:
            pass
