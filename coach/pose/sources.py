"""Frame sources behind one small interface: iterate for (t seconds, BGR image); `.width`,
`.height`, `.fps` (None when unknown).

- VideoFileSource: a video file through OpenCV; `t` is the frame's own presentation time.
- CameraSource: a live camera; a reader thread keeps only the newest frame, so a slow analysis
  loop drops stale frames instead of falling further and further behind.
- ImageSequenceSource: a directory or glob of images played at a given fps.
A source that breaks mid-way yields what it had and then raises PoseSourceError.
OpenCV is imported lazily so importing coach.pose stays cheap.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import math
import os
import queue
import threading
import time
from collections.abc import Iterator
from typing import Protocol

import numpy as np

from coach.pose.errors import PoseSourceError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")

# Leading bytes of the containers a camera or phone writes: a file that starts like this but will
# not decode is a broken video, anything else is not a video at all.
_VIDEO_SIGNATURES = ((0, b"RIFF"), (4, b"ftyp"), (0, b"\x1a\x45\xdf\xa3"), (0, b"\x00\x00\x01\xba"),
                     (0, b"\x47"), (4, b"moov"), (4, b"mdat"), (4, b"free"), (4, b"wide"), (0, b"FLV"),
                     (0, b"OggS"), (0, b"\x30\x26\xb2\x75"))


class FrameSource(Protocol):
    width: int
    height: int
    fps: float | None

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]: ...

    def close(self) -> None: ...


def _cv2():
    # FFmpeg's own complaints ("moov atom not found", "overread 8") would follow our one sentence;
    # read by OpenCV when its FFmpeg back end starts. A user's own setting wins.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    import cv2
    return cv2


@contextlib.contextmanager
def _opencv_quiet() -> Iterator[None]:
    """OpenCV warns on stderr when a file or camera will not open; we say it in one sentence."""
    cv2 = _cv2()
    level = cv2.getLogLevel()
    cv2.setLogLevel(0)  # silent
    try:
        yield
    finally:
        cv2.setLogLevel(level)


def looks_like_video(path: str) -> bool:
    """True when the file starts with the signature of a common video container."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return any(head[off:off + len(sig)] == sig for off, sig in _VIDEO_SIGNATURES)


class VideoFileSource:
    """A video file. Timestamps come from the video's own frame times (CAP_PROP_POS_MSEC), falling
    back to index / fps where the container gives none; they always increase."""

    def __init__(self, path: str):
        cv2 = _cv2()
        self.path = path
        if not os.path.exists(path):
            raise PoseSourceError(f"{path}: no such file.")
        if os.path.isdir(path):
            raise PoseSourceError(f"{path}: is a directory, not a video.")
        if os.path.getsize(path) == 0:
            raise PoseSourceError(f"{path}: the file is empty.")
        with _opencv_quiet():
            self._cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            self._cap.release()
            if looks_like_video(path):
                raise PoseSourceError(f"{path}: the video is corrupt or truncated and cannot be opened.")
            raise PoseSourceError(f"{path}: not a video file OpenCV can read.")
        self.width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if math.isfinite(fps) and 0.5 <= fps <= 1000 else None
        count = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if math.isfinite(count) and count > 0 else None
        if self.width <= 0 or self.height <= 0:
            self._cap.release()
            raise PoseSourceError(f"{path}: not a video file OpenCV can read (no picture size).")

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        cv2 = _cv2()
        step = 1.0 / (self.fps or 30.0)
        index, last_t = 0, -math.inf
        try:
            while True:
                ok, image = self._cap.read()
                if not ok or image is None:
                    break
                ms = self._cap.get(cv2.CAP_PROP_POS_MSEC)
                t = ms / 1000.0 if math.isfinite(ms) and ms >= 0 and (index == 0 or ms > 0) else index * step
                if t <= last_t:  # no usable frame time: keep time moving at the nominal rate
                    t = last_t + step
                last_t = t
                index += 1
                yield t, image
        finally:
            self._cap.release()
        if index == 0:
            raise PoseSourceError(f"{self.path}: the video holds no frame that can be decoded "
                                  "(corrupt or truncated).")
        expected = self.frame_count
        if expected and index < expected - max(2, int(0.02 * expected)):
            raise PoseSourceError(f"{self.path}: the video is corrupt or truncated: only {index} of "
                                  f"{expected} frames could be decoded.")

    def close(self) -> None:
        self._cap.release()


class ImageSequenceSource:
    """Still images (a directory or a glob pattern) played in name order at `fps`."""

    def __init__(self, pattern: str, fps: float = 30.0):
        cv2 = _cv2()
        if os.path.isdir(pattern):
            paths = [os.path.join(pattern, n) for n in os.listdir(pattern)]
        else:
            paths = glob.glob(pattern)
        self.paths = sorted(p for p in paths if p.lower().endswith(IMAGE_SUFFIXES) and os.path.isfile(p))
        if not self.paths:
            raise PoseSourceError(f"{pattern}: no images ({', '.join(IMAGE_SUFFIXES)}) found.")
        if not fps > 0:
            raise PoseSourceError(f"{pattern}: the frame rate must be positive, not {fps}.")
        self.fps = float(fps)
        first = cv2.imread(self.paths[0])
        if first is None:
            raise PoseSourceError(f"{self.paths[0]}: not an image OpenCV can read.")
        self.height, self.width = first.shape[:2]

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        cv2 = _cv2()
        for i, path in enumerate(self.paths):
            image = cv2.imread(path)
            if image is None:
                raise PoseSourceError(f"{path}: not an image OpenCV can read.")
            if image.shape[:2] != (self.height, self.width):
                # analysis works in the first image's pixel units: keep every frame in them
                image = cv2.resize(image, (self.width, self.height), interpolation=cv2.INTER_AREA)
            yield i / self.fps, image

    def close(self) -> None:
        pass


