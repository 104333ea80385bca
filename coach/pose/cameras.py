"""Cameras for the runtime: a landmark trace played on its own timeline, or a live camera
through MediaPipe Pose. Each has `meta`, `frames()` and `close()`."""

from __future__ import annotations

from collections.abc import Iterator

from coach.core.errors import DeviceMissing
from coach.core.frames import Frame, TraceMeta
from coach.io.trace import TraceError, TraceReader
from coach.pose import landmark_frames
from coach.pose.errors import PoseSourceError
from coach.pose.estimator import create_estimator
from coach.pose.sources import CameraSource


class TraceCamera:
    """A landmark trace played as the camera, on its own timeline (paced by the clock)."""

    def __init__(self, path: str):
        try:
            self._reader = TraceReader(path)
        except TraceError as e:
            raise DeviceMissing(str(e)) from None
        self.meta = self._reader.meta
        self.path = path

    def frames(self) -> Iterator[Frame]:
        return iter(self._reader)

    def close(self) -> None:
        self._reader.close()


class LiveCamera:
    """A camera through MediaPipe Pose: frames on the monotonic clock."""

    realtime_source = True

    def __init__(self, device: int | str = 0, model: str | None = None):
        try:
            self._source = CameraSource(device)
        except (PoseSourceError, OSError) as e:
            raise DeviceMissing(str(e)) from None
        self.t0_monotonic = self._source.t0_monotonic
        self.meta = TraceMeta(self._source.width, self._source.height, self._source.fps, f"camera {device}")
        self._estimator = create_estimator(model)

    def frames(self) -> Iterator[Frame]:
        return landmark_frames(self._source, self._estimator, self.meta)

    def close(self) -> None:
        self._source.close()
