"""Landmark traces: JSON Lines (plain or gzip), a `meta` line then one frame a line.

Reading streams frame by frame, so an hour-long trace never sits in memory. Values that are not
finite or far out of range become missing (NaN) rather than errors: MediaPipe output is noisy,
and one bad number must not end a workout. Structural problems (bad JSON, wrong landmark count,
no meta) raise TraceError naming the file and line.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
from collections.abc import Iterator
from typing import IO

import numpy as np

from coach.core.datafile import unreadable
from coach.core.errors import CoachError
from coach.core.frames import Frame, TraceMeta
from coach.core.landmarks import NUM_LANDMARKS

# x and y are normalised to the image; a point a little outside the frame is legal, a point
# ten frames away is garbage.
_COORD_LIMIT = 4.0


class TraceError(CoachError):
    """A trace that cannot be read. str() is one sentence naming the file and line."""


def _open_text(path: str) -> IO[str]:
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def _parse_meta(obj: object, where: str) -> TraceMeta:
    if not isinstance(obj, dict) or not isinstance(obj.get("meta"), dict):
        raise TraceError(f"{where}: the first line must be a meta object like "
                         '{"meta": {"width": 1280, "height": 720, ...}}')
    meta = obj["meta"]
    try:
        width, height = int(meta["width"]), int(meta["height"])
    except (KeyError, TypeError, ValueError):
        raise TraceError(f"{where}: meta needs integer 'width' and 'height'") from None
    if width <= 0 or height <= 0:
        raise TraceError(f"{where}: meta width and height must be positive")
    fps = meta.get("fps")
    fps = float(fps) if isinstance(fps, (int, float)) and fps > 0 else None
    return TraceMeta(width, height, fps, str(meta.get("source", "")))


def parse_landmarks(value: object, where: str) -> np.ndarray | None:
    """33 x [x, y, z, visibility] -> (33, 4) float array; bad numbers become NaN."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != NUM_LANDMARKS:
        n = len(value) if isinstance(value, list) else type(value).__name__
        raise TraceError(f"{where}: expected {NUM_LANDMARKS} landmarks, got {n}")
    out = np.full((NUM_LANDMARKS, 4), np.nan)
    for i, point in enumerate(value):
        if point is None:
            continue
        if not isinstance(point, list) or not 3 <= len(point) <= 4:
            raise TraceError(f"{where}: landmark {i} must be [x, y, z, visibility]")
        try:
            row = [float(v) if v is not None else math.nan for v in point]
        except (TypeError, ValueError):
            raise TraceError(f"{where}: landmark {i} holds a value that is not a number") from None
        if len(row) == 3:
            row.append(1.0)
        x, y, z, vis = row
        if not (math.isfinite(x) and math.isfinite(y)) or abs(x) > _COORD_LIMIT or abs(y) > _COORD_LIMIT:
            continue  # the point is missing
        out[i, 0], out[i, 1] = x, y
        out[i, 2] = z if math.isfinite(z) else 0.0
        out[i, 3] = min(max(vis, 0.0), 1.0) if math.isfinite(vis) else 0.0
    if np.isnan(out[:, 0]).all():
        return None
    return out


class TraceReader:
    """Streams a trace: `meta` is read on open, iterate for frames.

    Frames whose time does not advance are dropped (a recorder hiccup, not a reason to stop)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = os.fspath(path)
        try:
            self._fh = _open_text(self.path)
        except OSError as e:
            raise TraceError(unreadable(self.path, e, "trace")) from None
        self._line_no = 0
        first = self._next_line()
        if first is None:
            self.close()
            raise TraceError(f"{self.path}: the file is empty")
        self.meta = _parse_meta(self._load(first), self._where())

    def _where(self) -> str:
        return f"{self.path}, line {self._line_no}"

    def _next_line(self) -> str | None:
        while True:
            try:
                line = self._fh.readline()
            except (EOFError, gzip.BadGzipFile, OSError, UnicodeDecodeError) as e:
                raise TraceError(f"{self.path}, line {self._line_no + 1}: the file is corrupt or "
                                 f"truncated ({e})") from None
            if not line:
                return None
            self._line_no += 1
            if line.strip():
                return line

    def _load(self, line: str) -> object:
        try:
            return json.loads(line)
        except json.JSONDecodeError as e:
            what = "is cut off (truncated file?)" if not line.endswith("\n") else f"is not valid JSON ({e.msg})"
            raise TraceError(f"{self._where()}: the line {what}") from None

    def __iter__(self) -> Iterator[Frame]:
        last_t = -math.inf
        while (line := self._next_line()) is not None:
            obj = self._load(line)
            if not isinstance(obj, dict) or "t" not in obj:
                raise TraceError(f"{self._where()}: a frame needs a time 't' and 'landmarks'")
            t = obj["t"]
            if not isinstance(t, (int, float)) or not math.isfinite(t):
                raise TraceError(f"{self._where()}: 't' must be a finite number of seconds")
            landmarks = parse_landmarks(obj.get("landmarks"), self._where())
            if t <= last_t:
                continue
            last_t = float(t)
            yield Frame(float(t), landmarks)
        self.close()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> TraceReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_trace(path: str | os.PathLike[str]) -> tuple[TraceMeta, Iterator[Frame]]:
    reader = TraceReader(path)
    return reader.meta, iter(reader)


def _fmt_point(p: np.ndarray) -> list[float] | None:
    if not np.isfinite(p[0]) or not np.isfinite(p[1]):
        return None
    return [round(float(p[0]), 4), round(float(p[1]), 4), round(float(p[2]) if np.isfinite(p[2]) else 0.0, 3),
            round(float(p[3]) if np.isfinite(p[3]) else 0.0, 2)]


class TraceWriter:
    """Writes a trace line by line, flushing each frame so a killed process keeps what it wrote.
    A path ending in .gz is gzip-compressed."""

    def __init__(self, path: str | os.PathLike[str], meta: TraceMeta):
        self.path = os.fspath(path)
        # open for the writer's lifetime: close() (or the with block) closes it
        if self.path.endswith(".gz"):
            self._fh: IO[str] = io.TextIOWrapper(gzip.open(self.path, "wb"), encoding="utf-8")  # noqa: SIM115
        else:
            self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - see above
        m: dict[str, object] = {"width": meta.width, "height": meta.height,
                                "landmarks": "mediapipe_pose_33"}
        if meta.fps:
            m["fps"] = meta.fps
        if meta.source:
            m["source"] = meta.source
        self._write({"meta": m})

    def _write(self, obj: object) -> None:
        self._fh.write(json.dumps(obj, separators=(",", ":")) + "\n")
        self._fh.flush()

    def write(self, frame: Frame) -> None:
        lms = None if frame.landmarks is None else [_fmt_point(p) for p in frame.landmarks]
        self._write({"t": round(frame.t, 4), "landmarks": lms})

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
