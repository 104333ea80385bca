"""The cue library: everything the coach says, loaded from `cues/<lang>/*.toml` and validated.

A coach edits the TOML files; the format is described in cues/README.md. Every message has a
dotted id ("fault.spine_rounding.short") and one or more variant texts with `{name}`
placeholders. A broken library must never stop a workout, so `load_cues_or_builtin` logs the
error once and falls back to BUILTIN_EN, the plain English text that also defines which ids the
code needs and which placeholders each may use.
"""

from __future__ import annotations

import logging
import os
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from coach.core.datafile import cues_root
from coach.core.errors import CoachError
from coach.core.exercises import ExerciseError, load_exercise

log = logging.getLogger(__name__)

FAULT_MESSAGES = ("short", "long", "escalate", "lower_load", "praise", "summary", "name")

CUES_ROOT = cues_root()


class CueError(CoachError):
    """A cue file that cannot be used. str() names the file and the message id."""


def _fault_builtin() -> dict[str, str]:
    # Plain wording; the TOML library holds the richer, physiotherapist-voiced variants.
    texts = {
        "knee_dominant": ("Push the hips back, not the knees forward.",
                          "Hinge, don't squat: push your hips back and keep your shins still.",
                          "Still squatting it. Hips back, knees soft.",
                          "with the knees forward", "Good, that was a hinge."),
        "spine_rounding": ("Keep your back flat.",
                           "Brace your core like you're about to get punched, and keep your back flat.",
                           "Your back is still rounding. Chest proud, back flat.",
                           "with a rounded back", "Good, your back stayed flat."),
        "lockout_lean_back": ("Stand tall, don't lean back.",
                              "Finish tall: keep your ribs stacked over your hips, don't lean back.",
                              "Still leaning back at the top. Stop when you're tall.",
                              "leaning back at the top", "Good, tall finish."),
        "load_drift": ("Keep the load close to your body.",
                       "Keep the load close: let it brush your legs all the way.",
                       "The load is still drifting away. Pull it in.",
                       "with the load drifting away", "Good, the load stayed close."),
        "balance": ("Weight in your heels.",
                    "Keep your weight over your midfoot, heels down.",
                    "You're still tipping onto your toes. Heels down.",
                    "on the toes", "Good, balanced over your feet."),
        "rushed_lowering": ("Control the lowering.",
                            "Control the lowering: take two seconds on the way down.",
                            "Still dropping it. Slow down on the way down.",
                            "lowered too fast", "Good, nice controlled lowering."),
        "arm_driven_swing": ("Drive with the hips, not the arms.",
                             "Snap the hips; the arms are just ropes.",
                             "Still lifting with your arms. Let the hips throw the bell.",
                             "lifted with the arms", "Good, that came from the hips."),
        "incomplete_lockout": ("Squeeze your glutes to finish tall.",
                               "Finish the rep: squeeze your glutes and stand all the way up.",
                               "Still not finishing. Hips all the way through.",
                               "without a full lockout", "Good, full lockout."),
    }
    # each fault in a few plain words, for text a lifter reads (the ids stay in --json and logs)
    names = {
        "knee_dominant": "knees forward (squatting the hinge)",
        "spine_rounding": "rounded back",
        "balance": "weight on the toes",
        "load_drift": "load drifting away",
        "lockout_lean_back": "leaning back at the top",
        "arm_driven_swing": "lifting with the arms",
        "incomplete_lockout": "no full lockout",
        "rushed_lowering": "lowering too fast",
    }
    out: dict[str, str] = {}
    for fault, (short, long, escalate, summary, praise) in texts.items():
        out[f"fault.{fault}.name"] = names[fault]
        out[f"fault.{fault}.short"] = short
        out[f"fault.{fault}.long"] = long
        out[f"fault.{fault}.escalate"] = escalate
        out[f"fault.{fault}.lower_load"] = f"{escalate.split('.')[0]}. Try a lighter load for now."
        out[f"fault.{fault}.praise"] = praise
        out[f"fault.{fault}.summary"] = summary
    return out


