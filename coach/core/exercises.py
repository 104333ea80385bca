"""Exercise definitions: data files a coach can read and edit (coach/exercises/*.toml).

Each file says how a rep of that lift moves (where it starts, where it counts), how deep a usual
rep goes, and the fault limits. Loading validates every key and names the file and key in the
error, so a typo in a coach's edit is caught before a workout, not during it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach.core.datafile import read_toml, shipped
from coach.core.errors import CoachError
from coach.core.events import FAULT_IDS

KINDS = ("top_start", "floor_start", "swing")
# The limits each fault check reads: (required, optional). A key not listed is a typo.
_FAULT_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "knee_dominant": (("max_knee_flexion_deg",), ("max_trunk_lean_deg",)),
    "spine_rounding": (("max_fold_deg",), ("max_shoulders_below_hips_leg_lengths",
                                           "max_shoulder_drop_vs_usual_leg_lengths")),
    "lockout_lean_back": (("max_lean_back_deg",), ("hip_line",)),
    "load_drift": (("max_arm_swing_deg", "max_forward_leg_lengths"), ()),
    "balance": ((), ("max_com_ahead_leg_lengths", "max_com_shift_leg_lengths")),  # one or both
    "rushed_lowering": (("max_share_of_usual",), ()),
    "arm_driven_swing": (("max_elbow_flexion_deg", "max_arm_raise_deg"), ()),
    "incomplete_lockout": (("max_hip_flexion_deg",), ()),
}


class ExerciseError(CoachError):
    """A broken exercise file: the message names the file and the key."""


@dataclass(frozen=True)
class Counting:
    """How the rep machine reads hip flexion (degrees; 0 = standing tall)."""

    usual_depth_deg: float  # hip flexion of a usual rep's bottom, before the lifter's own is known
    top_deg: float  # hip flexion at the top, before the lifter's own is known
    lowering_fraction: float  # the descent has begun past this share of the range
    bottom_fraction: float  # a rep must reach this share of the lifter's usual range
    top_fraction: float  # the top is reached within this share of the range
    max_gap_s: float  # a longer gap in the pose forgets the rep in progress
    min_rep_s: float  # faster than this is a twitch, not a rep
    loaded_lockout: bool  # the load hangs in straight arms at the top (floor-start pulls)
    pickup_knee_flexion_deg: float  # knees bent this much in a deeper-than-usual bottom: picking
    # the load up from the floor or putting it down, not a rep of a top-start lift (0 = off)
    bend_from_heights: bool  # a camera at the front or back can count from how much shorter the
    # trunk and thighs look (lifts done standing; not one done lying down)


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    spoken: str  # plural, as the coach says it
    kind: str
    counting: Counting
    faults: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    source: str = ""
    # Faults of this lift the landmarks cannot show reliably: never called, and each rep says why.
    not_judged: Mapping[str, str] = field(default_factory=dict)


_COUNTING_KEYS: dict[str, type] = {
    "usual_depth_deg": float, "top_deg": float, "lowering_fraction": float, "bottom_fraction": float,
    "top_fraction": float, "max_gap_s": float, "min_rep_s": float, "loaded_lockout": bool,
    "pickup_knee_flexion_deg": float, "bend_from_heights": bool,
}


def _get(table: Mapping[str, Any], key: str, typ: type, where: str) -> Any:
    if key not in table:
        raise ExerciseError(f"{where}: missing key '{key}'")
    value = table[key]
    if typ is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, typ) or (typ is not bool and isinstance(value, bool)):
        raise ExerciseError(f"{where}: '{key}' must be {typ.__name__}, got {value!r}")
    return value


def parse_exercise(data: Mapping[str, Any], source: str) -> Exercise:
    ex_id = _get(data, "id", str, source)
    kind = _get(data, "kind", str, source)
    if kind not in KINDS:
        raise ExerciseError(f"{source}: 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
    counting_table = data.get("counting")
    if not isinstance(counting_table, dict):
        raise ExerciseError(f"{source}: missing table [counting]")
    unknown = set(counting_table) - set(_COUNTING_KEYS)
    if unknown:
        raise ExerciseError(f"{source}: unknown key 'counting.{sorted(unknown)[0]}'")
    counting = Counting(**{k: _get(counting_table, k, t, f"{source} [counting]")
                           for k, t in _COUNTING_KEYS.items()})
    for k in ("lowering_fraction", "bottom_fraction", "top_fraction"):
        if not 0.0 < getattr(counting, k) < 1.0:
            raise ExerciseError(f"{source}: 'counting.{k}' must lie between 0 and 1")
    if not counting.lowering_fraction < counting.bottom_fraction:
        raise ExerciseError(f"{source}: 'counting.lowering_fraction' must be below 'bottom_fraction'")
    if counting.usual_depth_deg <= 10:
        raise ExerciseError(f"{source}: 'counting.usual_depth_deg' must be more than 10 degrees")
    faults_table = data.get("faults", {})
    if not isinstance(faults_table, dict):
        raise ExerciseError(f"{source}: [faults] must be a table")
    faults: dict[str, dict[str, float]] = {}
    for fid, params in faults_table.items():
        if fid not in FAULT_IDS:
            raise ExerciseError(f"{source}: unknown fault 'faults.{fid}' (known: {', '.join(FAULT_IDS)})")
        if not isinstance(params, dict):
            raise ExerciseError(f"{source}: 'faults.{fid}' must be a table")
        faults[fid] = {}
        for k, v in params.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ExerciseError(f"{source}: 'faults.{fid}.{k}' must be a number, got {v!r}")
            faults[fid][k] = float(v)
        required, optional = _FAULT_KEYS[fid]
        typos = sorted(set(params) - set(required) - set(optional))
        if typos:
            raise ExerciseError(f"{source}: unknown key 'faults.{fid}.{typos[0]}' "
                                f"(known: {', '.join(required + optional)})")
        missing = [k for k in required if k not in params]
        if missing or not params:
            raise ExerciseError(f"{source}: 'faults.{fid}' needs '{(missing or optional)[0]}'")
    not_judged_table = data.get("not_judged", {})
    if not isinstance(not_judged_table, dict):
        raise ExerciseError(f"{source}: [not_judged] must be a table")
    for fid, why in not_judged_table.items():
        if fid not in FAULT_IDS:
            raise ExerciseError(f"{source}: unknown fault 'not_judged.{fid}' (known: {', '.join(FAULT_IDS)})")
        if not isinstance(why, str) or not why.strip():
            raise ExerciseError(f"{source}: 'not_judged.{fid}' must be a sentence saying why")
        if fid in faults:
            raise ExerciseError(f"{source}: '{fid}' is both under [faults] and [not_judged]")
    return Exercise(id=ex_id, name=_get(data, "name", str, source), spoken=_get(data, "spoken", str, source),
                    kind=kind, counting=counting, faults=faults, source=source,
                    not_judged=dict(not_judged_table))


def load_exercise_file(path: str | Path) -> Exercise:
    path = Path(path)
    ex = parse_exercise(read_toml(path, ExerciseError, "exercise file"), str(path))
    if ex.id != path.stem:
        raise ExerciseError(f"{path}: 'id' is {ex.id!r} but the file is named {path.stem!r}")
    return ex


def builtin_dir() -> Path:
    return shipped("exercises")


EXTRA_DIR_ENV = "COACH_EXERCISES_DIR"


def search_path() -> list[Path]:
    """Where exercise files are found: a station's own folder first ($COACH_EXERCISES_DIR, which
    may add exercises or replace a built-in one of the same id), then the ones that ship."""
    extra = os.environ.get(EXTRA_DIR_ENV)
    return ([Path(extra)] if extra else []) + [builtin_dir()]


def _files(directory: str | Path | None) -> dict[str, Path]:
    dirs = [Path(directory)] if directory is not None else search_path()
    found: dict[str, Path] = {}
    for d in reversed(dirs):  # the first folder on the path wins
        found.update({p.stem: p for p in sorted(d.glob("*.toml"))})
    return found


def exercise_ids(directory: str | Path | None = None) -> list[str]:
    """Every exercise there is: one per file, named by the file (the only list of exercises)."""
    return sorted(_files(directory))


def load_exercise(ex_id: str, directory: str | Path | None = None) -> Exercise:
    files = _files(directory)
    if ex_id not in files:
        raise ExerciseError(f"unknown exercise {ex_id!r} (known: {', '.join(sorted(files))})")
    return load_exercise_file(files[ex_id])
