"""From pictures to landmarks: MediaPipe Pose over a video, camera or image folder, or a recorded
trace that bypasses the estimator.

`open_landmark_stream(path)` is what `coach analyze` and `coach pose` call for any input. It is
cheap to import: OpenCV and MediaPipe load only when a video or image folder is opened.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass

import numpy as np

from coach.core.frames import Frame, TraceMeta
from coach.io.trace import TraceError, read_trace
from coach.pose.errors import PoseSourceError
from coach.pose.sources import IMAGE_SUFFIXES

__all__ = ["PoseSourceError", "PoseRun", "open_landmark_stream", "open_picture_stream", "open_camera_stream",
           "open_frame_source", "is_trace_path", "landmark_frames", "landmark_pictures"]

TRACE_SUFFIXES = (".jsonl", ".jsonl.gz")


def is_trace_path(path: str) -> bool:
    return path.lower().endswith(TRACE_SUFFIXES)


def open_frame_source(path: str, *, image_fps: float = 30.0):
    """A video file, an image directory or an image glob -> a FrameSource (BGR frames)."""
    from coach.pose.sources import ImageSequenceSource, VideoFileSource

    if os.path.isdir(path) or any(ch in path for ch in "*?[") or path.lower().endswith(IMAGE_SUFFIXES):
        return ImageSequenceSource(path, fps=image_fps)
    return VideoFileSource(path)


@dataclass
class PoseRun:
    """What the estimator saw in a run so far (filled in while the frames stream)."""

    frames: int = 0
    with_person: int = 0
    rejected_jumps: int = 0  # frames withheld by the single-person guard
    jumps: int = 0  # leaps to another body: a sign of more than one person in the picture
    last_jump_t: float | None = None


def landmark_pictures(source, estimator, meta: TraceMeta, run: PoseRun | None = None,
                      guard=None, name: str | None = None) -> Generator[tuple[Frame, np.ndarray], None, None]:
    """Runs `estimator` on every picture of `source`, keeps to one person, yields each Frame with
    the picture it was found in, as the source gave it (RGB when `source.color` is "rgb", else BGR).

    After the last frame, a run in which nobody was ever seen raises PoseSourceError; errors of
    the source (a truncated video, a lost camera) come after the frames decoded so far."""
    import cv2

    from coach.pose.guard import SinglePersonGuard

    run = run if run is not None else PoseRun()
    guard = guard or SinglePersonGuard(meta.width, meta.height)
    rgb_source = getattr(source, "color", "bgr") == "rgb"  # already converted (RGBPrefetch)
    try:
        for t, picture in source:
            rgb = picture if rgb_source else cv2.cvtColor(picture, cv2.COLOR_BGR2RGB)
            landmarks = guard.check(t, estimator.estimate(rgb, t))
            run.frames += 1
            run.with_person += landmarks is not None
            run.rejected_jumps = guard.rejected
            run.jumps, run.last_jump_t = guard.jumps, guard.last_jump_t
            yield Frame(t, landmarks), picture
    finally:
        estimator.close()
    if run.frames and not run.with_person:
        raise PoseSourceError(f"{name or meta.source}: no person was found in any of its {run.frames} frames.")


def landmark_frames(source, estimator, meta: TraceMeta, run: PoseRun | None = None,
                    guard=None, name: str | None = None) -> Iterator[Frame]:
    """`landmark_pictures` without the pictures: the Frames only."""
    pictures = landmark_pictures(source, estimator, meta, run, guard, name)
    with contextlib.closing(pictures):  # stopping early closes the estimator now, not at garbage collection
        for frame, _ in pictures:
            yield frame


def open_landmark_stream(path: str, *, model: str | None = None, image_fps: float = 30.0,
                         run: PoseRun | None = None) -> tuple[TraceMeta, Iterator[Frame]]:
    """Landmarks of `path`: a `.jsonl`/`.jsonl.gz` trace is read as it is; a video file or an image
    directory/glob goes through MediaPipe Pose. Bad input raises PoseSourceError (one sentence),
    during iteration only after the frames that could be read."""
    path = os.fspath(path)
    if is_trace_path(path):
        try:
            meta, frames = read_trace(path)
        except TraceError as e:
            raise PoseSourceError(str(e)) from None
        return meta, _trace_errors_as_pose_errors(frames)
    source, estimator, meta = _open_recording(path, model, image_fps)
    return meta, landmark_frames(source, estimator, meta, run, name=path)


def open_picture_stream(path: str, *, model: str | None = None, image_fps: float = 30.0,
                        run: PoseRun | None = None) -> tuple[TraceMeta, Iterator[tuple[Frame, np.ndarray]]]:
    """`open_landmark_stream` for a video or image folder that also hands out each picture (BGR)
    with its Frame, from the one decode (for drawing on it: `coach analyze --annotate`). Every
    decoded picture comes out, with a person or not, so a copy has the source's frame count.
    A trace holds no pictures: PoseSourceError."""
    path = os.fspath(path)
    if is_trace_path(path):
        raise PoseSourceError(f"{path} is a landmark trace, which holds no pictures; give the video.")
    source, estimator, meta = _open_recording(path, model, image_fps)
    return meta, _as_bgr(landmark_pictures(source, estimator, meta, run, name=path))


def _open_recording(path: str, model: str | None, image_fps: float):
    """A recorded video or image folder, prefetched as RGB, with its estimator and TraceMeta."""
    from coach.pose.estimator import create_estimator
    from coach.pose.sources import RGBPrefetch

    source = open_frame_source(path, image_fps=image_fps)
    try:
        estimator = create_estimator(model)
    except BaseException:
        source.close()
        raise
    meta = TraceMeta(source.width, source.height, source.fps, os.path.basename(path))
    return RGBPrefetch(source), estimator, meta


def _as_bgr(pictures: Generator[tuple[Frame, np.ndarray], None, None]) -> Iterator[tuple[Frame, np.ndarray]]:
    """The prefetch hands MediaPipe RGB; converting back is ~1 ms at 1080p, far cheaper than a
    second decode of the video (which would also have to match the first frame for frame)."""
    import cv2

    with contextlib.closing(pictures):
        for frame, rgb in pictures:
            yield frame, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def open_camera_stream(device: int | str = 0, *, width: int | None = None, height: int | None = None,
                       fps: float | None = None, model: str | None = None,
                       run: PoseRun | None = None) -> tuple[TraceMeta, Iterator[Frame]]:
    """Landmarks of a live camera (index or /dev/video path), newest frame first: `t` is seconds
    since the camera opened. A camera that cannot be opened or stops raises PoseSourceError."""
    from coach.pose.estimator import create_estimator
    from coach.pose.sources import CameraSource

    source = CameraSource(device, width, height, fps)
    try:
        estimator = create_estimator(model)
    except BaseException:
        source.close()
        raise
    meta = TraceMeta(source.width, source.height, source.fps, f"camera {device}")
    return meta, landmark_frames(source, estimator, meta, run, name=f"camera {device}")


def _trace_errors_as_pose_errors(frames: Iterator[Frame]) -> Iterator[Frame]:
    try:
        yield from frames
    except TraceError as e:
        raise PoseSourceError(str(e)) from None
