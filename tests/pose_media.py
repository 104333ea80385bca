"""Builds short test videos of real people from photos that ship in packages (Debian opencv-doc,
scikit-image), so the real MediaPipe model runs on real pixels in the tests and benchmarks.

Photos: messi5.jpg (a footballer, full body, MediaPipe finds all 33 landmarks), the left player of
basketball1.png (full body) and skimage's astronaut (upper body only)."""

from __future__ import annotations

import os
import re
import zipfile

import cv2
import numpy as np

OPENCV_DATA = "/usr/share/doc/opencv-doc/examples/data"


def _read(name: str) -> np.ndarray:
    path = os.path.join(OPENCV_DATA, name)
    image = cv2.imread(path)
    if image is None:
        raise FileNotFoundError(f"{path} is missing: install the Debian package opencv-doc "
                                "(scripts/setup.sh --test does)")
    return image


def footballer() -> np.ndarray:
    """messi5.jpg cropped to the player (BGR)."""
    return _read("messi5.jpg")[40:342, 150:470]


def basketball_player() -> np.ndarray:
    """The player on the left of basketball1.png, head to shoes (BGR)."""
    return _read("basketball1.png")[60:480, 0:230]


def astronaut() -> np.ndarray:
    from skimage import data
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def place(canvas: np.ndarray, person: np.ndarray, cx: float, cy: float, height: float,
          angle_deg: float = 0.0) -> np.ndarray:
    """Pastes `person` scaled to `height` px, rotated by `angle_deg`, centred at (cx, cy)."""
    h, w = person.shape[:2]
    s = height / h
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, s)
    m[0, 2] += cx - w / 2
    m[1, 2] += cy - h / 2
    H, W = canvas.shape[:2]
    warped = cv2.warpAffine(person, m, (W, H), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    mask = cv2.warpAffine(np.full((h, w), 255, np.uint8), m, (W, H), flags=cv2.INTER_NEAREST)
    out = canvas.copy()
    out[mask > 0] = warped[mask > 0]
    return out


def background(width: int, height: int) -> np.ndarray:
    """A plain grey wall with a darker floor: something, but no person."""
    bg = np.full((height, width, 3), 150, np.uint8)
    bg[int(height * 0.8):] = 90
    return bg


def write_video(path: str, frames: list[np.ndarray], fps: float, fourcc: str = "MJPG") -> str:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path} with {fourcc}")
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def set_mkv_frame_times(path: str, times_ms: list[int]) -> None:
    """Rewrites the block timecodes of an MJPG .mkv written by OpenCV (track 1, ms timecode scale)
    so its frames carry the given presentation times: a variable-frame-rate video.

    A block's time is its cluster's timestamp plus a signed 16-bit offset; only the offsets are
    changed, so no element changes size."""
    data = bytearray(open(path, "rb").read())
    clusters = []  # (offset, cluster timestamp)
    for c in re.finditer(rb"\x1f\x43\xb6\x75", bytes(data)):
        j = data.find(b"\xe7", c.start() + 4, c.start() + 24)
        size = data[j + 1] & 0x7F
        clusters.append((c.start(), int.from_bytes(data[j + 2:j + 2 + size], "big")))
    blocks = list(re.finditer(rb"\x81(..)\x80\xff\xd8", bytes(data), re.S))
    if len(blocks) != len(times_ms):
        raise ValueError(f"{path}: found {len(blocks)} frames, expected {len(times_ms)}")
    for m, ms in zip(blocks, times_ms):
        cluster_ms = max(tc for off, tc in clusters if off < m.start())
        data[m.start() + 1:m.start() + 3] = int(ms - cluster_ms).to_bytes(2, "big", signed=True)
    open(path, "wb").write(bytes(data))


def truncate(src: str, dst: str, keep: float) -> str:
    data = open(src, "rb").read()
    open(dst, "wb").write(data[: int(len(data) * keep)])
    return dst


def pose_task_bundle(path: str) -> str:
    """A PoseLandmarker .task bundle built from the two models inside the mediapipe wheel (with
    the input-normalisation metadata the Tasks API needs): the Tasks path without a download."""
    import mediapipe as mp
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, writer_utils

    root = os.path.join(os.path.dirname(mp.__file__), "modules")

    def with_metadata(model: str, mean: float, std: float) -> bytes:
        buf = bytearray(open(os.path.join(root, model), "rb").read())
        writer = metadata_writer.MetadataWriter.create(buf).add_general_info("pose")
        writer.add_image_input(norm_mean=[mean], norm_std=[std])
        for _ in writer_utils.get_output_tensor_types(buf):
            writer.add_feature_output()
        return bytes(writer.populate()[0])

    with zipfile.ZipFile(path, "w") as z:
        # detector input in [-1, 1], landmark model input in [0, 1]
        z.writestr("pose_detector.tflite", with_metadata("pose_detection/pose_detection.tflite", 127.5, 127.5))
        z.writestr("pose_landmarks_detector.tflite",
                   with_metadata("pose_landmark/pose_landmark_full.tflite", 0.0, 255.0))
    return path
