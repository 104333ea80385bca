"""What the station display shows, as one small immutable value (pure: no I/O, no clock).

The session already holds the set, the count, the target and the rest; the board keeper adds
what only the event stream tells: the last thing the coach said, the last rep's faults in words,
and whether the camera sees a lifter. The runtime publishes a new Board whenever it differs from
the last one, and the display adapter (coach.display) only serialises it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from coach.core import events as ev
from coach.core.session import Session

# A framing hint ("step back so I can see your feet") stays on the screen this long after it was
# said: long enough to read from across the room, short enough not to linger once fixed.
ADVICE_SHOWN_S = 12.0


class Words(Protocol):
    """The cue library's part the board needs (coach.core.cues.CueLibrary)."""

    def has(self, cue_id: str) -> bool: ...
    def render(self, cue_id: str, variant: int = 0, **values: Any) -> str: ...
    def exercise_name(self, exercise: str) -> str: ...


@dataclass(frozen=True)
class Board:
    """One screenful. Times are the session's timeline (seconds)."""

    t: float = field(compare=False)  # two boards are equal when they show the same screen
    exercise: str            # in words, "" until one is chosen
    set_no: int              # the set in progress or the last one; 0 before the first
    in_set: bool
    count: int               # reps in that set
    target: int | None
    last_cue: str            # the last thing the coach said, counts aside
    last_rep: int | None     # the rep the faults below belong to
    last_faults: tuple[str, ...]  # that rep's faults in plain words
    last_rep_judged: bool
    resting: bool
    rest_left_s: int | None  # whole seconds, so the board changes once a second, not every frame
    paused: bool
    finished: bool
    camera: str              # "seen" | "advice" | "no_lifter" | "off"
    camera_text: str

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["last_faults"] = list(self.last_faults)
        return d


class BoardKeeper:
    """Follows the events and builds the Board of a session at a time."""

    def __init__(self, words: Words, camera: bool = True):
        self._words = words
        self._camera = camera
        self._last_cue = ""
        self._last_rep: ev.RepRecorded | None = None
        self._pose_seen = False
        self._advice: tuple[float, str] | None = None
        self._news = True            # something that may change the screen was seen
        self._second: int | None = None  # the whole second of the last board (rest timer, hints)

    def due(self, t: float) -> bool:
        """Whether a board made now could differ from the last one: news, or a new second. Lets
        the runtime skip making a board on the many frames that change nothing on the screen."""
        return self._news or int(t) != self._second

    def see(self, events: Iterable[object]) -> None:
        for e in events:
            if not isinstance(e, ev.PhaseChanged):
                self._news = True
            if isinstance(e, ev.CueSpoken):
                cue = e.cue
                if cue.kind != "count":  # the count is on the screen already, in large
                    self._last_cue = cue.text
                if cue.kind == "view":
                    self._advice = (e.t, cue.text)
            elif isinstance(e, ev.RepRecorded):
                self._last_rep = e
            elif isinstance(e, ev.SetStarted) or (isinstance(e, ev.RepUndone) and self._undoes_last(e)):
                self._last_rep = None
            elif isinstance(e, ev.PoseFound):
                self._pose_seen = True
            elif isinstance(e, ev.PoseLost):
                self._pose_seen, self._advice = False, None

    def _undoes_last(self, e: ev.RepUndone) -> bool:
        last = self._last_rep
        return last is not None and last.set_no == e.set_no and last.rep > e.reps

    def board(self, session: Session, t: float) -> Board:
        self._news, self._second = False, int(t)
        s = session
        last = s.current or (s.sets[-1] if s.sets else None)
        rest = s.rest_left(t)
        rep = self._last_rep
        return Board(
            t=t, exercise=self._words.exercise_name(s.exercise) if s.chosen else "",
            set_no=last.set_no if last else 0, in_set=s.current is not None,
            count=len(last.reps) if last else 0,
            target=s.current.target_reps if s.current is not None else s.target_reps,  # else: the next set's
            last_cue=self._last_cue,
            last_rep=rep.rep if rep else None,
            last_faults=tuple(self._fault_words(f.id) for f in rep.faults) if rep else (),
            last_rep_judged=bool(rep and rep.judged),
            resting=rest is not None, rest_left_s=math.ceil(rest) if rest is not None else None,
            paused=s.paused, finished=s.finished,
            **self._camera_state(t))

    def _camera_state(self, t: float) -> dict[str, str]:
        if not self._camera:
            return {"camera": "off", "camera_text": "No camera"}
        if self._advice is not None and t - self._advice[0] <= ADVICE_SHOWN_S:
            return {"camera": "advice", "camera_text": self._advice[1]}
        if self._pose_seen:
            return {"camera": "seen", "camera_text": "Lifter in view"}
        return {"camera": "no_lifter", "camera_text": "No lifter seen"}

    def _fault_words(self, fault_id: str) -> str:
        key = f"fault.{fault_id}.name"
        return self._words.render(key) if self._words.has(key) else fault_id.replace("_", " ")
