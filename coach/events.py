"""The small immutable events the stages exchange. Every event carries the trace's time `t` (s)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class PoseLost:
    """No usable person in the frame (MediaPipe found nobody, or the body is too incomplete)."""

    t: float


@dataclass(frozen=True)
class PoseFound:
    t: float


@dataclass(frozen=True)
class PhaseChanged:
    """The rep machine entered `phase` (top, lowering, bottom, rising, lockout)."""

    t: float
    phase: str
    rep: int  # index of the rep in progress (1-based); 0 before the first


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


Event = PoseLost | PoseFound | PhaseChanged | RepCounted | FaultFound | RepJudged | ViewChanged
