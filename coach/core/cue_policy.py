"""What the coach says and when: events in, `Cue` events out (pure: no clock, no I/O).

The rules a coach would state:
- at most one correction per rep, the most important fault first (safety faults before style),
  said the moment the analysis finds it (during the lowering, not three reps later);
- the same fault is not cued on every rep (cooldown in reps); a fault that persists gets a
  different wording, then a suggestion to lower the load; a cued fault that goes away is praised;
- counts every rep / every n reps / off, a countdown near the target, a summary per set;
- safety notes at their moments; system messages for what the lifter cannot see.

Who may talk over whom is data on the Cue (`priority`, one scale) plus `SpeechQueue`, the pure
arbiter every speaker asks whether a new cue pre-empts what is playing, waits, or is dropped. The
count of every rep is said when it counts; a correction that would not fit before the next count
is said in its short form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from coach.core.commands import CountEvery, Faster, Help, Louder, Quieter, QuietMode, Repeat, Slower
from coach.core.cue_words import GREETING_WAIT_S, CueWords
from coach.core.cues import CueLibrary
from coach.core.events import (
    Answered,
    CommandHeard,
    ConfirmAsked,
    ConfirmDropped,
    Confirmed,
    Cue,
    ExerciseChanged,
    FaultFound,
    Paused,
    PoseFound,
    PoseLost,
    RepCounted,
    RepJudged,
    RepRecorded,
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
from coach.core.policy_config import SEVERITIES, PolicyConfig
from coach.core.vocabulary import Vocabulary

# --- the policy ----------------------------------------------------------------------------------

@dataclass
class _FaultState:
    last_rep: int | None = None  # the latest rep that had the fault
    cued_in_streak: int = 0  # how often it was cued since it last went away
    last_cued_rep: int | None = None
    ever_cued: bool = False


class CuePolicy(CueWords):
    """The one place that turns events into speech: feed it events (one moment's batch at a
    time) and it returns the cues to say, on one priority scale (PolicyConfig.priorities);
    `greeting`, `system`, `rejection` and `tick` cover what no event says. What plays when is
    then decided by the one arbiter, coach.core.speech_queue.SpeechQueue, in every speaker."""

    def __init__(self, library: CueLibrary, config: PolicyConfig | None = None,
                 exercise: str | None = None, vocabulary: Vocabulary | None = None,
                 wake_word: str | None = None):
        super().__init__(library, config, exercise, vocabulary, wake_word)
        self._faults: dict[str, _FaultState] = {}
        self._corrected_reps: set[int] = set()
        self._last_correction_rep: int | None = None
        self._rep_faults: dict[int, set[str]] = {}
        self._severe_said_set: int | None = None
        self._session_mode = False  # a session feeds SetStarted/RepRecorded: count from those
        self._counted_ends: set[float] = set()
        self._count_times: list[float] = []  # when the last reps counted: the lifter's pace
        self._rep_base = 0
        self._last_rep_seen = 0
        self._handlers: dict[type, Callable[[Any], list[Cue]]] = {
            FaultFound: self._on_fault_found,
            RepJudged: self._on_rep_judged,
            RepCounted: self._on_rep_counted,
            RepRecorded: self._on_rep_recorded,
            RepUndone: self._on_rep_undone,
            SetStarted: self._on_set_started,
            SetEnded: self._on_set_ended,
            RestStarted: self._on_rest_started,
            RestEnded: self._on_rest_ended,
            TargetChanged: self._on_target_changed,
            WorkoutFinished: self._on_workout_finished,
            Paused: self._on_paused,
            Resumed: self._on_resumed,
            PoseLost: self._on_pose_lost,
            PoseFound: self._on_pose_found,
            Answered: self._on_answered,
            CommandHeard: self._on_command_heard,
            ExerciseChanged: self._on_exercise_changed,
            ViewChanged: self._on_view_changed,
            ConfirmAsked: self._on_confirm_asked,
            ConfirmDropped: self._on_confirm_dropped,
            Confirmed: self._on_confirmed,
        }

    def _new_set(self) -> None:
        self._session_mode = True
        self._rep_base = self._last_rep_seen
        for st in self._faults.values():  # a new set starts every streak afresh
            st.cued_in_streak, st.last_rep, st.last_cued_rep = 0, None, None
        self._last_correction_rep = None

    # -- the lifter's pace --
    def _seconds(self, text: str) -> float:
        """About how long the voice takes to say `text`."""
        return 0.2 + len(text.split()) / self.config.words_per_s

    def _rep_period(self) -> float | None:
        """Seconds between this lifter's counts (the median of the last three), once known."""
        gaps = sorted(b - a for a, b in zip(self._count_times[-4:], self._count_times[-3:]))
        return gaps[len(gaps) // 2] if gaps else None

    def _until_next_count(self, t: float) -> float:
        """About how long until the next rep counts: the gap a correction has to fit in."""
        period = self._rep_period()
        if period is None or not self._count_times:
            return float("inf")
        left = self._count_times[-1] + period - t
        return left if left > 0 else period / 2  # overdue: the rep in progress counts soon

    # -- entry points --
    def feed(self, events: Iterable[object]) -> list[Cue]:
        """Cues for one batch of simultaneous events (e.g. what one frame produced)."""
        batch = list(events)
        # several faults found at once: the most important gets the rep's one correction
        # (only the faults are reordered, among their own slots; everything else keeps its order)
        found = [(i, e) for i, e in enumerate(batch) if isinstance(e, FaultFound)]
        by_rank = sorted((e for _, e in found), key=lambda e: self._rank(e.fault.id))
        for (i, _), e in zip(found, by_rank):
            batch[i] = e
        out: list[Cue] = []
        for event in batch:
            out.extend(self._on(event))
        if self._greeting is not None and out:  # something to say before the view is known
            out = self._greet(out[0].t) + out
        # at one moment: the count first (it is short and it is what a rep counter is for; a
        # correction waits the half second, see count_grace_s), then the most important first
        out.sort(key=lambda c: (c.kind != "count", -c.priority))
        return _with_the_summary(out)

    def tick(self, t: float) -> list[Cue]:
        """The passing of time without events (rest countdown; a greeting that waited long
        enough for the camera's view)."""
        if self._greeting is not None and t - self._greeting.t >= GREETING_WAIT_S:
            return self._greet(t)
        if (self._resting_until is not None and not self._rest_warned and not self._paused
                and self._resting_until - t <= self.config.rest_warning_s):
            self._rest_warned = True
            left = max(1, round(self._resting_until - t))
            return [self._cue(t, "rest.left", "system", seconds=self._secs(left))]
        return []

    def _on(self, e: object) -> list[Cue]:
        handler = self._handlers.get(type(e))
        return handler(e) if handler else []

    # -- reps and faults --
    def _on_fault_found(self, e: FaultFound) -> list[Cue]:
        f = e.fault.id
        self._rep_faults.setdefault(e.rep, set()).add(f)
        st = self._faults.setdefault(f, _FaultState())
        if st.last_rep is not None and st.last_rep not in (e.rep, e.rep - 1) and st.cued_in_streak:
            st.cued_in_streak = 0  # a gap of unjudged reps: treat it as a new streak
        repeated = st.last_rep == e.rep - 1
        st.last_rep = e.rep
        if self._paused:
            return []
        out: list[Cue] = []
        if (e.fault.severity == "severe" and f == "spine_rounding"
                and self._severe_said_set != self._set_no):
            self._severe_said_set = self._set_no
            out.append(self._cue(e.t, "safety.severe", "safety", rep=e.rep, fault=f))
        if e.rep in self._corrected_reps or self._last_rep_seen - e.rep >= 2:
            return out  # one correction a rep; and a fault two reps old no longer helps
        if SEVERITIES.index(e.fault.severity if e.fault.severity in SEVERITIES else "moderate") \
                < SEVERITIES.index(self.config.min_severity):
            return out
        if st.last_cued_rep is not None and e.rep - st.last_cued_rep < self.config.cooldown_reps:
            return out
        if self.config.mild_needs_repeat and e.fault.severity == "mild" and not repeated:
            return out
        if (f not in self.config.safety_faults and self._last_correction_rep is not None
                and e.rep - self._last_correction_rep < self.config.correction_gap_reps):
            return out
        nth = st.cued_in_streak + 1
        if nth >= self.config.lower_load_at and self.exercise not in self.config.unloaded_exercises:
            which = "lower_load"
        elif nth >= self.config.escalate_at:
            which = "escalate"
        else:
            which = "short" if st.ever_cued else "long"
            if which == "long" and self._seconds(self.lib.render(f"fault.{f}.long")) > self._until_next_count(e.t):
                which = "short"  # reps come fast: the short form, said before the next count
        st.cued_in_streak, st.last_cued_rep, st.ever_cued = nth, e.rep, True
        self._corrected_reps.add(e.rep)
        self._last_correction_rep = e.rep
        kind = "correction"
        prio = self.config.priority("safety_correction" if f in self.config.safety_faults else "correction")
        out.append(self._cue(e.t, f"fault.{f}.{which}", kind, priority=prio, rep=e.rep, fault=f))
        if which == "lower_load" and st.cued_in_streak == self.config.lower_load_at:
            out.append(self._cue(e.t, "safety.form_before_load", "safety",
                                 priority=self.config.priority("set"), rep=e.rep))
        return out

    def _on_rep_judged(self, e: RepJudged) -> list[Cue]:
        if not e.judged:
            return []
        present = {f.id for f in e.faults} | self._rep_faults.get(e.rep, set())
        fixed = []
        for f, st in self._faults.items():
            if f in present or f in e.not_judged:
                continue
            if st.last_rep is not None and st.last_rep < e.rep:
                if st.cued_in_streak:
                    fixed.append(f)
                st.cued_in_streak = 0
                st.last_rep = None
        self._rep_faults = {r: fs for r, fs in self._rep_faults.items() if r > e.rep - 3}
        if (not fixed or not self.config.praise or self._paused or e.rep in self._corrected_reps
                or present or not self._set_open):
            return []
        best = min(fixed, key=self._rank)
        return [self._cue(e.t, f"fault.{best}.praise", "praise", rep=e.rep, fault=best)]

    def _count(self, t: float, n: int, end: float) -> list[Cue]:
        if end in self._counted_ends or self._paused:
            return []
        self._counted_ends.add(end)
        self._count_times = (self._count_times + [t])[-5:]
        target, c = self._target, self.config
        if target is not None and n == target:
            cue = self._cue(t, "count.target_reached", "count", rep=n)
        elif target is not None and n < target and target - n <= c.countdown_from:
            left = target - n
            cue = (self._cue(t, "count.last", "count", rep=n) if left == 1
                   else self._cue(t, "count.remaining", "count", rep=n, left=left))
        elif c.count_every and n % c.count_every == 0:
            return [self._cue(t, "count.rep", "count", rep=n)]
        else:
            return []
        period = self._rep_period()
        if period is not None and self._seconds(cue.text) > 0.8 * period:
            return [self._cue(t, "count.rep", "count", rep=n)]  # reps faster than the words: the number
        return [cue]

    def _on_rep_counted(self, e: RepCounted) -> list[Cue]:
        self._last_rep_seen = e.rep
        if self._session_mode:
            return []
        return self._count(e.t, e.rep - self._rep_base, e.end)

    def _on_rep_recorded(self, e: RepRecorded) -> list[Cue]:
        self._session_mode = True
        if e.judged:
            return []
        return self._count(e.t, e.rep, e.end)


    # -- sets and rest --







    # -- system --





    def _on_confirmed(self, e: Confirmed) -> list[Cue]:
        """"Yes": the held command is done now; what the session did says itself (SetEnded,
        WorkoutFinished, ...), what the policy does (a setting, help) is done here."""
        self._asking = None
        return self._on_command_heard(CommandHeard(e.t, e.command))

    def _on_command_heard(self, e: CommandHeard) -> list[Cue]:
        if e.confirm and self.vocabulary is not None and self.vocabulary.needs_confirmation(e.command):
            return []  # held by the session and asked about (ConfirmAsked); done on "yes" (Confirmed)
        match e.command:
            case Repeat() if self._asking is not None:
                return []  # the session asks again (ConfirmAsked): not the question twice
            case Repeat() if self._last_said is not None:
                last = self._last_said
                return [Cue(e.t, last.text, "confirm", self.config.priority("confirm"), last.key,
                            last.rep, last.fault)]
            case CountEvery(n=n):
                n = max(0, n)
                self.config = replace(self.config, count_every=n)
                if n == 1:
                    return [self._cue(e.t, "confirm.count_every_rep", "confirm")]
                return [self._cue(e.t, "confirm.count_every", "confirm", n=n)] if n else []
            case QuietMode():
                self.config = replace(self.config, count_every=0, countdown_from=0, praise=False)
                return [self._cue(e.t, "confirm.quiet_mode", "confirm")]
            case Help():
                return self.help(e.t)
            case Louder() | Quieter() | Slower() | Faster():
                # the speech adapter applies it (Speaker.apply_command); the policy confirms in words
                return [self._cue(e.t, f"confirm.{type(e.command).__name__.lower()}", "confirm")]
        return []


_AFTER_THE_SUMMARY = ("safety.see_physio", "system.session_end")


def _with_the_summary(cues: list[Cue]) -> list[Cue]:
    """What follows a set's summary at the same moment (see a physiotherapist, the goodbye) is
    said in the same breath: one cue, so it cannot go stale waiting behind the summary."""
    summary = next((c for c in cues if c.key.startswith("set.summary")), None)
    after = [c for key in _AFTER_THE_SUMMARY for c in cues if c.key == key]
    if summary is None or not after:
        return cues
    joined = replace(summary, text=" ".join([summary.text] + [c.text for c in after]))
    return [joined if c is summary else c for c in cues if c not in after]


def cues_for(events: Iterable[object], library: CueLibrary, config: PolicyConfig | None = None,
             exercise: str | None = None) -> list[Cue]:
    """Run the policy over a recorded event stream, batching events that share a time."""
    policy = CuePolicy(library, config, exercise)
    out: list[Cue] = []
    batch: list[object] = []
    for event in events:
        if batch and getattr(event, "t", None) != getattr(batch[0], "t", None):
            out.extend(policy.feed(batch))
            batch = []
        batch.append(event)
    if batch:
        out.extend(policy.feed(batch))
    return out
