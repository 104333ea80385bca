"""Audio input: 16 kHz mono int16 chunks from a WAV file or a microphone, through one code path.

Both sources yield AudioChunk(t, samples); a file's `t` is its own timeline (0 at the start), a
microphone's is time.monotonic() at the chunk's first sample, so the speech side can gate the
input on the same clock. Any other rate or channel count is converted here (8 kHz, 44.1 kHz,
stereo...), so the recognizers only ever see 16 kHz mono.
"""

from __future__ import annotations

import queue
import struct
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.core.errors import CoachError

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


# WAV encodings (the fmt chunk's tag): what phones, DAWs, sox and telephony tools write.
_PCM, _FLOAT, _ALAW, _ULAW, _EXTENSIBLE = 1, 3, 6, 7, 0xFFFE
_ENCODINGS = {_PCM: (1, 2, 3, 4), _FLOAT: (4, 8), _ALAW: (1,), _ULAW: (1,)}


@dataclass(frozen=True)
class WavFormat:
    encoding: int    # _PCM, _FLOAT, _ALAW or _ULAW
    channels: int
    rate: int
    width: int       # bytes per sample

    @property
    def frame_bytes(self) -> int:
        """One sample of every channel."""
        return self.width * self.channels


def _g711(b: np.ndarray, mu: bool) -> np.ndarray:
    """G.711 mu-law / A-law bytes -> linear samples in int16 units (ITU-T G.711)."""
    if mu:
        u = ~b.astype(np.int32) & 0xFF
        exp, mant = (u >> 4) & 7, u & 0x0F
        mag = (((mant << 3) + 0x84) << exp) - 0x84
        return np.where(u & 0x80, -mag, mag).astype(np.float64)
    a = b.astype(np.int32) ^ 0x55
    exp, mant = (a >> 4) & 7, a & 0x0F
    mag = np.where(exp == 0, (mant << 4) + 8, ((mant << 4) + 0x108) << np.maximum(exp - 1, 0))
    return np.where(a & 0x80, mag, -mag).astype(np.float64)


def _decode(raw: bytes, fmt: WavFormat) -> np.ndarray:
    """Sample bytes -> float64 mono in int16 units."""
    width = fmt.width
    raw = raw[: len(raw) // fmt.frame_bytes * fmt.frame_bytes]   # a file cut mid-frame
    if fmt.encoding == _FLOAT:
        x = np.frombuffer(raw, "<f4" if width == 4 else "<f8").astype(np.float64) * 32767.0
        x = np.nan_to_num(x, nan=0.0, posinf=32767.0, neginf=-32768.0)
    elif fmt.encoding in (_ULAW, _ALAW):
        x = _g711(np.frombuffer(raw, np.uint8), fmt.encoding == _ULAW)
    elif width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) * 256.0
    elif width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float64)
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        x = v.astype(np.float64) / 256.0
    else:
        x = np.frombuffer(raw, "<i4").astype(np.float64) / 65536.0
    if fmt.channels > 1:
        x = x.reshape(-1, fmt.channels).mean(axis=1)
    return x


def _read_header(f, path) -> tuple[WavFormat, int | None]:
    """Walks the RIFF chunks to the audio data: its format and length in bytes (None: to the end
    of the file, as a recorder that was cut off before it wrote the length leaves it)."""
    head = f.read(12)
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
        raise AudioError(f"{path}: not a WAV file (no RIFF/WAVE header); convert it first, "
                         f"e.g. ffmpeg -i {path} -ac 1 -ar 16000 out.wav")
    fmt = None
    while True:
        chunk = f.read(8)
        if len(chunk) < 8:
            raise AudioError(f"{path}: a WAV file without audio data (truncated?)")
        cid, size = chunk[:4], int.from_bytes(chunk[4:], "little")
        if cid == b"data":
            if fmt is None:
                raise AudioError(f"{path}: a WAV file whose audio comes before its format")
            return fmt, None if size in (0, 0xFFFFFFFF) else size
        if cid != b"fmt ":
            f.seek(size + (size & 1), 1)
            continue
        body = f.read(size + (size & 1))
        if len(body) < 16:
            raise AudioError(f"{path}: a WAV file with a broken format chunk")
        tag, channels, rate = struct.unpack_from("<HHI", body)
        bits = struct.unpack_from("<H", body, 14)[0]
        if tag == _EXTENSIBLE and len(body) >= 26:
            tag = struct.unpack_from("<H", body, 24)[0]   # the sub-format GUID begins with the tag
        width = (bits + 7) // 8
        if tag not in _ENCODINGS or width not in _ENCODINGS[tag] or channels < 1 or rate < 4000:
            raise AudioError(f"{path}: unsupported WAV encoding (format {tag}, {bits}-bit, {rate} Hz); "
                             "PCM, float, mu-law and A-law WAVs are read (convert it first, e.g. with sox or ffmpeg)")
        fmt = WavFormat(tag, channels, rate, width)


def wav_chunks(path: str | Path, chunk_s: float = CHUNK_S) -> Iterator[AudioChunk]:
    """The WAV file as 16 kHz mono chunks on its own timeline; AudioError for anything else.

    Any rate, channel count and sample encoding a WAV commonly holds (PCM 8-32 bit, float,
    G.711, the extensible header); a file cut short gives the audio it holds."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioError(f"{path}: is a directory, not a WAV file") from None
    except OSError as e:
        raise AudioError(f"{path}: cannot be read ({e.strerror or e})") from None
    with f:
        fmt, left = _read_header(f, path)
        res = Resampler(fmt.rate)
        per_read = max(1, int(fmt.rate * chunk_s)) * fmt.frame_bytes
        emitted = 0
        while True:
            want = per_read if left is None else min(per_read, left)
            raw = f.read(want)
            if left is not None:
                left -= len(raw)
            final = len(raw) < per_read or left == 0
            y = res.process(_decode(raw, fmt), final=final)
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
