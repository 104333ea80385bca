"""Words for what the session and the machine do: set start and summary, rest, pause, answers to
"how many?" and "how was that rep?", undo, camera or person lost, the end of the workout.

Pure: events in, Cue events out, texts from the cue library (cues/<lang>/*.toml). The runtime
uses it for the events the cue policy (coach.core.cue_policy) does not speak itself, and as the whole
policy (counts and one correction a rep included) when that module is not installed.
"""

from __future__ import annotations

from typing import Any

from coach.core import events as ev

# Priorities: a safety or system message may interrupt a count; a count never interrupts them.
PRIORITY = {"count": 1, "praise": 2, "confirm": 3, "set": 4, "help": 4, "correction": 5,
            "view": 5, "system": 6, "safety": 7}


class SessionCues:
    def __init__(self, library: Any, count_every: int = 1, help_text: str | None = None,
                 corrections: bool = True):
        self.lib = library
        self.count_every = count_every
        self.help_text = help_text
        self.corrections = corrections  # False when the real cue policy does the coaching
        self._variant: dict[str, int] = {}
        self._cued_rep: set[tuple[int, int]] = set()  # (set_no, rep) already corrected
        self._target: int | None = None
        self._set_no = 0
        self._pose_lost = False
        self._view: tuple[str, bool] | None = None  # (side, in frame) last said
        self.last: ev.Cue | None = None

    def _say(self, t: float, key: str, kind: str, rep: int | None = None, fault: str | None = None,
             **values: Any) -> ev.Cue | None:
        if not self.lib.has(key):
            return None
        n = self._variant.get(key, 0)
        self._variant[key] = n + 1
        try:
            text = self.lib.render(key, n, **values)
        except (KeyError, IndexError, ValueError):
            return None
        cue = ev.Cue(t, text, kind, PRIORITY.get(kind, 3), key, rep, fault)
        self.last = cue
        return cue

    def _name(self, exercise: str) -> str:
        return self.lib.exercise_name(exercise)

    def _reps(self, n: int) -> str:
        return self.lib.render("set.reps_one") if n == 1 and self.lib.has("set.reps_one") else \
            (self.lib.render("set.reps_many", count=n) if self.lib.has("set.reps_many") else f"{n} reps")

    def _fault_phrase(self, fid: str) -> str:
        key = f"fault.{fid}.summary"
        return self.lib.render(key) if self.lib.has(key) else "with " + fid.replace("_", " ")

    def greeting(self, t: float, exercise: str) -> list[ev.Cue]:
        text = f"Coach ready: {self._name(exercise)}. Say help to hear what you can say."
        return [ev.Cue(t, text, "system", PRIORITY["system"], "system.greeting")]

    def handle(self, e: object) -> list[ev.Cue]:
        out = self._handle(e)
        return [c for c in out if c is not None]

    def _handle(self, e: object) -> list[ev.Cue | None]:
        t = getattr(e, "t", 0.0)
        if isinstance(e, ev.SetStarted):
            self._target, self._set_no = e.target_reps, e.set_no
            if e.target_reps:
                return [self._say(t, "set.start_target", "set", set_no=e.set_no,
                                  exercise=self._name(e.exercise), target=e.target_reps)]
            return [self._say(t, "set.start", "set", set_no=e.set_no, exercise=self._name(e.exercise))]
        if isinstance(e, ev.SetEnded):
            if not e.reps:
                return []
            if e.fault_counts:
                faults = f" {self.lib.render('set.and')} ".join(
                    self.lib.render("set.fault_count", count=n, phrase=self._fault_phrase(fid))
                    for fid, n in e.fault_counts.items())
                said = self._say(t, "set.summary", "set", set_no=e.set_no, reps=self._reps(e.reps), faults=faults)
            else:
                said = self._say(t, "set.summary_clean", "set", set_no=e.set_no, reps=self._reps(e.reps))
            if said and e.rest_s:
                rest = self.lib.render("set.rest", seconds=int(round(e.rest_s)))
                said = ev.Cue(said.t, f"{said.text} {rest}", said.kind, said.priority, said.key)
                self.last = said
            return [said]
        if isinstance(e, ev.RestEnded):
            return [self._say(t, "rest.skipped" if e.skipped else "rest.over", "set")]
        if isinstance(e, ev.Paused):
            return [self._say(t, "system.paused", "system")]
        if isinstance(e, ev.Resumed):
            return [self._say(t, "system.resumed", "system")]
        if isinstance(e, ev.ExerciseChanged):
            return [ev.Cue(t, f"{self._name(e.exercise)}.", "confirm", PRIORITY["confirm"], "confirm.exercise")]
        if isinstance(e, ev.TargetChanged):
            if e.target_reps:
                self._target = e.target_reps
                return [self._say(t, "confirm.target", "confirm", target=e.target_reps)]
            return [self._say(t, "confirm.target_off", "confirm")]
        if isinstance(e, ev.RepUndone):
            return [self._say(t, "confirm.rep_undone", "confirm", reps=e.reps)]
        if isinstance(e, ev.Answered):
            return [self._answer(e)]
        if isinstance(e, ev.WorkoutFinished):
            return [self._say(t, "system.session_end", "system", sets=e.sets, reps=e.reps)]
        if isinstance(e, ev.PoseLost) and not self._pose_lost:
            self._pose_lost = True
            return [self._say(t, "system.person_lost", "system")]
        if isinstance(e, ev.PoseFound) and self._pose_lost:
            self._pose_lost = False
            return [self._say(t, "system.person_back", "system")]
        if isinstance(e, ev.ViewChanged):
            return self._view_changed(e)
        if isinstance(e, ev.CommandHeard):
            kind = type(e.command).__name__
            if kind == "Help" and self.help_text:
                return [ev.Cue(t, self.help_text, "help", PRIORITY["help"], "help")]
            return []
        if self.corrections and isinstance(e, ev.RepRecorded):
            return self._rep(e)
        return []

    def _rep(self, e: ev.RepRecorded) -> list[ev.Cue | None]:
        out: list[ev.Cue | None] = []
        key = (e.set_no, e.rep)
        if not e.judged or e.faults:
            if not e.judged and (self.count_every and e.rep % self.count_every == 0):
                target = self._target
                if target and e.rep >= target:
                    out.append(self._say(e.t, "count.target_reached", "count", rep=e.rep))
                elif target and target - e.rep <= 2:
                    out.append(self._say(e.t, "count.remaining", "count", rep=e.rep, left=target - e.rep))
                else:
                    out.append(self._say(e.t, "count.rep", "count", rep=e.rep))
            if e.faults and key not in self._cued_rep:
                self._cued_rep.add(key)
                worst = max(e.faults, key=lambda f: {"severe": 3, "moderate": 2, "mild": 1}.get(f.severity, 0))
                out.append(self._say(e.t, f"fault.{worst.id}.short", "correction", rep=e.rep, fault=worst.id))
        return out

    def _view_changed(self, e: ev.ViewChanged) -> list[ev.Cue | None]:
        """What the camera sees, said when it is first known and when it changes."""
        before, self._view = self._view, (e.side, e.in_frame)
        if not e.in_frame:
            if before is None or before[1]:
                return [self._say(e.t, "view.framing.too_close", "view")]
            return []
        out: list[ev.Cue | None] = []
        if before is not None and not before[1]:
            out.append(self._say(e.t, "view.framing.good", "view"))
        if before is None or before[0] != e.side:
            if abs(e.yaw_deg) > 60 and self.lib.has("view.side.front_sentence"):
                out.append(self._say(e.t, "view.side.front_sentence", "view"))
            elif self.lib.has(f"view.side.{e.side}"):
                out.append(self._say(e.t, "view.side.sentence", "view", side=self.lib.render(f"view.side.{e.side}")))
        return out

    def _answer(self, e: ev.Answered) -> ev.Cue | None:
        if e.question == "last_rep":
            if not e.reps:
                return self._say(e.t, "answer.not_judged", "confirm")
            if e.faults:
                fid = e.faults[0]
                short = self.lib.render(f"fault.{fid}.short") if self.lib.has(f"fault.{fid}.short") else fid
                return self._say(e.t, "answer.last_rep_fault", "confirm", cue=short)
            return self._say(e.t, "answer.last_rep_clean", "confirm")
        if e.question == "status":
            return self._say(e.t, "answer.status", "confirm", exercise=self._name(e.exercise),
                             set_no=e.set_no, reps=e.reps)
        if e.target_reps:
            return self._say(e.t, "answer.count_target", "confirm", reps=e.reps, target=e.target_reps)
        return self._say(e.t, "answer.count", "confirm", reps=e.reps)
