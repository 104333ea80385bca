"""MediaPipe Pose behind one small interface: RGB image in, (33, 4) landmarks or None out.

Two back ends, chosen by `create_estimator(model)`:
- `mp.solutions.pose` (MediaPipe <= 0.10.21 on x86_64, 0.10.18 on aarch64): the full landmark model
  ships inside the wheel and is the default. The lite and heavy models are not in the wheel and
  `mp.solutions.pose.Pose` would download them at run time; that is never attempted: they are used
  only when the file already sits where MediaPipe looks for it.
- The Tasks API `PoseLandmarker` in VIDEO mode, for a user-supplied `.task` model bundle (the only
  way on newer MediaPipe releases, which dropped `mp.solutions`).
MediaPipe is imported inside the constructors, so importing this module costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np

from coach.core.landmarks import NUM_LANDMARKS
from coach.pose.errors import PoseSourceError
from coach.pose.native_log import native_stderr_filtered

# Start-up warnings come with the first picture that has a person; filtering costs a temp file a
# frame, so an empty room (a gym station waiting for hours) stops paying after this many frames.
_FILTER_FRAMES = 30

# Names accepted for the bundled solutions models, and the model_complexity each one means.
_SOLUTIONS_MODELS = {"lite": 0, "full": 1, "heavy": 2}


class PoseEstimator(Protocol):
    def estimate(self, rgb: np.ndarray, t: float) -> np.ndarray | None:
        """Landmarks of the person in `rgb` (H x W x 3 uint8, RGB) at time `t` (s): a (33, 4)
        array of normalised x, y, z and visibility, or None when nobody is found."""
        ...

    def close(self) -> None: ...


def _to_array(landmarks: Iterable[Any]) -> np.ndarray:
    """A sequence of MediaPipe (Normalized)Landmark -> (33, 4) float array."""
    out = np.array([(p.x, p.y, p.z, p.visibility if p.visibility is not None else 0.0)
                    for p in landmarks], dtype=np.float64)
    if out.shape != (NUM_LANDMARKS, 4):
        raise PoseSourceError(f"MediaPipe returned {out.shape[0]} landmarks instead of {NUM_LANDMARKS}; "
                              "the model is not a 33-point pose model.")
    return out


def _import_mediapipe():
    try:
        import mediapipe as mp
    except ImportError as e:
        raise PoseSourceError(f"MediaPipe cannot be imported ({e}); run scripts/setup.sh.") from None
    return mp


def _solutions_model_file(complexity: int) -> str:
    """Where mp.solutions.pose looks for the landmark model of this complexity."""
    mp = _import_mediapipe()
    root = os.path.dirname(os.path.abspath(mp.__file__))
    name = {0: "lite", 1: "full", 2: "heavy"}[complexity]
    return os.path.join(root, "modules", "pose_landmark", f"pose_landmark_{name}.tflite")


class MediaPipeSolutionsEstimator:
    """`mp.solutions.pose.Pose` in video (tracking) mode with landmark smoothing."""

    def __init__(self, model_complexity: int = 1, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5):
        mp = _import_mediapipe()
        if not hasattr(mp, "solutions"):
            raise PoseSourceError(f"MediaPipe {getattr(mp, '__version__', '?')} has no mp.solutions; "
                                  "pass a PoseLandmarker .task model file with --model.")
        model_file = _solutions_model_file(model_complexity)
        if not os.path.isfile(model_file):
            # Pose() would try to download it: refuse before that can happen.
            raise PoseSourceError(f"The pose model {os.path.basename(model_file)} is not installed at "
                                  f"{os.path.dirname(model_file)} and is never downloaded at run time; "
                                  "copy it there or use the bundled full model.")
        with native_stderr_filtered():
            self._pose = mp.solutions.pose.Pose(
                static_image_mode=False, model_complexity=model_complexity, smooth_landmarks=True,
                enable_segmentation=False, min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence)
            # The graph opens its models on worker threads, which log when they get to it: one
            # empty picture waits for that, inside the filter.
            self._pose.process(np.zeros((64, 64, 3), np.uint8))
        self._quiet_frames = _FILTER_FRAMES

    def estimate(self, rgb: np.ndarray, t: float) -> np.ndarray | None:
        if self._quiet_frames > 0:  # the landmark stage logs on the first picture with a person
            self._quiet_frames -= 1
            with native_stderr_filtered():
                result = self._pose.process(rgb)
        else:
            result = self._pose.process(rgb)
        if not result.pose_landmarks:
            return None
        self._quiet_frames = 0
        return _to_array(result.pose_landmarks.landmark)

    def close(self) -> None:
        self._pose.close()


class MediaPipeTasksEstimator:
    """The Tasks API `PoseLandmarker` in VIDEO mode over a `.task` model bundle."""

    def __init__(self, model_path: str, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5):
        mp = _import_mediapipe()
        vision = mp.tasks.vision
        options = vision.PoseLandmarkerOptions(
            base_options=mp.tasks.BaseOptions(model_asset_path=model_path),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence)
        try:
            with native_stderr_filtered():
                self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise PoseSourceError(f"{model_path}: not a usable PoseLandmarker model ({first}).") from None
        self._mp = mp
        self._last_ms = -1
        self._quiet_frames = _FILTER_FRAMES

    def estimate(self, rgb: np.ndarray, t: float) -> np.ndarray | None:
        # VIDEO mode needs strictly increasing integer milliseconds.
        ms = max(int(round(t * 1000.0)), self._last_ms + 1)
        self._last_ms = ms
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        if self._quiet_frames > 0:  # start-up chatter comes with the first pictures
            self._quiet_frames -= 1
            with native_stderr_filtered():
                result = self._landmarker.detect_for_video(image, ms)
        else:
            result = self._landmarker.detect_for_video(image, ms)
        if not result.pose_landmarks:
            return None
        self._quiet_frames = 0
        return _to_array(result.pose_landmarks[0])

    def close(self) -> None:
        self._landmarker.close()


def create_estimator(model: str | None = None) -> PoseEstimator:
    """The estimator for `model`: None or "full" (the model in the wheel), "lite"/"heavy" or a
    pose_landmark_*.tflite path (only if installed where MediaPipe looks), or a `.task` file."""
    if model is None or model in _SOLUTIONS_MODELS:
        return MediaPipeSolutionsEstimator(_SOLUTIONS_MODELS[model or "full"])
    if model.endswith(".task"):
        if not os.path.isfile(model):
            raise PoseSourceError(f"{model}: no such model file.")
        return MediaPipeTasksEstimator(model)
    if model.endswith(".tflite"):
        name = os.path.basename(model)[:-len(".tflite")]
        kind = name.removeprefix("pose_landmark_")
        if kind not in _SOLUTIONS_MODELS or not name.startswith("pose_landmark_"):
            raise PoseSourceError(f"{model}: only pose_landmark_lite/full/heavy.tflite or a .task "
                                  "PoseLandmarker bundle can be used as a pose model.")
        if not os.path.isfile(model):
            raise PoseSourceError(f"{model}: no such model file.")
        expected = _solutions_model_file(_SOLUTIONS_MODELS[kind])
        if not (os.path.isfile(expected) and os.path.samefile(model, expected)):
            raise PoseSourceError(f"{model}: mp.solutions only loads this model from {expected}; "
                                  "copy it there first.")
        return MediaPipeSolutionsEstimator(_SOLUTIONS_MODELS[kind])
    raise PoseSourceError(f"{model}: unknown pose model; use full, lite, heavy, a "
                          "pose_landmark_*.tflite file or a PoseLandmarker .task file.")
