"""A copy of a video with what the coach saw drawn on it: the skeleton, the hip angle, the phase,
the rep number at each count and the faults as they are found (`coach analyze VIDEO --annotate`).

Two parts: `Overlay`, what the picture says at the current frame, kept up to date from the
analysis events (no drawing, no OpenCV); and `AnnotatedVideoWriter`, which draws an Overlay and a
Frame's landmarks on each picture and writes the video with OpenCV.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from coach.core.errors import CoachError
from coach.core.events import Event, FaultFound, NotCounted, Phase, PhaseChanged, PoseLost, RepCounted
from coach.core.frames import Frame
from coach.io.report import fault_name  # the cue library's plain words, as in the table

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv")

CAPTION_HOLD_S = 2.0  # a fault stays on screen this long after it is found: long enough to read
REP_FLASH_S = 0.8  # the rep counter lights up this long at each count
MIN_VISIBILITY = 0.5  # MediaPipe's own threshold for drawing a landmark

# Colours (BGR). The skeleton is a saturated cyan that skin, clothes and gym walls rarely are;
# text is white on a near-black box, the one pairing readable on any picture.
SKELETON = (255, 230, 0)
JOINT = (255, 255, 255)
OUTLINE = (20, 20, 20)
BOX = (25, 25, 25)
TEXT = (255, 255, 255)
REP_FLASH = (60, 170, 40)  # the rep box turns green for a moment at the count
FAULT_BOX = (30, 30, 190)  # fault captions: white on red
NOTE_BOX = (0, 110, 190)  # "not counted" notes: white on amber

# The body of MediaPipe's 33-point pose (its POSE_CONNECTIONS without the face): the face adds
# clutter and says nothing about a hinge. Indices: coach.core.landmarks.NAMES.
BONES = (
    (11, 12), (11, 23), (12, 24), (23, 24),  # torso
    (11, 13), (13, 15), (12, 14), (14, 16),  # arms
    (15, 17), (15, 19), (17, 19), (16, 18), (16, 20), (18, 20),  # hands
    (23, 25), (25, 27), (24, 26), (26, 28),  # legs
    (27, 29), (29, 31), (27, 31), (28, 30), (30, 32), (28, 32),  # feet
    (7, 8),  # ear to ear: where the head is
)
JOINTS = (7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32)
_HIPS = (23, 24)


class AnnotateError(CoachError):
    """The annotated video cannot be written (bad name, missing folder, no encoder)."""


# --- what the picture says -------------------------------------------------------------------

@dataclass(frozen=True)
class Caption:
    text: str
    until: float  # trace time (s) after which it is gone
    kind: str = "fault"  # "fault" | "note"


@dataclass
class Overlay:
    """What the annotation shows at the current frame. `reps` None: no counting (`coach pose`),
    so no rep counter is drawn; `phase` None: no phase line."""

    reps: int | None = None
    phase: Phase | None = None
    hip_flexion: float | None = None  # degrees, 0 = standing tall
    person: bool = False
    t: float = 0.0
    rep_t: float | None = None  # when the last rep counted
    captions: list[Caption] = field(default_factory=list)
    _said: set[tuple[int, str]] = field(default_factory=set, init=False, repr=False)  # (rep, fault id) shown

    def update(self, t: float, events: Iterable[Event], hip_flexion: float | None,
               person: bool | None = None) -> None:
        """The state at frame time `t`, after the events the frame gave."""
        self.t = t
        self.hip_flexion = hip_flexion
        self.person = hip_flexion is not None if person is None else person
        for e in events:
            if isinstance(e, PhaseChanged):
                self.phase = e.phase
            elif isinstance(e, RepCounted):
                self.reps, self.rep_t = e.rep, e.t
            elif isinstance(e, FaultFound) and (e.rep, e.fault.id) not in self._said:
                self._said.add((e.rep, e.fault.id))  # a fault is named once per rep
                self.captions.append(Caption(f"Rep {e.rep}: {fault_name(e.fault.id)}", t + CAPTION_HOLD_S))
            elif isinstance(e, NotCounted):
                self.captions.append(Caption(f"Not counted: {e.reason}", t + CAPTION_HOLD_S, "note"))
            elif isinstance(e, PoseLost):  # the rep machine starts over: its phase is stale
                self.phase = Phase.UNKNOWN if self.phase is not None else None
        self.captions = [c for c in self.captions if c.until >= t]

    @property
    def flashing(self) -> bool:
        """The rep counter is lit: a rep counted less than REP_FLASH_S ago."""
        return self.rep_t is not None and 0.0 <= self.t - self.rep_t < REP_FLASH_S


# --- drawing ---------------------------------------------------------------------------------

def _cv2():
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # FFmpeg's notes would follow our sentence
    import cv2
    return cv2


@contextlib.contextmanager
def _opencv_quiet() -> Iterator[None]:
    """OpenCV prints tag fallbacks and encoder failures on stderr; we say what matters ourselves."""
    cv2 = _cv2()
    level = cv2.getLogLevel()
    cv2.setLogLevel(0)
    try:
        yield
    finally:
        cv2.setLogLevel(level)


@dataclass(frozen=True)
class _Style:
    """Sizes from the picture's height (capped by its width for portrait video), so the text
    reads the same on 480p, 720p and 1080p: the rep number is ~9% of the height."""

    unit: float  # ~ 1/100 of the picture's short-ish side, in px

    @classmethod
    def for_size(cls, width: int, height: int) -> _Style:
        return cls(max(2.4, min(height, 1.4 * width) / 100.0))

    def scale(self, px_high: float) -> float:
        """The Hershey font scale whose capital letters are `px_high` pixels tall (22 px at 1.0)."""
        return px_high / 22.0

    def thick(self, px_high: float) -> int:
        return max(1, round(px_high / 11.0))


def _text_size(text: str, px_high: float, style: _Style) -> tuple[int, int, int]:
    cv2 = _cv2()
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, style.scale(px_high), style.thick(px_high))
    return w, h, base


def _put(image: np.ndarray, text: str, x: int, y: int, px_high: float, style: _Style,
         color: tuple[int, int, int] = TEXT) -> None:
    """Text with its baseline at y, antialiased."""
    cv2 = _cv2()
    cv2.putText(image, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, style.scale(px_high), color,
                style.thick(px_high), cv2.LINE_AA)


def _box(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, color: tuple[int, int, int],
         alpha: float = 0.78) -> None:
    """A filled box, slightly see-through so the picture under it is not lost."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    cv2 = _cv2()
    roi = image[y0:y1, x0:x1]
    # roi * (1 - alpha) + color * alpha, in OpenCV's saturating uint8 (10x faster than numpy here)
    roi[:] = cv2.add(cv2.convertScaleAbs(roi, alpha=1.0 - alpha), (*(float(c) * alpha for c in color), 0.0))


