"""The words for the workout's state: sets, rest, targets, pause, the camera and the person,
answers, help, the greeting and the exercise. CueWords is the half of the cue policy
(coach.core.cue_policy.CuePolicy) that says what happened; the policy adds counting, corrections
and praise, and is the one entry point. Pure: events in, Cue events out, texts from the library.
"""

from __future__ import annotations

from typing import Any

from coach.core.commands import help_lines
from coach.core.cues import CueLibrary, ask_id
from coach.core.events import (
    Answered,
    ConfirmAsked,
    ConfirmDropped,
    Cue,
    ExerciseChanged,
    Paused,
    PoseFound,
    PoseLost,
    RepUndone,
    RestEnded,
    RestStarted,
    Resumed,
    SetEnded,
    SetStarted,
    TargetChanged,
    ViewChanged,
    WorkoutFinished,
)
from coach.core.policy_config import PolicyConfig
from coach.core.vocabulary import Vocabulary

GREETING_WAIT_S = 4.0  # how long the greeting waits for the camera's first view


class CueWords:
    """Sentences for what the session and the camera report, in the library's words."""

    def __init__(self, library: CueLibrary, config: PolicyConfig | None = None,
                 exercise: str | None = None, vocabulary: Vocabulary | None = None,
                 wake_word: str | None = None):
        self.lib = library
        self.config = config or PolicyConfig()
        self.exercise = exercise
        self.vocabulary, self.wake_word = vocabulary, wake_word
        self._variant: dict[str, int] = {}
        self._target: int | None = None
        self._set_no = 0
        self._sets_started = 0
        self._in_set = False
        self._paused = False
        self._resting_until: float | None = None
        self._rest_warned = False
        self._summary_had_rest = False
        self._person_lost_said: float | None = None
        self._person_missing = False
        self._lost_announced = False
        self._physio_said = False
        self._view: tuple[str, bool] | None = None  # (side, in frame) last said
        self._greeting: Cue | None = None  # said with the first view, or when that is late
        self._last_said: Cue | None = None
        self._asking: ConfirmAsked | None = None  # the question about an unsure command, unanswered

    # -- helpers --
    def _text(self, cue_id: str, **values: Any) -> str:
        n = self._variant.get(cue_id, 0)
        self._variant[cue_id] = n + 1
        return self.lib.render(cue_id, n, **values)

    def _cue(self, t: float, cue_id: str, kind: str, *, priority: int | None = None,
             rep: int | None = None, fault: str | None = None, **values: Any) -> Cue:
        if rep is not None:
            values.setdefault("rep", rep)  # str.format ignores it where the text has no {rep}
        cue = Cue(t, self._text(cue_id, **values), kind,
                  self.config.priority(kind) if priority is None else priority, cue_id, rep, fault)
        if kind != "count":
            self._last_said = cue
        return cue

    def _rank(self, fault: str) -> int:
        order = self.config.fault_order
        return order.index(fault) if fault in order else len(order)

    def _exercise_name(self, exercise: str) -> str:
        return self.lib.exercise_name(exercise)

    def _on_rep_undone(self, e: RepUndone) -> list[Cue]:
        return [self._cue(e.t, "confirm.rep_undone", "confirm", reps=e.reps)]

    def _on_set_started(self, e: SetStarted) -> list[Cue]:
        self._set_no, self._target, self.exercise = e.set_no, e.target_reps, e.exercise
        self._resting_until = None
        self._sets_started += 1
        name = self._exercise_name(e.exercise)
        if e.target_reps:
            text = self._text("set.start_target", set_no=e.set_no, exercise=name, target=self._reps(e.target_reps))
            key = "set.start_target"
        else:
            text = self._text("set.start", set_no=e.set_no, exercise=name)
            key = "set.start"
        # the safety note goes first, in the same cue: after "go when you're ready" the lifter
        # is lifting, and a long note would hold back the first count
        note = {1: "safety.form_before_load", 2: "safety.stop_on_pain"}.get(self._sets_started)
        if note:
            text = f"{self._text(note)} {text}"
        self._new_set()
        self._in_set = True
        cue = Cue(e.t, text, "set", self.config.priority("set"), key)
        self._last_said = cue
        return [cue]

    def _on_set_ended(self, e: SetEnded) -> list[Cue]:
        reps = self._reps(e.reps)
        counts = sorted(((f, n) for f, n in e.fault_counts.items() if n > 0),
                        key=lambda fn: self._rank(fn[0]))
        phrases = [self.lib.render("set.fault_count", count=n, phrase=self._summary_phrase(f))
                   for f, n in counts]
        if phrases:
            joined = (phrases[0] if len(phrases) == 1 else
                      ", ".join(phrases[:-1]) + f" {self.lib.render('set.and')} " + phrases[-1])
            text = self._text("set.summary", set_no=e.set_no, reps=reps, faults=joined)
            key = "set.summary"
        else:
            text = self._text("set.summary_clean", set_no=e.set_no, reps=reps)
            key = "set.summary_clean"
        self._summary_had_rest = e.rest_s is not None and e.rest_s > 0
        if e.rest_s is not None and e.rest_s > 0:
            text += " " + self._text("set.rest", seconds=self._secs(e.rest_s))
        out = [Cue(e.t, text, "set", self.config.priority("set"), key)]
        self._last_said = out[0]
        worst = max((n for f, n in counts if f in self.config.safety_faults), default=0)
        if (not self._physio_said and e.reps >= 2
                and worst >= self.config.see_physio_share * e.reps):
            self._physio_said = True
            out.append(self._cue(e.t, "safety.see_physio", "safety",
                                 priority=self.config.priority("set") - 1))
        self._target = None
        self._in_set = False
        return out

    def _summary_phrase(self, fault: str) -> str:
        key = f"fault.{fault}.summary"
        return self.lib.render(key) if self.lib.has(key) else fault.replace("_", " ")

    def _on_rest_started(self, e: RestStarted) -> list[Cue]:
        self._resting_until, self._rest_warned = e.t + e.seconds, False
        if self._summary_had_rest:
            self._summary_had_rest = False
            return []
        return [self._cue(e.t, "set.rest", "set", seconds=self._secs(e.seconds))]

    def _on_rest_ended(self, e: RestEnded) -> list[Cue]:
        self._resting_until = None
        return [] if e.skipped else [self._cue(e.t, "rest.over", "system")]

    def _on_target_changed(self, e: TargetChanged) -> list[Cue]:
        self._target = e.target_reps
        if e.target_reps:
            return [self._cue(e.t, "confirm.target", "confirm", target=self._reps(e.target_reps))]
        return [self._cue(e.t, "confirm.target_off", "confirm")]

    def _on_workout_finished(self, e: WorkoutFinished) -> list[Cue]:
        # after the last set's summary (same moment, one step less important)
        return [self._cue(e.t, "system.session_end", "system", priority=self.config.priority("set") - 1,
                          sets=self._plural(e.sets, "set.sets_one", "set.sets_many"), reps=self._reps(e.reps))]

    def _on_paused(self, e: Paused) -> list[Cue]:
        self._paused = True
        return [self._cue(e.t, "system.paused", "system")]

    def _on_resumed(self, e: Resumed) -> list[Cue]:
        self._paused = False
        return [self._cue(e.t, "system.resumed", "system")]

    def _on_pose_lost(self, e: PoseLost) -> list[Cue]:
        self._person_missing = True
        if self._paused or self._resting_until is not None:
            return []  # walking off during a rest is normal
        if (self._person_lost_said is not None
                and e.t - self._person_lost_said < self.config.person_lost_repeat_s):
            return []
        self._person_lost_said = e.t
        self._lost_announced = True
        return [self._cue(e.t, "system.person_lost", "system")]

    def _on_pose_found(self, e: PoseFound) -> list[Cue]:
        announced, self._lost_announced = self._lost_announced, False
        self._person_missing = False
        if not announced or self._paused:
            return []
        return [self._cue(e.t, "system.person_back", "view")]

    def _on_answered(self, e: Answered) -> list[Cue]:
        q = e.question
        if q == "count":
            if e.target_reps:
                return [self._cue(e.t, "answer.count_target", "confirm", reps=e.reps, target=e.target_reps)]
            return [self._cue(e.t, "answer.count", "confirm", reps=e.reps)]
        if q == "last_rep":
            if not e.faults:
                return [self._cue(e.t, "answer.last_rep_clean", "confirm")]
            worst = min(e.faults, key=self._rank)
            return [self._cue(e.t, "answer.last_rep_fault", "confirm", fault=worst,
                              cue=self.lib.render(f"fault.{worst}.short"))]
        if q == "rest_left" and e.rest_left_s is not None:
            return [self._cue(e.t, "rest.left", "confirm", seconds=self._secs(e.rest_left_s))]
        return [self._cue(e.t, "answer.status", "confirm", exercise=self._exercise_name(e.exercise),
                          set_no=e.set_no, reps=e.reps)]

    # -- a question about an unsure command (the session holds it: ConfirmAsked) --
    def _on_confirm_asked(self, e: ConfirmAsked) -> list[Cue]:
        """"Finish the workout? Say yes.": an answer to what the lifter said, on its priority."""
        self._asking = e
        key = ask_id(type(e.command).__name__)
        return [self._cue(e.t, key if self.lib.has(key) else "ask.any", "confirm")]

    def _on_confirm_dropped(self, e: ConfirmDropped) -> list[Cue]:
        self._asking = None
        if e.reason == "no":
            return [self._cue(e.t, "ask.cancelled", "confirm")]
        if e.reason == "timeout":
            # said, not left silent: the question was asked aloud, so its outcome is too; a
            # lifter whose "yes" was not heard (or came late) learns nothing was done, without a
            # screen. Short, on the same priority as the question.
            return [self._cue(e.t, "ask.timeout", "confirm")]
        return []  # another command came instead: its own words say what happened

    @property
    def _set_open(self) -> bool:
        """False between a set's end and the next start (no praise then); true before any set."""
        return self._in_set or self._sets_started == 0

    def _new_set(self) -> None:
        """A set starts: the policy counts from it and starts its fault streaks afresh."""

    def _plural(self, n: int, one: str, many: str) -> str:
        return self.lib.render(one) if n == 1 else self.lib.render(many, count=n)

    def _reps(self, n: int) -> str:
        return self._plural(n, "set.reps_one", "set.reps_many")

    def _secs(self, seconds: float) -> str:
        return self._plural(max(1, round(seconds)), "set.seconds_one", "set.seconds_many")

    # -- said without an event --
    def greeting(self, t: float, exercise: str | None, wait_for_view: bool = False) -> list[Cue]:
        """The first words: which exercise (or the question, when none was chosen) and the
        phrase that gets help, as it must be said (with the wake word when one is needed).
        `wait_for_view`: a camera is coming up; the greeting waits (up to GREETING_WAIT_S) to be
        said with where the camera sees the lifter, in one breath, as a coach would."""
        help_phrase = f"{self.wake_word}, help" if self.wake_word else "help"
        if exercise is None:
            cue = self._cue(t, "system.ask_exercise", "help", help=help_phrase)
        else:
            cue = self._cue(t, "system.greeting", "help", exercise=self._exercise_name(exercise),
                            help=help_phrase)
        if wait_for_view:
            self._greeting = cue
            return []
        return [cue]

    def _greet(self, t: float, then: Cue | None = None) -> list[Cue]:
        """The greeting that waited, now (with the view sentence `then`, in one cue)."""
        cue, self._greeting = self._greeting, None
        if cue is None:
            return [then] if then is not None else []
        text = cue.text if then is None else f"{cue.text} {then.text}"
        return [Cue(t, text, cue.kind, cue.priority, cue.key)]

    def system(self, t: float, text: str, key: str = "system.message") -> Cue:
        """A message about the machine (a device missing, an error), on the one priority scale."""
        cue = Cue(t, text, "system", self.config.priority("system"), key)
        self._last_said = cue
        return cue

    def rejection(self, t: float) -> list[Cue]:
        """What is said to speech meant for the coach that it did not understand."""
        text = self.vocabulary.rejection if self.vocabulary is not None else ""
        return [Cue(t, text, "confirm", self.config.priority("confirm"), "system.rejection")] if text else []

    def help(self, t: float) -> list[Cue]:
        """What the lifter can say now (in a set, resting, paused, or neither)."""
        if self.vocabulary is None:
            return []
        state = ("paused" if self._paused else "set" if self._in_set
                 else "rest" if self._resting_until is not None else "idle")
        text = " ".join(help_lines(state, self.vocabulary))
        return [Cue(t, text, "help", self.config.priority("help"), "help")] if text else []

    # -- the exercise and the camera --
    def _on_exercise_changed(self, e: ExerciseChanged) -> list[Cue]:
        self.exercise = e.exercise
        return [self._cue(e.t, "confirm.exercise", "confirm", exercise=self._exercise_name(e.exercise))]

    def _on_view_changed(self, e: ViewChanged) -> list[Cue]:
        """What the camera sees, said when it is first known and when it changes."""
        before, self._view = self._view, (e.side, e.in_frame)
        if not e.in_frame:
            if before is None or before[1]:
                return [self._cue(e.t, "view.framing.too_close", "view")]
            return []
        out: list[Cue] = []
        if before is not None and not before[1]:
            out.append(self._cue(e.t, "view.framing.good", "view"))
        if before is None or before[0] != e.side:
            if abs(e.yaw_deg) > 60 and self.lib.has("view.side.front_sentence"):
                out.append(self._cue(e.t, "view.side.front_sentence", "view"))
            elif self.lib.has(f"view.side.{e.side}"):
                key = "view.side.short_sentence" if self.lib.has("view.side.short_sentence") else "view.side.sentence"
                out.append(self._cue(e.t, key, "view", side=self.lib.render(f"view.side.{e.side}")))
        if len(out) > 1:  # "That's good, stay there." and the side: one breath
            out = [Cue(e.t, " ".join(c.text for c in out), "view", out[-1].priority, out[-1].key)]
        if self._greeting is not None:
            return self._greet(e.t, out[0] if out else None) + out[1:]
        return out
