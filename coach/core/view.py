"""Where the camera is: which side of the person it sees, how far it is off the pure side view
(yaw), and whether the whole body is in the frame. Pure: frames in, ViewChanged events out.

Everything comes from body geometry in pixel units (x*width, y*height), never from file names or
metadata, and is taken as a weighted median over a window of frames, so jitter, spikes, short
left/right label swaps, far-side collapse and dropouts do not move it.

The side is a vote of two cues. The near side is the more visible and the nearer in z; a
label swap flips that cue for a few seconds. The facing direction (toes ahead of heels, nose
ahead of the ears) never swaps, but says the side only through the camera's handedness: in the
eval suite a person showing their left side faces image-right, on an unmirrored webcam with
MediaPipe's anatomical labels image-left. The estimator starts with the suite's convention and
learns the handedness from frames where both cues are clear.

The yaw model (a rigid body seen by a roughly orthographic camera): a body axis of true length L
that points across the person (shoulder to shoulder, hip to hip) shows an image-x extent of
L*sin(yaw), while the trunk (hip joint to shoulder joint) keeps its length. Typical adult
proportions give shoulder width ~0.75 and hip-joint width ~0.40 of trunk length, so
sin(yaw) ~ (dx_shoulders + dx_hips) / ((0.75 + 0.40) * trunk), with dx = x_near - x_far after
undoing label swaps (its sign says whether the camera is turned toward the front or the back).
The ratios are anthropometry, not fitted to any trace; bench/bench_view.py measures how well
they hold.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from coach.core import landmarks as lm
from coach.core.events import ViewChanged
from coach.core.frames import Frame, TraceMeta

# Typical adult proportions relative to the trunk (hip-joint centre to shoulder-joint centre):
# biacromial shoulder width ~0.39 m and hip-joint spacing ~0.20 m over a ~0.52 m trunk. Both
# scale with height, so the ratios hold for short and tall people alike.
SHOULDER_WIDTH_PER_TRUNK = 0.75
HIP_WIDTH_PER_TRUNK = 0.40

WINDOW_S = 8.0            # the view is a median over this much recent time
MIN_FRAMES = 6            # frames with a body before the first estimate...
MIN_SPAN_S = 1.0          # ...spread over at least this long
RECOMPUTE_S = 0.25        # re-estimate at most this often (cheap on a Pi)
YAW_STEP_DEG = 10.0       # a yaw change smaller than this is not news
SIDE_MARGIN = 0.15        # |side score| a flip must exceed (hysteresis)
SIDE_PERSIST = 3          # ... for this many re-estimates in a row
IN_FRAME_WINDOW_S = 1.5
IN_FRAME_MARGIN = 0.02    # a point this close to the border (fraction of the image) is "at the edge"
MIN_POINT_VIS = 0.3       # below this a landmark is a guess
SWAP_VIS_MARGIN = 0.05    # a group's far side must be this much more visible to count as swapped
# The camera's handedness is learned from seconds of frames where both side cues are clear.
# It starts unsure: real MediaPipe video and the synthetic eval suite label the sides the
# opposite way round for the same facing, so any prior made one of them flip a few seconds in.
# No side is told until it is sure; a label swap (at most a few seconds) cannot turn it once a
# session has run a while.
HANDEDNESS_PRIOR_S = 0.0
HANDEDNESS_SURE_S = 1.5
HANDEDNESS_CAP_S = 60.0
UNSURE_SIDE_WAIT_S = 4.0  # a view whose side stays unknown this long is told anyway

_PAIRS_ARMS = (lm.SIDE_JOINTS["shoulder"], lm.SIDE_JOINTS["elbow"], lm.SIDE_JOINTS["wrist"],
               lm.SIDE_JOINTS["ear"])
_PAIRS_LEGS = (lm.SIDE_JOINTS["hip"], lm.SIDE_JOINTS["knee"], lm.SIDE_JOINTS["ankle"],
               lm.SIDE_JOINTS["heel"], lm.SIDE_JOINTS["toe"])
_DEPTH_PAIRS = (lm.SIDE_JOINTS["shoulder"], lm.SIDE_JOINTS["hip"], lm.SIDE_JOINTS["knee"],
                lm.SIDE_JOINTS["ankle"])
_L_ARMS = [p[0] for p in _PAIRS_ARMS]
_R_ARMS = [p[1] for p in _PAIRS_ARMS]
_L_LEGS = [p[0] for p in _PAIRS_LEGS]
_R_LEGS = [p[1] for p in _PAIRS_LEGS]
HEAD_POINTS = (lm.NOSE, lm.LEFT_EAR, lm.RIGHT_EAR, lm.INDEX["left_eye"], lm.INDEX["right_eye"])
FEET_POINTS = (lm.LEFT_ANKLE, lm.RIGHT_ANKLE, lm.LEFT_HEEL, lm.RIGHT_HEEL, lm.LEFT_TOE, lm.RIGHT_TOE)


@dataclass(frozen=True)
class View:
    """What the camera sees.

    side: the side of the person that faces the camera ("left" | "right").
    yaw_deg: 0 = pure side view .. 90 = frontal (or from behind).
    toward: which way the camera is turned off the side view: "front" (it sees some of the chest)
        or "back"; "side" when yaw is small.
    in_frame: the whole body, head to feet, is inside the picture.
    confidence: 0..1, how sure the estimate is (agreement of the cues, amount of evidence).
    """

    side: str
    yaw_deg: float
    in_frame: bool
    confidence: float
    toward: str = "side"
    t: float = 0.0


@dataclass(frozen=True)
class _Obs:
    """The per-frame measurements the view is a median of."""

    t: float
    near: float           # > 0: the left side is the nearer (visibility, z); -1..1
    facing: float         # > 0: the person faces image-right (nose, toes); -1..1
    arms_lr: float        # mean visibility left - right of the arm/head points (swap detector)
    legs_lr: float        # same for the legs
    dx_shoulders: float   # x_left - x_right, pixels
    dx_hips: float
    w_shoulders: float    # weight: the worse visibility of the pair
    w_hips: float
    trunk_dx: float       # hip-mid -> shoulder-mid, pixels
    trunk_dy: float
    upright: bool


def _clip1(v: float) -> float:
    return max(-1.0, min(1.0, v))


def _good(points: np.ndarray, idx: int) -> bool:
    return bool(np.isfinite(points[idx, 0]) and points[idx, 3] >= MIN_POINT_VIS)


def observe(meta: TraceMeta, frame: Frame) -> _Obs | None:
    """Measure one frame; None when the body is too incomplete to say anything."""
    a = frame.landmarks
    if a is None:
        return None
    px = a[:, 0] * meta.width
    py = a[:, 1] * meta.height
    vis = np.nan_to_num(a[:, 3], nan=0.0)
    ls, rs, lh, rh = lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER, lm.LEFT_HIP, lm.RIGHT_HIP
    core = (ls, rs, lh, rh)
    if not all(np.isfinite(px[i]) and np.isfinite(py[i]) for i in core):
        return None
    smx, smy = (px[ls] + px[rs]) / 2, (py[ls] + py[rs]) / 2
    hmx, hmy = (px[lh] + px[rh]) / 2, (py[lh] + py[rh]) / 2
    tdx, tdy = smx - hmx, smy - hmy
    trunk = math.hypot(tdx, tdy)
    if trunk < 4.0:  # a collapsed or tiny body: no scale to measure against
        return None

    # Which way the person faces: toes ahead of heels (always, feet stay on the floor in every
    # lift here) and, with the head up, the nose ahead of the ears.
    facing_votes: list[tuple[float, float]] = []
    for heel, toe in ((lm.LEFT_HEEL, lm.LEFT_TOE), (lm.RIGHT_HEEL, lm.RIGHT_TOE)):
        if _good(a, heel) and _good(a, toe):
            facing_votes.append((_clip1((px[toe] - px[heel]) / (0.25 * trunk)),
                                 min(vis[heel], vis[toe])))
    ears = [e for e in (lm.LEFT_EAR, lm.RIGHT_EAR) if _good(a, e)]
    upright = tdy < 0 and abs(tdx) < 0.35 * trunk
    if upright and ears and _good(a, lm.NOSE):
        ear_x = float(np.mean([px[e] for e in ears]))
        facing_votes.append((_clip1((px[lm.NOSE] - ear_x) / (0.12 * trunk)), vis[lm.NOSE]))
    if facing_votes:
        w = sum(v for _, v in facing_votes)
        facing = sum(s * v for s, v in facing_votes) / w if w > 0 else 0.0
    else:
        facing = 0.0

    # The near side is the more visible one (MediaPipe is surer of what it sees) and the nearer
    # in z (negative z = closer). A label swap flips both; the facing cue does not, which is
    # why the side is a vote of both (see side_scores).
    arms_lr = float(np.mean(vis[_L_ARMS]) - np.mean(vis[_R_ARMS]))
    legs_lr = float(np.mean(vis[_L_LEGS]) - np.mean(vis[_R_LEGS]))
    vis_vote = _clip1((arms_lr + legs_lr) / 2 / 0.15)
    z = a[:, 2]
    dz = [z[right] - z[left] for left, right in _DEPTH_PAIRS if np.isfinite(z[left]) and np.isfinite(z[right])]
    z_vote = _clip1(float(np.mean(dz)) * meta.width / trunk / 0.3) if dz else 0.0
    near = 0.6 * vis_vote + 0.4 * z_vote

    return _Obs(
        t=frame.t, near=near, facing=facing, arms_lr=arms_lr, legs_lr=legs_lr,
        dx_shoulders=float(px[ls] - px[rs]), dx_hips=float(px[lh] - px[rh]),
        w_shoulders=float(min(vis[ls], vis[rs])), w_hips=float(min(vis[lh], vis[rh])),
        trunk_dx=float(tdx), trunk_dy=float(tdy), upright=bool(upright),
    )


def whole_body_in_frame(frame: Frame) -> bool:
    """Head and feet are inside the picture and seen (points outside the frame get low
    visibility from MediaPipe, or coordinates beyond 0..1)."""
    a = frame.landmarks
    if a is None:
        return False
    return part_in_frame(a, HEAD_POINTS) and part_in_frame(a, FEET_POINTS)


def part_in_frame(a: np.ndarray, idx: tuple[int, ...]) -> bool:
    """Most points of a body part are inside the picture and seen."""
    p = a[list(idx)]  # a NaN (missing) point compares False: not inside
    inside = ((p[:, 3] >= MIN_POINT_VIS)
              & (p[:, 0] >= -IN_FRAME_MARGIN) & (p[:, 0] <= 1 + IN_FRAME_MARGIN)
              & (p[:, 1] >= -IN_FRAME_MARGIN) & (p[:, 1] <= 1 + IN_FRAME_MARGIN))
    return int(inside.sum()) * 2 >= len(idx)  # most of the part; the far ear or foot may be hidden


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    v, w = values[order], weights[order]
    c = np.cumsum(w)
    if c[-1] <= 0:
        return float(np.median(values))
    return float(v[np.searchsorted(c, 0.5 * c[-1])])


def side_scores(near: np.ndarray, facing: np.ndarray, mirror: float) -> np.ndarray:
    """Per frame, > 0 when the left side faces the camera. The near-side cue says it directly;
    the facing cue says it through the camera's handedness `mirror`: +1 when a person showing
    their left side faces image-right (the eval suite's convention), -1 for the opposite (an
    unmirrored webcam with MediaPipe's anatomical labels). ViewEstimator learns `mirror`, and
    weighs the facing cue (which label swaps cannot flip) fully once it has (|mirror| = 1) and
    less while it is still a guess (|mirror| < 1)."""
    w = 0.6 if abs(mirror) >= 1.0 else 0.3
    return (1.0 - w) * near + w * (1.0 if mirror >= 0 else -1.0) * facing


def estimate(obs: list[_Obs] | tuple[_Obs, ...],
             mirror: float = 1.0) -> tuple[str, float, str, float] | None:
    """(side, yaw_deg, toward, confidence) from a window of observations, or None."""
    if not obs:
        return None
    m = np.array([(o.near, o.facing, o.arms_lr, o.legs_lr, o.dx_shoulders, o.dx_hips,
                   o.w_shoulders + o.w_hips, o.trunk_dx, o.trunk_dy, o.upright) for o in obs])
    scores = side_scores(m[:, 0], m[:, 1], mirror)
    side_score = float(np.median(scores))
    left = side_score >= 0  # exactly 0 (a frontal view) has no side: say left, with no confidence
    sign = 1.0 if left else -1.0
    agreement = float(np.mean(np.sign(scores) == sign))

    upright = m[:, 9] > 0
    if upright.sum() >= max(MIN_FRAMES, len(obs) // 4):
        m = m[upright]  # a hinge changes the projection; standing frames are cleanest
    # (else e.g. a hip thrust, whose trunk is never vertical: use every frame)
    # Undo label swaps frame by frame: a swap carries the visibility with it, so when a group's
    # visibility says clearly that the far side is the near one, that group's labels are
    # swapped (near-equal visibility, as in a view close to frontal, is not evidence).
    dxs = m[:, 4] * np.where(m[:, 2] * sign < -SWAP_VIS_MARGIN, -1.0, 1.0)
    dxh = m[:, 5] * np.where(m[:, 3] * sign < -SWAP_VIS_MARGIN, -1.0, 1.0)
    across = sign * (dxs + dxh)  # x_near - x_far: a consistent sign is a consistent camera
    trunk = _trunk_length(m[:, 7], m[:, 8], across)
    weights = m[:, 6]
    keep = (trunk > 0) & (weights > 0)
    if not keep.any():
        return None
    ratio = across[keep] / ((SHOULDER_WIDTH_PER_TRUNK + HIP_WIDTH_PER_TRUNK) * trunk[keep])
    r = _weighted_median(ratio, weights[keep])
    yaw = math.degrees(math.asin(min(1.0, abs(r))))
    # The near shoulder shows behind the far one (against the facing direction) when the camera
    # is turned toward the person's front.
    if yaw < 8.0:
        toward = "side"
    else:
        votes = across[keep] * np.where(m[keep, 1] >= 0, 1.0, -1.0)
        toward = "front" if float(np.median(votes)) < 0 else "back"
    evidence = min(1.0, len(obs) / 30.0)
    confidence = round(max(0.0, min(1.0, (2 * agreement - 1) * min(1.0, abs(side_score) / 0.3)
                                    * evidence)), 2)
    return ("left" if left else "right", yaw, toward, confidence)


def _trunk_length(trunk_dx: np.ndarray, trunk_dy: np.ndarray, across: np.ndarray) -> np.ndarray:
    """The trunk's true length T in pixels. Its vertical part v shows fully; its part along the
    facing direction shows cos(yaw) of itself (h = T_h*cos(yaw)), which matters when the trunk
    is not upright. With A = T*sin(yaw) the width seen across the body,
    T^2 = h^2/(1 - A^2/T^2) + v^2, whose larger root is below (T = v when upright, and
    T^2 = A^2 + h^2 when the trunk is level as in a hip thrust)."""
    h2 = trunk_dx * trunk_dx
    v2 = trunk_dy * trunk_dy
    a2 = (np.abs(across) / (SHOULDER_WIDTH_PER_TRUNK + HIP_WIDTH_PER_TRUNK)) ** 2
    s = a2 + h2 + v2
    return np.sqrt((s + np.sqrt(np.maximum(s * s - 4.0 * v2 * a2, 0.0))) / 2.0)


class ViewEstimator:
    """Keeps the view up to date from a stream of frames.

    feed() returns a ViewChanged when the view is first known, when the side flips (after
    SIDE_PERSIST re-estimates past SIDE_MARGIN), when the yaw moves by YAW_STEP_DEG or more, or
    when the whole body enters or leaves the frame (judged over IN_FRAME_WINDOW_S)."""

    def __init__(self, meta: TraceMeta):
        self.meta = meta
        self._obs: deque[_Obs] = deque()
        self._in_frame: deque[tuple[float, bool]] = deque()
        self._view: View | None = None
        self._emitted: View | None = None
        self._last_compute = -math.inf
        self._flip_count = 0
        self._in_frame_state: bool | None = None
        # Time spent in each (side, whole degree of yaw), preferring in-frame time: a bounded
        # summary of an hour-long session for settled().
        self._dwell = {side: np.zeros((2, 91)) for side in ("left", "right")}
        # Evidence for the camera's handedness (see side_scores): starts at none and follows
        # what the frames show, so a mirrored or unmirrored camera both work. Capped so a long
        # session can still correct an early mistake.
        self._handedness = HANDEDNESS_PRIOR_S
        self._side_sure = False  # the side told so far rests on a known handedness
        self._first_estimate_t: float | None = None
        self._last_obs_t: float | None = None

    @property
    def mirror(self) -> float:
        """+1: a person showing their left side faces image-right; -1: image-left; +-0.5 while
        the frames have not yet shown it clearly."""
        sure = abs(self._handedness) >= HANDEDNESS_SURE_S
        return (1.0 if sure else 0.5) * (1.0 if self._handedness >= 0 else -1.0)

    def current(self) -> View | None:
        """The view now (it follows the person when they turn to walk off)."""
        return self._view

    def settled(self) -> View | None:
        """The view that held longest while the whole body was in frame (or, if it never was, at
        all): what a report of the workout should state, not the last glance at someone leaving."""
        if self._view is None:
            return None
        row = 1 if any(d[1].sum() > 0 for d in self._dwell.values()) else 0
        side = max(self._dwell, key=lambda s: self._dwell[s][row].sum())
        hist = self._dwell[side][row]
        if hist.sum() <= 0:
            return self._view
        c = np.cumsum(hist)
        yaw = float(np.searchsorted(c, 0.5 * c[-1]))
        if side == self._view.side and abs(self._view.yaw_deg - yaw) < 1.0:
            yaw = self._view.yaw_deg
        toward = self._view.toward if side == self._view.side else "side"
        return View(side, yaw, self._in_frame_state is True or row == 1, self._view.confidence,
                    toward, self._view.t)

    def feed(self, frame: Frame) -> ViewChanged | None:
        t = frame.t
        self._in_frame.append((t, whole_body_in_frame(frame)))
        while self._in_frame and self._in_frame[0][0] < t - IN_FRAME_WINDOW_S:
            self._in_frame.popleft()
        o = observe(self.meta, frame)
        if o is not None:
            self._obs.append(o)
            # Frames where both cues are clear say how facing maps to side on this camera
            # (weighted by time, so the frame rate does not matter).
            dt = 0.0 if self._last_obs_t is None else min(0.2, t - self._last_obs_t)
            self._last_obs_t = t
            self._handedness = max(-HANDEDNESS_CAP_S, min(
                HANDEDNESS_CAP_S, self._handedness + o.near * o.facing * dt))
        while self._obs and self._obs[0].t < t - WINDOW_S:
            self._obs.popleft()
        if t - self._last_compute < RECOMPUTE_S:
            return None
        dt = min(t - self._last_compute, 1.0) if math.isfinite(self._last_compute) else 0.0
        self._last_compute = t
        event = self._update(t)
        if self._view is not None and dt > 0:
            yaw_bin = min(90, int(round(self._view.yaw_deg)))
            self._dwell[self._view.side][1 if self._view.in_frame else 0, yaw_bin] += dt
        return event

    def _update_in_frame(self) -> bool:
        share = sum(1 for _, ok in self._in_frame if ok) / max(1, len(self._in_frame))
        if self._in_frame_state is None:
            self._in_frame_state = share >= 0.5
        elif self._in_frame_state and share < 0.3:
            self._in_frame_state = False
        elif not self._in_frame_state and share > 0.7:
            self._in_frame_state = True
        return self._in_frame_state

    def _update(self, t: float) -> ViewChanged | None:
        in_frame = self._update_in_frame()
        enough = (len(self._obs) >= MIN_FRAMES and self._obs[-1].t - self._obs[0].t >= MIN_SPAN_S)
        est = estimate(list(self._obs), self.mirror) if enough else None
        if est is None:
            if self._view is not None and self._view.in_frame != in_frame:
                self._view = View(self._view.side, self._view.yaw_deg, in_frame,
                                  self._view.confidence, self._view.toward, t)
                return self._emit(t)
            return None
        side, yaw, toward, confidence = est
        sure = abs(self._handedness) >= HANDEDNESS_SURE_S
        if self._first_estimate_t is None:
            self._first_estimate_t = t
        if not sure or not self._side_sure:
            # Until the handedness is known the side is a guess: kept for the yaw, not told, and
            # replaced at once when it becomes known. A camera at the front may never show it:
            # after a while the view is told anyway (its yaw is what matters there).
            self._side_sure = sure
            self._view = View(side, round(yaw, 1), in_frame, confidence, toward, t)
            waited = t - self._first_estimate_t >= UNSURE_SIDE_WAIT_S
            if sure or (waited and self._emitted is None):
                return self._emit(t)
            return None
        if self._view is not None and side != self._view.side:
            # Hysteresis: a flip must be clear and last, or short swaps would flap the side.
            median_score = float(np.median(side_scores(np.array([o.near for o in self._obs]),
                                                       np.array([o.facing for o in self._obs]),
                                                       self.mirror)))
            self._flip_count = self._flip_count + 1 if abs(median_score) > SIDE_MARGIN else 0
            if self._flip_count < SIDE_PERSIST:
                side = self._view.side
            else:
                self._flip_count = 0
        else:
            self._flip_count = 0
        self._view = View(side, round(yaw, 1), in_frame, confidence, toward, t)
        prev = self._emitted
        if (prev is None or prev.side != side or prev.in_frame != in_frame
                or abs(prev.yaw_deg - yaw) >= YAW_STEP_DEG):
            return self._emit(t)
        return None

    def _emit(self, t: float) -> ViewChanged:
        assert self._view is not None
        self._emitted = self._view
        v = self._view
        return ViewChanged(t=t, side=v.side, yaw_deg=v.yaw_deg, in_frame=v.in_frame)


def view_of(meta: TraceMeta, frames, max_s: float | None = None) -> View | None:
    """The view after feeding `frames` (or their first `max_s` seconds): a convenience for
    benches and one-shot checks."""
    est = ViewEstimator(meta)
    t0 = None
    for f in frames:
        if t0 is None:
            t0 = f.t
        if max_s is not None and f.t - t0 > max_s:
            break
        est.feed(f)
    return est.current()
