"""Camera set-up by ear: what is wrong with the framing, and what the view allows to judge, as
spoken cues. Pure: frames and a `rep_in_progress` flag in, `Cue` events (kind "view") out.

Talks before the first set and whenever the framing or the view changes; repeats a problem a few
times while the set-up is not yet good; never talks during a rep (what it would have said waits
for the rep to end, if it is still true then). Texts come from the cue library (`view.*` ids in
cues/en/view.toml); the built-in English below stands in for a missing or broken library.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from coach.core import landmarks as lm
from coach.core.events import Cue
from coach.core.frames import Frame, TraceMeta
from coach.core.view import FEET_POINTS, HEAD_POINTS, View, ViewEstimator, part_in_frame
from coach.core.view_rules import ViewRules, fault_verdicts

BUILTIN_EN = {
    "view.framing.nobody": "I can't see anyone. Step in front of the camera.",
    "view.framing.two_people": "I can see more than one person. Only the lifter in the picture, please.",
    "view.framing.dark": "It's too dark or blurry for me to see you well. More light, please.",
    "view.framing.too_close": "Step back, I can't see all of you.",
    "view.framing.feet_out": "Step back, I can't see your feet.",
    "view.framing.head_out": "I can't see your head. Step back, or tilt the camera up.",
    "view.framing.edge": "You're at the edge of the picture. Move toward the middle.",
    "view.framing.too_small": "Come closer, you're small in the picture.",
    "view.framing.good": "That's good. Stay there.",
    "view.side.sentence": "I can see you from your {side} side.",
    "view.side.left": "left",
    "view.side.right": "right",
    "view.side.front_sentence": "I can see you mostly from the front.",
    "view.side.back_sentence": "I can see you mostly from behind.",
    "view.judge.can": "I can judge {things}.",
    "view.judge.too_front": "The camera is too far to your front to judge {things}: move it to your side.",
    "view.judge.too_back": "The camera is too far behind you to judge {things}: move it to your side.",
    "view.judge.whole_body": "I need to see all of you to judge {things}.",
    "view.thing.knee_dominant": "your hinge",
    "view.thing.spine_rounding": "your back",
    "view.thing.lockout_lean_back": "your lockout",
    "view.thing.incomplete_lockout": "your lockout",
    "view.thing.load_drift": "the bar path",
    "view.thing.balance": "your balance",
    "view.thing.rushed_lowering": "your tempo",
    "view.thing.arm_driven_swing": "your arm swing",
    "view.list.and": "and",
}

# Most important first: the first problem found is the one said.
PROBLEMS = ("nobody", "two_people", "dark", "too_close", "feet_out", "head_out", "edge", "too_small")
# Problems that do not stop the coach from judging: the view is still worth saying with them.
SOFT_PROBLEMS = ("edge", "too_small")

HOLD_S = 1.0            # a framing state must hold this long before it is said
HOLD_AFTER_SETUP_S = 3.0  # once set up, a problem must hold longer (someone walking off is
                          # gone before it matters)
NOBODY_HOLD_S = 2.0     # nobody there: a little longer (dropouts are common)
REPEAT_S = 10.0         # repeat an unsolved problem this often during set-up...
MAX_REPEATS = 2         # ...at most this many times
SMALL_BODY = 0.30       # stature under this share of the image height: "come closer"
SIZE_WINDOW_S = 4.0     # ...judged on the largest size seen over this long
DARK_VIS = 0.55         # mean visibility of the near side's body points under this: too dark
EDGE = 0.01             # a core point this close to the left/right border: at the edge
VIEW_SETTLE_S = 2.0     # the view sentence waits until what it would say has held this long
FRONTAL_YAW = 60.0      # past this the camera sees the front (or back) more than the side
JUMP_BODY = 0.35        # the body centre jumping by this share of the body size between frames...
JUMP_GAP_S = 0.2        # ...within this time, is the tracker switching people
JUMPS_FOR_TWO = 3       # ...this many times within TWO_WINDOW_S
TWO_WINDOW_S = 4.0

_BODY_PAIRS = (lm.SIDE_JOINTS["shoulder"], lm.SIDE_JOINTS["hip"], lm.SIDE_JOINTS["knee"],
               lm.SIDE_JOINTS["ankle"])
_EDGE_POINTS = (lm.NOSE, lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER, lm.LEFT_HIP, lm.RIGHT_HIP,
                lm.LEFT_KNEE, lm.RIGHT_KNEE, lm.LEFT_ANKLE, lm.RIGHT_ANKLE)


class Texts(Protocol):
    """What the guide needs of a cue library (coach.core.cues.CueLibrary fits)."""

    def has(self, cue_id: str) -> bool: ...
    def render(self, cue_id: str, variant: int = 0, **values: Any) -> str: ...


def stature_share(meta: TraceMeta, a: np.ndarray) -> float | None:
    """The person's standing height as a share of the image height, from segment lengths (trunk,
    thigh, shin ~ 0.78 of stature), so it does not shrink when they hinge or squat."""
    px, py = a[:, 0] * meta.width, a[:, 1] * meta.height
    total = 0.0
    for (l1, r1), (l2, r2) in zip(_BODY_PAIRS, _BODY_PAIRS[1:]):
        best = 0.0
        for p, q in ((l1, l2), (r1, r2)):
            if np.isfinite(px[p]) and np.isfinite(px[q]):
                best = max(best, math.hypot(px[p] - px[q], py[p] - py[q]))
        if best == 0.0:
            return None
        total += best
    return total / 0.78 / meta.height


def frame_problems(meta: TraceMeta, frame: Frame, share: float | None = None) -> list[str]:
    """What is wrong with this one frame's framing, most important first ([] = nothing).
    `share` is stature_share() of the frame when the caller has it already."""
    a = frame.landmarks
    if a is None:
        return ["nobody"]
    out: list[str] = []
    vis = np.nan_to_num(a[:, 3], nan=0.0)
    near = [max(vis[left], vis[right]) for left, right in _BODY_PAIRS[:3]]  # shoulders, hips, knees
    if float(np.mean(near)) < DARK_VIS:
        out.append("dark")
    head = part_in_frame(a, HEAD_POINTS)  # the same test as the view's in_frame
    feet = part_in_frame(a, FEET_POINTS)
    if not head and not feet:
        out.append("too_close")
    elif not feet:
        out.append("feet_out")
    elif not head:
        out.append("head_out")
    xs = [a[i, 0] for i in _EDGE_POINTS if np.isfinite(a[i, 0])]
    if xs and (min(xs) < EDGE or max(xs) > 1 - EDGE):
        out.append("edge")
    if share is None:
        share = stature_share(meta, a)
    if share is not None and share < SMALL_BODY and not out:
        out.append("too_small")
    return out


@dataclass(frozen=True)
class _Said:
    key: str
    t: float


class FramingGuide:
    """Decides what to say about the camera set-up.

    Give it an `estimator` that someone else feeds (e.g. the analysis') to share one view; without
    one it keeps its own. `exercise` picks the faults the view sentence talks about."""

    def __init__(self, meta: TraceMeta, exercise: str | None = None, texts: Texts | None = None,
                 estimator: ViewEstimator | None = None, rules: ViewRules | None = None,
                 priority: int = 55):
        self.meta = meta
        self.exercise = exercise
        self.texts = texts
        self.rules = rules
        self.priority = priority
        self._own_estimator = estimator is None
        self.estimator = estimator if estimator is not None else ViewEstimator(meta)
        self._recent: deque[tuple[float, str]] = deque()  # (t, the frame's top problem or "good")
        self._state: str | None = None   # the framing state that has held HOLD_S
        self._candidate: tuple[str, float] | None = None
        self._said_problem: _Said | None = None
        self._repeats = 0
        self._setup_done = False
        self._said_view: tuple | None = None
        self._pending_view: tuple[tuple, float] | None = None  # (content, since)
        self._last_view: View | None = None
        self._variant: dict[str, int] = {}
        self._last_centre: tuple[float, float, float] | None = None  # t, x, y (pixels)
        self._jumps: deque[float] = deque()
        self._sizes: deque[tuple[float, float]] = deque()  # (t, stature share)

    # --- state -----------------------------------------------------------------------------
    @property
    def state(self) -> str | None:
        """The current framing: a problem id from PROBLEMS, "good", or None (not known yet)."""
        return self._state

    def _two_people(self, frame: Frame, share: float | None) -> bool:
        a = frame.landmarks
        if a is None:
            return False
        px, py = a[:, 0] * self.meta.width, a[:, 1] * self.meta.height
        ok = np.isfinite(px) & np.isfinite(py)
        if ok.sum() < 10:
            return False
        cx, cy = float(np.median(px[ok])), float(np.median(py[ok]))
        size = (share or 0.0) * self.meta.height
        prev = self._last_centre
        self._last_centre = (frame.t, cx, cy)
        if (prev is not None and size > 0 and frame.t - prev[0] <= JUMP_GAP_S
                and math.hypot(cx - prev[1], cy - prev[2]) > JUMP_BODY * size):
            self._jumps.append(frame.t)
        while self._jumps and self._jumps[0] < frame.t - TWO_WINDOW_S:
            self._jumps.popleft()
        return len(self._jumps) >= JUMPS_FOR_TWO

    def _update_state(self, frame: Frame) -> None:
        t = frame.t
        share = stature_share(self.meta, frame.landmarks) if frame.landmarks is not None else None
        if share is not None:
            # A body does not shrink, but its segments foreshorten when it bends: the size is
            # the largest seen lately.
            self._sizes.append((t, share))
        while self._sizes and self._sizes[0][0] < t - SIZE_WINDOW_S:
            self._sizes.popleft()
        if share is not None:
            share = max(s for _, s in self._sizes)
        problems = frame_problems(self.meta, frame, share)
        if self._two_people(frame, share) and "nobody" not in problems:
            problems.insert(0, "two_people")
        self._recent.append((t, problems[0] if problems else "good"))
        while self._recent and self._recent[0][0] < t - HOLD_S:
            self._recent.popleft()
        counts: dict[str, int] = {}
        for _, p in self._recent:
            counts[p] = counts.get(p, 0) + 1
        majority = max(counts, key=lambda p: (counts[p], -PROBLEMS.index(p) if p in PROBLEMS else 1))
        if majority == self._state:
            self._candidate = None
            return
        if self._candidate is None or self._candidate[0] != majority:
            self._candidate = (majority, t)
        hold = NOBODY_HOLD_S if majority == "nobody" else HOLD_S
        if self._setup_done and majority != "good":
            hold = max(hold, HOLD_AFTER_SETUP_S)
        if t - self._candidate[1] >= hold:
            self._state = majority
            self._candidate = None

    # --- talking ---------------------------------------------------------------------------
    def feed(self, frame: Frame, rep_in_progress: bool = False) -> list[Cue]:
        if self._own_estimator:
            self.estimator.feed(frame)
        self._update_state(frame)
        if rep_in_progress or self._state is None:
            return []
        t = frame.t
        state = self._state
        out: list[Cue] = []
        if state == "good":
            if self._said_problem is not None and self._said_problem.key != "good" \
                    and not self._setup_done:
                out.append(self._cue(t, "view.framing.good"))
            self._said_problem = _Said("good", t)
            view_cues = self._view_cues(t)
            if view_cues:
                self._setup_done = True  # set up = the good framing and the view were said
            out.extend(view_cues)
            return out
        if self._setup_done and state == "nobody":
            return []  # between sets the person may simply be away; the session says person_lost
        said = self._said_problem
        if said is None or said.key != state:
            self._said_problem = _Said(state, t)
            self._repeats = 0
            out.append(self._cue(t, f"view.framing.{state}"))
        elif not self._setup_done and t - said.t >= REPEAT_S and self._repeats < MAX_REPEATS:
            self._said_problem = _Said(state, t)
            self._repeats += 1
            out.append(self._cue(t, f"view.framing.{state}"))
        if state in SOFT_PROBLEMS and self._said_problem is not None:
            view_cues = self._view_cues(t)
            if view_cues:
                self._setup_done = True  # good enough: the coach can judge from here
            out.extend(view_cues)
        return out

    def _view_cues(self, t: float) -> list[Cue]:
        view = self.estimator.current()
        if view is None or (view is self._last_view and self._pending_view is None):
            return []  # nothing new to say (the estimator makes a new View when it re-estimates)
        self._last_view = view
        # The framing is good right now, so the body is in the picture whatever the view's slower
        # in_frame says; the framing cues speak about the picture, the view cue about the angle.
        lines = view_sentences(replace(view, in_frame=True), self.exercise, self._text, self.rules)
        key = tuple(k for k, _ in lines)  # the content, not the exact yaw
        if key == self._said_view:
            self._pending_view = None
            return []
        if self._pending_view is None or self._pending_view[0] != key:
            self._pending_view = (key, t)  # e.g. someone walking in: wait until it settles
        if t - self._pending_view[1] < VIEW_SETTLE_S:
            return []
        self._said_view = key
        self._pending_view = None
        text = " ".join(s for _, s in lines)
        return [Cue(t, text, "view", self.priority, lines[0][0].split(":")[0])]

    def _cue(self, t: float, cue_id: str) -> Cue:
        return Cue(t, self._text(cue_id), "view", self.priority, cue_id)

    def _text(self, cue_id: str, **values: Any) -> str:
        n = self._variant.get(cue_id, 0)
        self._variant[cue_id] = n + 1
        if self.texts is not None and self.texts.has(cue_id):
            return self.texts.render(cue_id, n, **values)
        return BUILTIN_EN[cue_id].format(**values)


def join_things(things: list[str], and_word: str) -> str:
    """["your hinge", "your back", "your lockout"] -> "your hinge, your back and your lockout"."""
    if len(things) <= 1:
        return "".join(things)
    return f"{', '.join(things[:-1])} {and_word} {things[-1]}"


def view_sentences(view: View, exercise: str | None, text=None,
                   rules: ViewRules | None = None) -> list[tuple[str, str]]:
    """The view said in words: [(cue id, sentence), ...]. The ids double as the content key (side,
    what can and cannot be judged), so a repeat is only said when something changed.

    `text(cue_id, **values) -> str` renders a cue (default: the built-in English)."""
    render = text or (lambda cue_id, **v: BUILTIN_EN[cue_id].format(**v))
    and_word = render("view.list.and")
    out: list[tuple[str, str]] = []
    if view.yaw_deg >= FRONTAL_YAW:
        which = "back_sentence" if view.toward == "back" else "front_sentence"
        out.append((f"view.side.{which}", render(f"view.side.{which}")))
    else:
        out.append((f"view.side.sentence:{view.side}",
                    render("view.side.sentence", side=render(f"view.side.{view.side}"))))
    if exercise is None:
        return out
    verdicts = fault_verdicts(exercise, view, rules)
    ok = [fid for fid, block, _ in verdicts if block is None]
    by_yaw = [fid for fid, block, _ in verdicts if block == "yaw"]
    by_frame = [fid for fid, block, _ in verdicts if block == "frame"]

    def things(ids: list[str], exclude: frozenset[str] | set[str] = frozenset()) -> list[str]:
        seen: list[str] = []
        for fid in ids:
            phrase = render(f"view.thing.{fid}")
            if phrase not in seen and phrase not in exclude:
                seen.append(phrase)
        return seen

    can = things(ok)
    if can:
        out.append(("view.judge.can:" + ",".join(ok), render("view.judge.can",
                                                            things=join_things(can, and_word))))
    cannot = things(by_yaw, set(can))
    if cannot:
        which = "too_back" if view.toward == "back" else "too_front"
        out.append((f"view.judge.{which}:" + ",".join(by_yaw),
                    render(f"view.judge.{which}", things=join_things(cannot, and_word))))
    missing = things(by_frame, set(can) | set(cannot))
    if missing:
        out.append(("view.judge.whole_body:" + ",".join(by_frame),
                    render("view.judge.whole_body", things=join_things(missing, and_word))))
    return out