def _wrap(text: str, px_high: float, max_w: int, style: _Style) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and _text_size(lines[-1] + " " + word, px_high, style)[0] <= max_w:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _points(frame: Frame, width: int, height: int) -> dict[int, tuple[int, int]]:
    """Pixel positions of the landmarks worth drawing: seen (visibility) and not NaN."""
    lm = frame.landmarks
    if lm is None:
        return {}
    out: dict[int, tuple[int, int]] = {}
    for i in JOINTS:
        x, y, _, vis = lm[i]
        if math.isfinite(x) and math.isfinite(y) and math.isfinite(vis) and vis >= MIN_VISIBILITY:
            out[i] = (round(x * width), round(y * height))
    return out


def draw_skeleton(image: np.ndarray, frame: Frame, style: _Style) -> dict[int, tuple[int, int]]:
    """The body's bones and joints on `image` (in place); returns the points drawn."""
    cv2 = _cv2()
    h, w = image.shape[:2]
    pts = _points(frame, w, h)
    bone = max(2, round(0.55 * style.unit))
    for a, b in BONES:
        if a in pts and b in pts:
            cv2.line(image, pts[a], pts[b], OUTLINE, bone + 2, cv2.LINE_AA)  # dark edge: visible on white walls
            cv2.line(image, pts[a], pts[b], SKELETON, bone, cv2.LINE_AA)
    r = max(3, round(0.6 * style.unit))
    for p in pts.values():
        cv2.circle(image, p, r, OUTLINE, -1, cv2.LINE_AA)
        cv2.circle(image, p, max(2, r - 2), JOINT, -1, cv2.LINE_AA)
    return pts


