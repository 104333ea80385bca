"""The small immutable events the stages exchange. Every event carries the trace's time `t` (s)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class PoseLost:
    """No usable person in the frame (MediaPipe found nobody, or the body is too incomplete)."""

    t: float


@dataclass(frozen=True)
class PoseFound:
    t: float


class Phase(StrEnum):
    """Where the rep machine is in a rep (a str: logs and JSON carry the plain word)."""

    UNKNOWN = "unknown"  # no person yet, or after a gap
    TOP = "top"
    LOWERING = "lowering"
    BOTTOM = "bottom"
    RISING = "rising"
    LOCKOUT = "lockout"


@dataclass(frozen=True)
class PhaseChanged:
    """The rep machine entered `phase` (top, lowering, bottom, rising, lockout)."""

    t: float
    phase: Phase
    rep: int  # index of the rep in progress (1-based); 0 before the first


# Every fault the core can judge, most important first: the ones that load the spine or risk a
# fall, then the rest. Exercise files, cue files and the cue policy are checked against this list;
# a rep's faults are listed, and the one correction a rep gets is chosen, in this order.
FAULT_IDS = ("spine_rounding", "balance", "load_drift", "knee_dominant", "lockout_lean_back",
             "arm_driven_swing", "incomplete_lockout", "rushed_lowering")


@dataclass(frozen=True)
class Fault:
    """A form fault judged on one rep, with the numbers that tripped it."""

    id: str
    phase: str
    severity: str  # "mild" | "moderate" | "severe"
    evidence: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "phase": self.phase, "severity": self.severity,
                "evidence": dict(self.evidence)}


@dataclass(frozen=True)
class RepCounted:
    """A rep was completed: `t` is the count moment (= end of the rep window)."""

    t: float
    rep: int
    start: float  # start of the rep window
    end: float


@dataclass(frozen=True)
class NotCounted:
    """A movement that looked like a rep was not counted: when (`t`: the moment it was
    refused), the rule that refused it and the reason in words."""

    t: float
    rule: str
    reason: str


@dataclass(frozen=True)
class FaultFound:
    """A fault on rep `rep`. Emitted as soon as it can be judged (often before or at the count)."""

    t: float
    rep: int
    fault: Fault


@dataclass(frozen=True)
class RepJudged:
    """The final verdict on a rep's form, once everything that belongs to it has been seen.

    For floor-start lifts that is after the lowering that follows lockout."""

    t: float
    rep: int
    judged: bool
    faults: tuple[Fault, ...]
    not_judged: Mapping[str, str] = field(default_factory=dict)  # fault id -> reason


@dataclass(frozen=True)
class ViewChanged:
    t: float
    side: str  # "left" | "right": the side of the person that faces the camera
    yaw_deg: float
    in_frame: bool


# --- session events (the session state machine emits them; cue policy and log consume them) ---

@dataclass(frozen=True)
class ExerciseChanged:
    t: float
    exercise: str


@dataclass(frozen=True)
class SetStarted:
    t: float
    set_no: int
    exercise: str
    target_reps: int | None = None


@dataclass(frozen=True)
class SetEnded:
    t: float
    set_no: int
    exercise: str
    reps: int
    fault_counts: Mapping[str, int] = field(default_factory=dict)  # fault id -> reps with it
    rest_s: float | None = None


@dataclass(frozen=True)
class RestStarted:
    t: float
    seconds: float


@dataclass(frozen=True)
class RestEnded:
    t: float
    skipped: bool = False


@dataclass(frozen=True)
class Paused:
    t: float


@dataclass(frozen=True)
class Resumed:
    t: float


# --- voice and speech ---

@dataclass(frozen=True)
class Command:
    """Base of every voice command (the commands themselves: coach.core.commands)."""

    def to_json(self) -> dict[str, Any]:
        return {"command": type(self).__name__, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class CommandHeard:
    """A voice command, parsed (`command` is a coach.core.commands Command object)."""

    t: float
    command: Command
    text: str = ""
    # the recognizer was unsure and the command discards or ends something: ask before doing it
    # (the session holds it and asks, ConfirmAsked; what needs asking is vocabulary data)
    confirm: bool = False


@dataclass(frozen=True)
class ConfirmAsked:
    """An unsure command that discards or ends something is held, not done: the coach asks
    ("Finish the workout? Say yes."). A "yes" within the session's window does it."""

    t: float
    command: Command


@dataclass(frozen=True)
class Confirmed:
    """The lifter said "yes": the held command is done now, as if it had been heard sure."""

    t: float
    command: Command


@dataclass(frozen=True)
class ConfirmDropped:
    """The held command is not done. `reason`: "no" (the lifter said no), "timeout" (no answer
    within the window), "other" (another command came instead; it is done as usual)."""

    t: float
    command: Command
    reason: str


@dataclass(frozen=True)
class Cue:
    """Something the coach decided to say. Higher `priority` may pre-empt lower ones."""

    t: float
    text: str
    kind: str  # correction | praise | count | set | safety | system | confirm | help | view
    priority: int
    key: str = ""  # the cue library id it came from, e.g. "fault.spine_rounding.short"
    rep: int | None = None
    fault: str | None = None


@dataclass(frozen=True)
class CueSpoken:
    """Speech output actually started playing `cue` at time `t` (the sink's clock)."""

    t: float
    cue: Cue


# --- session bookkeeping (emitted by coach.core.session; read by the log, the report and the cue policy) ---

@dataclass(frozen=True)
class RepRecorded:
    """A rep accepted into set `set_no` as its `rep`-th rep. Emitted at the count (judged=False,
    the faults seen so far) and again once the analysis has judged it (judged=True, final faults)."""

    t: float
    exercise: str
    set_no: int
    rep: int
    start: float
    end: float
    faults: tuple[Fault, ...] = ()
    judged: bool = False


@dataclass(frozen=True)
class RepUndone:
    """The last rep of the set was taken back ("that wasn't a rep"); `reps` is the count now."""

    t: float
    set_no: int
    reps: int


@dataclass(frozen=True)
class TargetChanged:
    t: float
    target_reps: int | None


@dataclass(frozen=True)
class Answered:
    """The session's answer to a question ("count": how many, "last_rep": how was that rep,
    "status"): the cue policy turns it into words."""

    t: float
    question: str
    exercise: str
    set_no: int
    reps: int
    target_reps: int | None = None
    faults: tuple[str, ...] = ()  # fault ids of the last rep (for "last_rep")
    rest_left_s: float | None = None


@dataclass(frozen=True)
class WorkoutFinished:
    t: float
    sets: int
    reps: int


@dataclass(frozen=True)
class CommandRejected:
    """Speech clearly addressed to the coach (wake word heard) that was not understood:
    the coach says "Sorry, say that again". Speech not addressed to it gives no event."""

    t: float
    text: str = ""
    reason: str = ""


Event = (PoseLost | PoseFound | PhaseChanged | RepCounted | FaultFound | RepJudged | ViewChanged
         | ExerciseChanged | SetStarted | SetEnded | RestStarted | RestEnded | Paused | Resumed
         | CommandHeard | CommandRejected | Cue | CueSpoken | RepRecorded | RepUndone | TargetChanged | Answered
         | WorkoutFinished | NotCounted | ConfirmAsked | Confirmed | ConfirmDropped)