BUILTIN_EN: Mapping[str, str] = MappingProxyType({
    **_fault_builtin(),
    "count.rep": "{rep}.",
    "count.remaining": "{rep}. {left} more.",
    "count.last": "{rep}. Last one.",
    "count.target_reached": "{rep}. That's the set.",
    "set.start": "Set {set_no}. {exercise}. Go when ready.",
    "set.start_target": "Set {set_no}. {exercise}, {target}. Go when ready.",
    "set.summary": "Set {set_no} done: {reps}, {faults}.",
    "set.summary_clean": "Set {set_no} done: {reps}, all clean.",
    "set.reps_one": "1 rep",
    "set.reps_many": "{count} reps",
    "set.sets_one": "1 set",
    "set.sets_many": "{count} sets",
    "set.seconds_one": "1 second",
    "set.seconds_many": "{count} seconds",
    "set.fault_count": "{count} {phrase}",
    "set.and": "and",
    "set.rest": "Rest {seconds}.",
    "rest.over": "Rest over. Get ready.",
    "rest.skipped": "Rest skipped.",
    "rest.left": "{seconds} left.",
    "praise.clean_set": "Great set, all clean.",
    "safety.form_before_load": "Remember: form before load.",
    "safety.stop_on_pain": "If anything hurts, stop.",
    "safety.see_physio": "If your back keeps rounding, see a physiotherapist.",
    "safety.severe": "Stop. Reset your back before the next rep.",
    "system.camera_lost": "I've lost the camera.",
    "system.camera_back": "Camera back.",
    "system.person_lost": "I can't see you. Step into the frame.",
    "system.person_back": "I can see you again.",
    "system.paused": "Paused.",
    "system.resumed": "Resumed.",
    "system.microphone_missing": "No microphone found. Voice commands are off.",
    "system.speaker_missing": "No speaker found. Cues will be printed instead.",
    "system.tts_failed": "Speech failed. Cues will be printed instead.",
    "system.session_end": "Workout done: {sets}, {reps}. Well done.",
    "system.greeting": "{exercise}. Say '{help}' for commands.",
    "system.ask_exercise": ("Coach ready. Which exercise? Say its name, like 'deadlifts'. "
                            "Say '{help}' to hear what you can say."),
    "confirm.exercise": "{exercise}.",
    "system.not_understood": "Sorry, I didn't get that.",
    "answer.count": "{reps} so far.",
    "answer.count_target": "{reps} of {target}.",
    "answer.last_rep_clean": "That rep looked clean.",
    "answer.last_rep_fault": "That rep: {cue}",
    "answer.status": "{exercise}, set {set_no}, {reps} so far.",
    "answer.not_judged": "I couldn't judge that rep from here.",
    "confirm.rep_undone": "Okay, that one doesn't count. {reps} so far.",
    "confirm.target": "Target: {target}.",
    "confirm.target_off": "No rep target.",
    "confirm.count_every": "Counting every {n} reps.",
    "confirm.count_every_rep": "Counting every rep.",
    "confirm.quiet_mode": "Quiet mode: only form cues and set summaries.",
    "confirm.louder": "Louder.",
    "confirm.quieter": "Quieter.",
    "confirm.slower": "Slower.",
    "confirm.faster": "Faster.",
    # an unsure command that discards or ends something (vocabulary `confirm = true`), asked
    # about before it is done: ask.<command in snake_case>, else ask.any
    "ask.end_set": "End the set? Say yes.",
    "ask.undo_rep": "Take back the last rep? Say yes.",
    "ask.finish_workout": "Finish the workout? Say yes.",
    "ask.any": "Did you mean that? Say yes.",
    "ask.cancelled": "Okay, carrying on.",
    "ask.timeout": "Carrying on.",
})
BUILTIN_EN_PATH = "<built-in English>"

REQUIRED: tuple[str, ...] = tuple(BUILTIN_EN)


def placeholders(text: str) -> set[str]:
    """The `{name}` fields a text uses; raises ValueError on malformed braces."""
    names = set()
    for _, field, spec, conv in string.Formatter().parse(text):
        if field is None:
            continue
        if not field.isidentifier() or spec or conv:
            raise ValueError(f"placeholder {{{field}}} must be a plain name like {{rep}}")
        names.add(field)
    return names