def _degrees(image: np.ndarray, x: int, y: int, value: float, px_high: float, style: _Style) -> int:
    """`87°` with its baseline at (x, y) (Hershey fonts have no degree sign: a small ring);
    returns the width drawn."""
    cv2 = _cv2()
    text = f"{value:.0f}"
    _put(image, text, x, y, px_high, style)
    w = _text_size(text, px_high, style)[0]
    r = max(2, round(px_high * 0.17))
    cv2.circle(image, (x + w + r + 2, y - round(px_high) + r), r, TEXT, style.thick(px_high * 0.6), cv2.LINE_AA)
    return w + 2 * r + 4


def draw_overlay(image: np.ndarray, frame: Frame, overlay: Overlay) -> None:
    """Skeleton, hip angle at the hip, the panel (rep number, hip angle, phase) at the top left
    and the captions at the bottom, on `image` (BGR, in place)."""
    h, w = image.shape[:2]
    style = _Style.for_size(w, h)
    pts = draw_skeleton(image, frame, style)
    u = style.unit
    pad = round(1.2 * u)

    # The hip angle beside the hip, where the eye already is.
    hips = [pts[i] for i in _HIPS if i in pts]
    if overlay.hip_flexion is not None and hips:
        hx = round(sum(p[0] for p in hips) / len(hips)) + round(2.0 * u)
        hy = round(sum(p[1] for p in hips) / len(hips))
        small = 3.2 * u
        tw = _text_size(f"{overlay.hip_flexion:.0f}", small, style)[0] + round(small * 0.6)
        hx = min(hx, w - tw - pad)
        _box(image, hx - round(0.5 * u), hy - round(small + 0.6 * u), hx + tw + round(0.6 * u), hy + round(0.8 * u),
             BOX)
        _degrees(image, hx, hy, overlay.hip_flexion, small, style)

    # The panel: the rep number big enough to read across a gym, then the hip angle and phase.
    x, y = pad, pad
    if overlay.reps is not None:
        big = 9.0 * u
        label = f"REP {overlay.reps}"
        tw, _, _ = _text_size(label, big, style)
        _box(image, x, y, x + tw + 2 * pad, y + round(big) + 2 * pad, REP_FLASH if overlay.flashing else BOX, 0.85)
        _put(image, label, x + pad, y + pad + round(big), big, style)
        y += round(big) + 2 * pad + round(0.6 * u)
    mid = 4.0 * u
    lines: list[tuple[str, float | None]] = []
    if overlay.hip_flexion is not None:
        lines.append(("hip", overlay.hip_flexion))
    elif not overlay.person:
        lines.append(("no person seen", None))
    if overlay.phase is not None and overlay.phase is not Phase.UNKNOWN:
        lines.append((overlay.phase.value, None))
    if lines:
        widths = [_text_size(s + (" 000 " if v is not None else ""), mid, style)[0] for s, v in lines]
        line_h = round(mid * 1.6)
        _box(image, x, y, x + max(widths) + 2 * pad, y + line_h * len(lines) + pad, BOX)
        for i, (s, v) in enumerate(lines):
            base = y + round(0.5 * pad) + line_h * (i + 1) - round(0.3 * mid)
            _put(image, s, x + pad, base, mid, style)
            if v is not None:
                _degrees(image, x + pad + _text_size(s + " ", mid, style)[0], base, v, mid, style)

    # Captions, newest at the bottom, centred, wrapped to the picture.
    cap = 4.4 * u
    line_h = round(cap * 1.55)
    bottom = h - pad
    for c in reversed(overlay.captions):
        wrapped = _wrap(c.text, cap, w - 4 * pad, style)
        block = line_h * len(wrapped) + pad
        top = bottom - block
        if top < 0:
            break
        tw = max(_text_size(s, cap, style)[0] for s in wrapped)
        x0 = (w - tw) // 2
        _box(image, x0 - pad, top, x0 + tw + pad, bottom, FAULT_BOX if c.kind == "fault" else NOTE_BOX, 0.85)
        for i, s in enumerate(wrapped):
            sw = _text_size(s, cap, style)[0]
            _put(image, s, (w - sw) // 2, top + round(0.5 * pad) + line_h * (i + 1) - round(0.3 * cap), cap, style)
        bottom = top - round(0.5 * u)


# --- writing ---------------------------------------------------------------------------------

def _fourcc_text(code: float) -> str:
    n = int(code) if math.isfinite(code) and code > 0 else 0
    return n.to_bytes(4, "little").decode("ascii", "replace").strip("\x00 ").lower() if n else ""


def codec_for(input_fourcc: str) -> str:
    """The FOURCC to write for an input's FOURCC ("same codec family").

    OpenCV's pip wheel has no H.264 (or H.265) encoder, so H.264/MPEG-4 input becomes MPEG-4
    Part 2 ('mp4v'), which plays in VLC, mpv, ffplay and most players, though not in every
    browser; MJPG stays MJPG. Anything else (VP9, ProRes, unknown) falls back to 'mp4v'."""
    return "MJPG" if input_fourcc in ("mjpg", "mjpa", "jpeg", "avrn") else "mp4v"


def input_fourcc(path: str) -> str:
    """The input video's FOURCC in lower case ("h264", "fmp4", "mjpg"), "" for an image folder or
    when unknown."""
    if os.path.isdir(path) or not os.path.isfile(path):
        return ""
    cv2 = _cv2()
    with _opencv_quiet():
        cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
        try:
            return _fourcc_text(cap.get(cv2.CAP_PROP_FOURCC)) if cap.isOpened() else ""
        finally:
            cap.release()


def check_output_path(path: str, input_path: str | None = None) -> None:
    """Refuses, in one sentence, an output that cannot be written, before any work is done."""
    if os.path.isdir(path):
        raise AnnotateError(f"{path}: is a folder; give a file name for the annotated video, such as out.mp4.")
    if not path.lower().endswith(VIDEO_SUFFIXES):
        raise AnnotateError(f"{path}: the annotated video's name must end in "
                            f"{', '.join(VIDEO_SUFFIXES[:-1])} or {VIDEO_SUFFIXES[-1]}.")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise AnnotateError(f"{path}: the folder {folder} does not exist.")
    if input_path is not None and os.path.exists(path) and os.path.exists(input_path) \
            and os.path.samefile(path, input_path):
        raise AnnotateError(f"{path}: is the input video itself; give the annotated copy another name.")
    existed = os.path.exists(path)
    try:  # the one sure test (read-only disks, /proc, permissions even for root): open it
        with open(path, "ab"):
            pass
    except OSError as e:
        raise AnnotateError(f"{path}: cannot be written ({e.strerror or e}).") from None
    if not existed:
        os.remove(path)


class AnnotatedVideoWriter:
    """Writes pictures with the overlay drawn on them, at the input's frame rate and size, in the
    input's codec family (see `codec_for`). Use as a context manager, or call `close()`: the file
    is only complete (playable) once closed."""

    def __init__(self, path: str, fps: float | None, size: tuple[int, int], fourcc_from: str | None = None):
        cv2 = _cv2()
        check_output_path(path, fourcc_from)
        self.path = path
        self.size = size  # (width, height)
        self.fps = fps if fps and math.isfinite(fps) and fps > 0 else 30.0
        self.frames = 0
        self.fourcc = codec_for(input_fourcc(fourcc_from) if fourcc_from else "")
        self._writer = self._open(self.fourcc)
        if self._writer is None and self.fourcc != "mp4v":  # e.g. MJPG into a container that refuses it
            self.fourcc = "mp4v"
            self._writer = self._open(self.fourcc)
        if self._writer is None:
            with contextlib.suppress(OSError):
                os.remove(path)  # FFmpeg may leave an empty file behind
            raise AnnotateError(f"{path}: OpenCV cannot write a {self.fourcc} video with this name "
                                f"(try a .mp4 or .avi name).")
        self._cv2 = cv2

    def _open(self, fourcc: str):
        cv2 = _cv2()
        with _opencv_quiet():
            writer = cv2.VideoWriter(self.path, cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*fourcc), self.fps, self.size)
        if writer.isOpened():
            return writer
        writer.release()
        return None

    def write(self, image_bgr: np.ndarray, frame: Frame, overlay: Overlay) -> None:
        """Draws on a copy of `image_bgr` (the caller's picture is left as it was) and writes it."""
        image = image_bgr.copy()
        if (image.shape[1], image.shape[0]) != self.size:
            # the container announced another size than it decodes to: keep the file consistent
            image = self._cv2.resize(image, self.size, interpolation=self._cv2.INTER_AREA)
        draw_overlay(image, frame, overlay)
        self._writer.write(image)
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> AnnotatedVideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
