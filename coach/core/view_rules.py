"""What can be judged from a camera view: the rules are data (coach/view_rules.toml), checked on
load; judging which faults a view allows is pure."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from coach.core.datafile import read_toml, shipped
from coach.core.errors import CoachError
from coach.core.events import Event, FaultFound, RepJudged
from coach.core.exercises import ExerciseError, load_exercise
from coach.core.view import View

RULES_PATH = shipped("view_rules.toml")


class ViewRulesError(CoachError):
    """A broken rules file; str() names the file and the key."""


@dataclass(frozen=True)
class FaultRule:
    max_yaw_deg: float
    needs_whole_body: bool
    reason: str


@dataclass(frozen=True)
class ViewRules:
    faults: Mapping[str, FaultRule]
    exercise_faults: Mapping[str, tuple[str, ...]]
    overrides: Mapping[str, Mapping[str, float]]  # exercise -> fault -> max yaw

    def max_yaw(self, exercise: str, fault: str) -> float:
        return self.overrides.get(exercise, {}).get(fault, self.faults[fault].max_yaw_deg)


def _yaw(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 90:
        raise ViewRulesError(f"{where} must be a number of degrees from 0 to 90, not {value!r}")
    return float(value)


def parse_rules(data: Mapping[str, Any], path: str) -> ViewRules:
    faults: dict[str, FaultRule] = {}
    table = data.get("fault")
    if not isinstance(table, dict) or not table:
        raise ViewRulesError(f"{path}: needs [fault.<id>] tables")
    for fid, rule in table.items():
        where = f"{path}: fault.{fid}"
        if not isinstance(rule, dict):
            raise ViewRulesError(f"{where} must be a table")
        unknown = set(rule) - {"max_yaw_deg", "needs_whole_body", "reason"}
        if unknown:
            raise ViewRulesError(f"{where}.{sorted(unknown)[0]} is not a known key "
                                 "(max_yaw_deg, needs_whole_body, reason)")
        if "max_yaw_deg" not in rule:
            raise ViewRulesError(f"{where}.max_yaw_deg is missing")
        reason = rule.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ViewRulesError(f"{where}.reason must be a non-empty sentence")
        whole = rule.get("needs_whole_body", False)
        if not isinstance(whole, bool):
            raise ViewRulesError(f"{where}.needs_whole_body must be true or false")
        faults[fid] = FaultRule(_yaw(rule["max_yaw_deg"], f"{where}.max_yaw_deg"), whole,
                                reason.strip())
    exercise_faults: dict[str, tuple[str, ...]] = {}
    overrides: dict[str, Mapping[str, float]] = {}
    for ex, spec in (data.get("exercise") or {}).items():
        where = f"{path}: exercise.{ex}"
        if not isinstance(spec, dict):
            raise ViewRulesError(f"{where} must be a table")
        ids = spec.get("faults")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ViewRulesError(f"{where}.faults must be a list of fault ids")
        for i in ids:
            if i not in faults:
                raise ViewRulesError(f"{where}.faults names {i!r}, which has no [fault.{i}] rule")
        exercise_faults[ex] = tuple(ids)
        over = spec.get("max_yaw_deg", {})
        if not isinstance(over, dict):
            raise ViewRulesError(f"{where}.max_yaw_deg must be a table {{ fault_id = degrees }}")
        for fid, deg in over.items():
            if fid not in ids:
                raise ViewRulesError(f"{where}.max_yaw_deg.{fid}: not one of this exercise's faults")
            _yaw(deg, f"{where}.max_yaw_deg.{fid}")
        overrides[ex] = MappingProxyType({k: float(v) for k, v in over.items()})
    return ViewRules(MappingProxyType(faults), MappingProxyType(exercise_faults),
                     MappingProxyType(overrides))


def load_view_rules(path: str | os.PathLike[str] | None = None) -> ViewRules:
    """Read and check a rules file (the packaged one by default)."""
    p = Path(path) if path is not None else RULES_PATH
    return parse_rules(read_toml(p, ViewRulesError, "view rules file"), str(p))


@lru_cache(maxsize=1)
def default_rules() -> ViewRules:
    return load_view_rules()


@cache
def _never_judged(exercise: str) -> Mapping[str, str]:
    """The faults the exercise file says the landmarks cannot show on this lift, and why."""
    try:
        return MappingProxyType(dict(load_exercise(exercise).not_judged))
    except ExerciseError:
        return MappingProxyType({})  # unknown or broken: reported where the analysis loads it


def fault_verdicts(exercise: str, view: View | None,
                   rules: ViewRules | None = None) -> list[tuple[str, str | None, str]]:
    """For each of the exercise's faults: (id, what blocks it or None, reason). What blocks it is
    "nobody" (no view at all), "yaw" (the camera is turned too far) or "frame" (the body is not
    all in the picture)."""
    rules = rules or default_rules()
    ids = rules.exercise_faults.get(exercise, tuple(rules.faults))
    never = _never_judged(exercise)
    out: list[tuple[str, str | None, str]] = []
    for fid in ids:
        rule = rules.faults[fid]
        limit = rules.max_yaw(exercise, fid)
        if fid in never:
            out.append((fid, "exercise", never[fid]))
        elif view is None:
            out.append((fid, "nobody", "nobody was seen, so the camera view is unknown"))
        elif view.yaw_deg > limit:
            where = {"front": "toward the front", "back": "toward the back"}.get(view.toward,
                                                                                "off the side")
            out.append((fid, "yaw", f"{rule.reason}; the camera is {view.yaw_deg:.0f} degrees "
                                    f"{where}, at most {limit:.0f} works"))
        elif rule.needs_whole_body and not view.in_frame:
            out.append((fid, "frame", f"{rule.reason}; the whole body is not in the picture"))
        else:
            out.append((fid, None, ""))
    return out


def judgeable_faults(exercise: str, view: View | None,
                     rules: ViewRules | None = None) -> tuple[list[str], dict[str, str]]:
    """(the exercise's faults this view can judge, {fault id: why not} for the rest)."""
    verdicts = fault_verdicts(exercise, view, rules)
    return ([fid for fid, block, _ in verdicts if block is None],
            {fid: why for fid, block, why in verdicts if block is not None})


def view_json(view: View | None, exercise: str, rules: ViewRules | None = None) -> dict[str, Any]:
    """The "view" object of `coach analyze --json`."""
    ok, not_ok = judgeable_faults(exercise, view, rules)
    if view is None:
        return {"side": None, "yaw_deg": None, "in_frame": False, "judgeable_faults": ok,
                "not_judgeable": not_ok}
    return {"side": view.side, "yaw_deg": round(view.yaw_deg, 1), "in_frame": view.in_frame,
            "toward": view.toward, "confidence": view.confidence, "judgeable_faults": ok,
            "not_judgeable": not_ok}


def restrict_to_view(event: Event, exercise: str, view: View | None,
                     rules: ViewRules | None = None) -> Event | None:
    """An analysis event as the view allows it: a FaultFound for a fault this view cannot judge
    is dropped (None); a RepJudged loses such faults and names them, with the reason, in
    `not_judged`. Other events pass unchanged. With no view yet, nothing is changed."""
    if view is None or not isinstance(event, (FaultFound, RepJudged)):
        return event
    ok, not_ok = judgeable_faults(exercise, view, rules)
    if isinstance(event, FaultFound):
        return None if event.fault.id in not_ok else event
    kept = tuple(f for f in event.faults if f.id not in not_ok)
    reasons = {**not_ok, **dict(event.not_judged)}  # the analysis' own reasons come first
    return replace(event, faults=kept, not_judged=reasons)