@dataclass(frozen=True)
class CueLibrary:
    """Validated messages: id -> variants, plus the file each id came from."""

    language: str
    messages: Mapping[str, tuple[str, ...]]
    sources: Mapping[str, str]
    fallback: bool = False  # True when this is the built-in text standing in for a broken library

    def has(self, cue_id: str) -> bool:
        return cue_id in self.messages

    def variants(self, cue_id: str) -> tuple[str, ...]:
        try:
            return self.messages[cue_id]
        except KeyError:
            raise KeyError(f"no cue {cue_id!r} in the {self.language} cue library") from None

    def render(self, cue_id: str, variant: int = 0, **values: Any) -> str:
        """The text of one variant (rotating: variant modulo the number of variants)."""
        options = self.variants(cue_id)
        return options[variant % len(options)].format(**values)

    def exercise_name(self, ex_id: str) -> str:
        """The exercise's name in this language: the cue files' `exercise.<id>.name`, else the
        name in the exercise file (a new exercise needs no cue file entry to be spoken)."""
        key = f"exercise.{ex_id}.name"
        if self.has(key):
            return self.render(key)
        try:
            return load_exercise(ex_id).name
        except ExerciseError:
            return ex_id.replace("_", " ")


def ask_id(command: str) -> str:
    """The id of the question asked about an unsure `command` (a Command class name):
    "FinishWorkout" -> "ask.finish_workout"."""
    return "ask." + re.sub(r"(?<!^)(?=[A-Z])", "_", command).lower()


def builtin_library() -> CueLibrary:
    return CueLibrary("en", MappingProxyType({k: (v,) for k, v in BUILTIN_EN.items()}),
                      MappingProxyType(dict.fromkeys(BUILTIN_EN, BUILTIN_EN_PATH)), fallback=True)


def _flatten(table: Mapping[str, Any], prefix: str, path: str, out: dict[str, tuple[str, ...]]) -> None:
    for key, value in table.items():
        cue_id = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, cue_id + ".", path, out)
            continue
        variants = [value] if isinstance(value, str) else value
        if (not isinstance(variants, list) or not variants
                or not all(isinstance(v, str) and v.strip() for v in variants)):
            raise CueError(f"{path}: {cue_id} must be a non-empty string or a list of non-empty "
                           f"strings, not {value!r}")
        out[cue_id] = tuple(v.strip() for v in variants)


def _check_placeholders(cue_id: str, variants: tuple[str, ...], path: str) -> None:
    allowed = placeholders(BUILTIN_EN[cue_id]) if cue_id in BUILTIN_EN else None
    for text in variants:
        try:
            used = placeholders(text)
        except ValueError as e:
            raise CueError(f"{path}: {cue_id}: {e} (write {{{{ and }}}} for literal braces)") from None
        if allowed is not None and not used <= allowed:
            extra = ", ".join(sorted(used - allowed))
            ok = ", ".join(sorted(allowed)) or "none"
            raise CueError(f"{path}: {cue_id} uses the unknown placeholder {{{extra}}} "
                           f"(allowed: {ok})")


def load_cues(directory: str | os.PathLike[str], language: str | None = None) -> CueLibrary:
    """Load and merge every *.toml in `directory`. Raises CueError naming file and id."""
    directory = Path(directory)
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise CueError(f"{directory}: no cue files (*.toml) found")
    messages: dict[str, tuple[str, ...]] = {}
    sources: dict[str, str] = {}
    for path in files:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as e:
            raise CueError(f"{path}: not valid TOML ({e})") from None
        except OSError as e:
            raise CueError(f"{path}: cannot be read ({e.strerror or e})") from None
        found: dict[str, tuple[str, ...]] = {}
        _flatten(data, "", str(path), found)
        for cue_id, variants in found.items():
            if cue_id in messages:
                raise CueError(f"{path}: {cue_id} is already defined in {sources[cue_id]}")
            _check_placeholders(cue_id, variants, str(path))
            messages[cue_id] = variants
            sources[cue_id] = str(path)
    missing = [cue_id for cue_id in REQUIRED if cue_id not in messages]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise CueError(f"{directory}: the cue {missing[0]} is missing{more}; "
                       f"add it to one of {', '.join(p.name for p in files)}")
    return CueLibrary(language or directory.name, MappingProxyType(messages),
                      MappingProxyType(sources))


_warned: set[str] = set()


def load_cues_or_builtin(language: str = "en", root: str | os.PathLike[str] | None = None) -> CueLibrary:
    """The library for `language`; on any CueError, log it once and use the built-in English."""
    directory = Path(root) if root is not None else CUES_ROOT
    directory = directory / language
    try:
        return load_cues(directory, language)
    except CueError as e:
        if str(e) not in _warned:
            _warned.add(str(e))
            log.error("%s; using the built-in English cues instead", e)
        return builtin_library()
