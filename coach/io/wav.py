"""WAV files in and out, and sample-rate conversion: the one place the project does either.

    samples, rate = read_wav(path)            # int16 mono at the file's own rate
    samples, _ = read_wav(path, 16000)        # ... converted to 16 kHz
    write_wav(path, samples, rate)            # int16 PCM, mono or (n, channels)
    y = resample(x, 22050, 16000)             # a whole signal; Resampler streams

Reading takes what phones, DAWs, sox and telephony tools write: PCM 8-32 bit, float, mu-law and
A-law, any channel count (mixed down to mono), the extensible header, and a file cut short (the
audio it holds). Anything else is a WavError with one sentence for the user.

Samples are int16, or float64 in int16 units (-32768..32767) inside the pipeline; speech engines
give floats in [-1, 1]: `unit_to_int16` converts those. Plain numpy, so the Raspberry Pi needs
no scipy.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from coach.core.datafile import unreadable
from coach.core.errors import CoachError

Source = str | os.PathLike[str] | BinaryIO


class WavError(CoachError):
    """A WAV file that cannot be read: str() is one sentence for the user."""


# --- sample conversion -------------------------------------------------------------------------

def to_int16(x: np.ndarray) -> np.ndarray:
    """Samples in int16 units (float or int) -> int16, rounded and clipped."""
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def unit_to_int16(x: np.ndarray) -> np.ndarray:
    """Samples in [-1, 1] (what the speech engines give) -> int16, clipped."""
    return to_int16(np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0) * 32767.0)


class Resampler:
    """Streaming band-limited resampling (Hann-windowed sinc), stateful across chunks.

    The low-pass sits at 95 % of the lower of the two Nyquist frequencies, so downsampling does
    not alias; 16 taps a side is plenty for speech. Output sample 0 is input sample 0 (no delay).
    `process(x)` returns what the input so far determines; `final=True` flushes the rest."""

    def __init__(self, rate_in: int, rate_out: int, half_taps: int = 16):
        self.rate_in, self.rate_out, self.k = rate_in, rate_out, half_taps
        self.step = rate_in / rate_out
        self.cutoff = min(1.0, rate_out / rate_in) * 0.95   # of the input Nyquist
        self._buf = np.zeros(half_taps, dtype=np.float64)   # history (left padding)
        self._pos = float(half_taps)                        # next output position in _buf

    def process(self, x: np.ndarray, final: bool = False) -> np.ndarray:
        if self.rate_in == self.rate_out:
            return np.asarray(x, dtype=np.float64)
        buf = np.concatenate([self._buf, np.asarray(x, dtype=np.float64)])
        if final:
            buf = np.concatenate([buf, np.zeros(self.k + 1)])
        last = len(buf) - self.k - 1          # the latest centre with a full right side
        if self._pos > last:
            self._buf = buf
            return np.zeros(0)
        pos = np.arange(self._pos, last + 1e-9, self.step)
        out = np.empty(len(pos))
        offs = np.arange(-self.k + 1, self.k + 1)
        for s in range(0, len(pos), 8192):   # bounded memory on long files
            p = pos[s:s + 8192]
            base = np.floor(p).astype(np.int64)
            idx = base[:, None] + offs[None, :]
            d = p[:, None] - idx
            w = self.cutoff * np.sinc(self.cutoff * d) * (0.5 + 0.5 * np.cos(np.pi * d / (self.k + 1)))
            out[s:s + 8192] = (buf[idx] * w).sum(axis=1)
        next_pos = pos[-1] + self.step
        drop = int(np.floor(next_pos)) - self.k
        self._buf = buf[drop:]
        self._pos = next_pos - drop
        return out


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """A whole signal at another rate (float64, same units); the input itself if the rates match."""
    return Resampler(rate_in, rate_out).process(x, final=True)


# --- reading ---------------------------------------------------------------------------------

# WAV encodings (the fmt chunk's tag)
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


def _read_header(f: BinaryIO, name: str) -> tuple[WavFormat, int | None]:
    """Walks the RIFF chunks to the audio data: its format and length in bytes (None: to the end
    of the file, as a recorder that was cut off before it wrote the length leaves it)."""
    head = f.read(12)
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
        raise WavError(f"{name}: not a WAV file (no RIFF/WAVE header); convert it first, "
                       f"e.g. ffmpeg -i {name} -ac 1 -ar 16000 out.wav")
    fmt = None
    while True:
        chunk = f.read(8)
        if len(chunk) < 8:
            raise WavError(f"{name}: a WAV file without audio data (truncated?)")
        cid, size = chunk[:4], int.from_bytes(chunk[4:], "little")
        if cid == b"data":
            if fmt is None:
                raise WavError(f"{name}: a WAV file whose audio comes before its format")
            return fmt, None if size in (0, 0xFFFFFFFF) else size
        if cid != b"fmt ":
            f.read(size + (size & 1))   # read, not seek: a pipe or a gzip stream cannot seek
            continue
        body = f.read(size + (size & 1))
        if len(body) < 16:
            raise WavError(f"{name}: a WAV file with a broken format chunk")
        tag, channels, rate = struct.unpack_from("<HHI", body)
        bits = struct.unpack_from("<H", body, 14)[0]
        if tag == _EXTENSIBLE and len(body) >= 26:
            tag = struct.unpack_from("<H", body, 24)[0]   # the sub-format GUID begins with the tag
        width = (bits + 7) // 8
        if tag not in _ENCODINGS or width not in _ENCODINGS[tag] or channels < 1 or rate < 4000:
            raise WavError(f"{name}: unsupported WAV encoding (format {tag}, {bits}-bit, {rate} Hz); "
                           "PCM, float, mu-law and A-law WAVs are read (convert it first, e.g. with sox or ffmpeg)")
        fmt = WavFormat(tag, channels, rate, width)


def _open(source: Source) -> tuple[BinaryIO, str, bool]:
    """(binary file, name for messages, whether we opened it and so close it)."""
    if not isinstance(source, (str, os.PathLike)):
        return source, str(getattr(source, "name", "WAV data")), False
    name = os.fspath(source)
    try:
        return open(name, "rb"), name, True   # noqa: SIM115 - closed by the caller (wav_blocks)
    except OSError as e:
        raise WavError(unreadable(name, e, "WAV file")) from None


def wav_format(source: Source) -> WavFormat:
    """The format of a WAV file's audio (rate, channels, encoding) without reading the audio."""
    f, name, owned = _open(source)
    try:
        return _read_header(f, name)[0]
    finally:
        if owned:
            f.close()