class RGBPrefetch:
    """Decodes and converts a recorded source's frames to RGB on a helper thread, a few frames
    ahead, so on a multi-core board the pose thread spends its time in MediaPipe only.

    Iterate for (t, RGB image); the source's own error comes after the frames before it. Not for a
    live camera: queued frames would be stale ones."""

    color = "rgb"

    def __init__(self, source: FrameSource, depth: int = 2):
        self.source, self.depth = source, depth
        self.width, self.height, self.fps = source.width, source.height, source.fps

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        cv2 = _cv2()
        q: queue.Queue = queue.Queue(maxsize=self.depth)
        stop = threading.Event()

        def put(item: tuple) -> bool:
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def work() -> None:
            frames = iter(self.source)
            try:
                for t, bgr in frames:
                    if not put(("frame", (t, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))):
                        return
                put(("end", None))
            # anything, even SystemExit: handed to the consumer (raised there, after the frames
            # before it), which would otherwise wait for an "end" that never comes
            except BaseException as e:  # noqa: BLE001 - re-raised by the consumer
                log.debug("frame prefetch stopped by %r", e)
                put(("error", e))
            finally:
                close = getattr(frames, "close", None)
                if close:
                    close()

        worker = threading.Thread(target=work, name="frame-prefetch", daemon=True)
        worker.start()
        try:
            while True:
                kind, value = q.get()
                if kind == "frame":
                    yield value
                elif kind == "end":
                    return
                else:
                    raise value
        finally:
            stop.set()
            worker.join(timeout=2.0)

    def close(self) -> None:
        self.source.close()


class CameraSource:
    """A live camera (index like 0 or a device path like /dev/video0).

    A reader thread grabs frames as fast as the camera delivers them and keeps only the newest;
    iteration hands out each new frame once, so lag never grows on a slow machine. `t` is seconds
    since the camera opened (time.monotonic). `dropped` counts the frames nobody took."""

    def __init__(self, device: int | str = 0, width: int | None = None, height: int | None = None,
                 fps: float | None = None, open_timeout_s: float = 5.0, stall_timeout_s: float = 2.0):
        cv2 = _cv2()
        if isinstance(device, str) and device.strip().isdigit():
            device = int(device)  # "0" from a command line means camera 0, not a file named 0
        self.device = device
        with _opencv_quiet():
            self._cap = cv2.VideoCapture(device)
        if not self._cap.isOpened():
            self._cap.release()
            raise PoseSourceError(f"camera {device} cannot be opened (is it plugged in and free?).")
        if width:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            self._cap.set(cv2.CAP_PROP_FPS, fps)
        self.width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        got_fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = got_fps if math.isfinite(got_fps) and got_fps > 0 else fps
        self.dropped = 0
        self._stall_timeout_s = stall_timeout_s
        self._cond = threading.Condition()
        self._latest: tuple[float, np.ndarray] | None = None
        self._seq = 0
        self._taken = 0  # the _seq of the last frame handed out
        self._failed = False
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self.t0_monotonic = self._t0  # frame t = time.monotonic() - t0_monotonic
        self._thread = threading.Thread(target=self._read_loop, name="camera-reader", daemon=True)
        self._thread.start()
        with self._cond:  # a camera that opens but never delivers is as good as missing
            self._cond.wait_for(lambda: self._seq > 0 or self._failed, timeout=open_timeout_s)
            if self._seq == 0:
                self.close()
                raise PoseSourceError(f"camera {device} opened but delivered no picture.")
            latest = self._latest   # set with the first frame (_seq > 0)
            if latest is not None and (self.width <= 0 or self.height <= 0):
                self.height, self.width = latest[1].shape[:2]

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            ok, image = self._cap.read()
            t = time.monotonic() - self._t0
            with self._cond:
                if not ok or image is None:
                    self._failed = True
                    self._cond.notify_all()
                    return
                if self._latest is not None and self._seq != self._taken:
                    self.dropped += 1
                self._latest = (t, image)
                self._seq += 1
                self._cond.notify_all()

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        lost = False
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._seq != self._taken or self._failed,
                                        timeout=self._stall_timeout_s)
                    if self._seq == self._taken:  # the reader failed, or nothing came for too long
                        lost = True
                        break
                    self._taken = self._seq
                    item = self._latest
                assert item is not None   # a new _seq always comes with its frame
                yield item
        finally:
            self.close()
        if lost:
            raise PoseSourceError(f"camera {self.device} stopped delivering pictures "
                                  "(unplugged or taken by another program).")

    def close(self) -> None:
        self._stop.set()
        if threading.current_thread() is not self._thread and self._thread.is_alive():
            self._thread.join(timeout=1.0)
        self._cap.release()
