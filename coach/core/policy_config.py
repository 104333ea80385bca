"""The cue policy's settings (cues/policy.toml): how often to count, when to correct, which
fault matters most, how urgent each kind of cue is. Validated on load, naming the file and key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from coach.core.datafile import cues_root, read_toml
from coach.core.errors import CoachError
from coach.core.events import FAULT_IDS

SEVERITIES = ("mild", "moderate", "severe")


@dataclass(frozen=True)
class PolicyConfig:
    """Everything a coach may tune; `cues/policy.toml` overrides the defaults."""

    count_every: int = 1  # 1 = every rep, 5 = every fifth rep, 0 = no counts
    countdown_from: int = 3  # "8. 2 more." when this many reps or fewer are left (0 = off)
    cooldown_reps: int = 2  # a cued fault is not cued again within this many reps
    # after any correction, a style (non-safety) correction waits this many reps: one thing to
    # think about at a time, and room for the counts; safety faults may come on the next rep
    correction_gap_reps: int = 2
    escalate_at: int = 2  # the 2nd cue of a fault that persists uses the "escalate" wording
    lower_load_at: int = 3  # the 3rd suggests a lighter load
    praise: bool = True
    min_severity: str = "mild"  # faults below this are not cued (still summarised)
    # a mild (borderline) fault is cued only when the rep before had it too: a coach does not
    # call a one-off that is barely past the line (and borderline calls are the least certain)
    mild_needs_repeat: bool = True
    # most important first: the faults that load the spine or risk a fall come first
    fault_order: tuple[str, ...] = FAULT_IDS
    safety_faults: frozenset[str] = frozenset({"spine_rounding", "balance", "load_drift"})
    unloaded_exercises: frozenset[str] = frozenset({"hip_hinge_drill"})  # no "lower the load"
    see_physio_share: float = 0.5  # a safety fault on this share of a set's reps -> see a physio
    person_lost_repeat_s: float = 20.0
    rest_warning_s: float = 10.0
    # One scale for everything said. The count is what a lifter who cannot see a screen must
    # hear, on time: it cuts whatever plays but another count, and what it cuts is said after it
    # (speech_queue.arbitrate); a safety message cuts anything but a count being said.
    priorities: Mapping[str, int] = field(default_factory=lambda: {
        "safety": 95, "count": 90, "safety_correction": 75, "system": 70, "confirm": 65,
        "correction": 60, "set": 50, "view": 45, "help": 45, "praise": 40})
    # pre-emption: a new cue cuts the playing one if it is this much more important, or at
    # least `always_preempts` (safety); a count is never cut in its first moments (it is short)
    preempt_margin: int = 10
    count_grace_s: float = 0.8
    always_preempts: int = 95
    # a waiting cue older than this when its turn comes is dropped (stale); absent = never
    max_wait_s: Mapping[str, float] = field(default_factory=lambda: {
        "count": 1.0, "safety": 2.0, "system": 2.0, "confirm": 2.0, "correction": 2.0,
        "view": 2.0, "set": 2.0, "help": 2.0, "praise": 2.0})
    # how fast the voice speaks, to tell whether a sentence fits before the next rep's count
    words_per_s: float = 2.8

    def priority(self, kind: str) -> int:
        return self.priorities.get(kind, self.priorities["set"])


class PolicyConfigError(CoachError):
    pass


def policy_config_from_mapping(data: Mapping[str, Any], where: str) -> PolicyConfig:
    """Build a PolicyConfig from parsed TOML; unknown or mistyped keys raise naming them."""
    base = PolicyConfig()
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if not hasattr(base, key):
            raise PolicyConfigError(f"{where}: unknown setting {key!r}")
        default = getattr(base, key)
        try:
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise TypeError
            elif isinstance(default, (int, float)) and not isinstance(default, bool):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise TypeError
                value = type(default)(value)
            elif isinstance(default, (tuple, frozenset)):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise TypeError
                value = type(default)(value)
            elif isinstance(default, Mapping):
                if not isinstance(value, dict) or not all(
                        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()):
                    raise TypeError
                value = {**default, **value}
            elif isinstance(default, str) and value not in SEVERITIES:
                raise TypeError
        except TypeError:
            raise PolicyConfigError(f"{where}: {key} has the wrong type or value: {value!r}") from None
        if key in ("fault_order", "safety_faults"):
            unknown = sorted(set(value) - set(FAULT_IDS))
            if unknown:
                raise PolicyConfigError(f"{where}: {key} names the unknown fault {unknown[0]!r} "
                                        f"(known: {', '.join(FAULT_IDS)})")
        kwargs[key] = value
    return replace(base, **kwargs)


def load_policy_config(path: str | Path | None = None) -> PolicyConfig:
    """The settings in `path` (default: the shipped cues/policy.toml); PolicyConfigError naming
    the file and the key when it cannot be used."""
    path = Path(path) if path is not None else cues_root() / "policy.toml"
    return policy_config_from_mapping(read_toml(path, PolicyConfigError, "policy file"), str(path))