def _blocks(f: BinaryIO, name: str, rate: int | None, block_s: float) -> tuple[WavFormat, Iterator[np.ndarray]]:
    """The format (read now, so a bad header raises here) and a generator of the audio's blocks."""
    fmt, left = _read_header(f, name)
    res = Resampler(fmt.rate, rate or fmt.rate)
    per_read = max(1, int(fmt.rate * block_s)) * fmt.frame_bytes

    def blocks(left: int | None) -> Iterator[np.ndarray]:
        while True:
            want = per_read if left is None else min(per_read, left)
            try:
                raw = f.read(want)
            except (OSError, EOFError) as e:   # a disk error; a corrupt or cut gzip stream
                raise WavError(f"{name}: cannot be read ({e})") from None
            if left is not None:
                left -= len(raw)
            final = len(raw) < per_read or left == 0
            yield res.process(_decode(raw, fmt), final=final)
            if final:
                return

    return fmt, blocks(left)


def wav_blocks(source: Source, rate: int | None = None, block_s: float = 0.03) -> Iterator[np.ndarray]:
    """The audio as mono float64 blocks in int16 units, at `rate` (None: the file's own), about
    `block_s` long each (some may be empty while the resampler fills). WavError, on the first
    block, for anything that is not a readable WAV. `source` is a path or a binary file object
    (left open)."""
    f, name, owned = _open(source)
    try:
        yield from _blocks(f, name, rate, block_s)[1]
    finally:
        if owned:
            f.close()


def read_wav(source: Source, rate: int | None = None) -> tuple[np.ndarray, int]:
    """A whole WAV file as (int16 mono samples, their rate): at `rate`, or the file's own rate."""
    f, name, owned = _open(source)
    try:
        fmt, blocks = _blocks(f, name, rate, block_s=5.0)
        parts = [to_int16(b) for b in blocks]
    finally:
        if owned:
            f.close()
    return (np.concatenate(parts) if parts else np.zeros(0, np.int16)), rate or fmt.rate


# --- writing ---------------------------------------------------------------------------------

def _wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """int16 samples, shape (n,) or (n, channels), as the bytes of a 16-bit PCM WAV file."""
    pcm = np.asarray(samples)
    if pcm.dtype != np.int16:
        raise TypeError(f"write_wav takes int16 samples, not {pcm.dtype} "
                        "(convert with to_int16 from int16 units or unit_to_int16 from [-1, 1])")
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]
    data = pcm.astype("<i2").tobytes()
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE",
                         b"fmt ", 16, _PCM, channels, rate, rate * 2 * channels, 2 * channels, 16,
                         b"data", len(data))
    return header + data


def write_wav(dest: str | os.PathLike[str] | BinaryIO, samples: np.ndarray, rate: int) -> None:
    """Writes int16 samples, shape (n,) or (n, channels), as a 16-bit PCM WAV; OSError if the
    file cannot be written. `dest` is a path or a binary file object (left open)."""
    data = _wav_bytes(samples, rate)
    if isinstance(dest, (str, os.PathLike)):
        with open(os.fspath(dest), "wb") as fh:
            fh.write(data)
    else:
        dest.write(data)
