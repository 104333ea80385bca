"""The live workout: adapters and the pure core wired with threads and queues of small events.

    camera thread ── frames ──▶ ┐
                                ├─ Inbox ─▶ core thread: analysis ▶ session ▶ cue policy ─▶ speech thread
    voice thread ── commands ─▶ ┘                         │ log (fsynced per rep)
    (audio ▶ recognizer ▶ parser)

The core thread owns the pure state (analyzer, session, cue policy) and is the one writer of
the log: the speech thread hands back what was said through a queue. Every cue goes one way:
the cue policy says it, the speaker's SpeechQueue (the one arbiter) decides when. In real time
(live, or a paced replay) the core always takes the newest frame and drops the ones it had no
time for, and takes commands as they come, so a slow recognizer or a long cue never stalls
counting. In a lossless replay (the fast demo, the tests) the Inbox merges frames and commands
in timeline order instead, so a run is repeatable.

The same code runs `coach live` (camera, microphone, speaker) and `coach demo` (a trace as the
camera, a WAV as the microphone, a WAV file as the speaker): coach.pose.cameras, coach.voice.mics
and coach.speech.sinks.
"""

from __future__ import annotations

import logging
import math
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from coach.core import events as ev
from coach.core.analysis import Analyzer
from coach.core.board import Board, BoardKeeper
from coach.core.commands import FinishWorkout, Pause, SwitchExercise, Yes, default_vocabulary
from coach.core.cue_policy import CuePolicy
from coach.core.cues import load_cues_or_builtin
from coach.core.events import Command, Event
from coach.core.exercises import ExerciseError
from coach.core.frames import Frame
from coach.core.policy_config import PolicyConfig, load_policy_config
from coach.core.session import CONFIRM_WINDOW_S, Session
from coach.core.vocabulary import VocabError, Vocabulary
from coach.io.log import SessionLog
from coach.io.report import fault_name, join_words, plural
from coach.io.transcript import Transcript
from coach.runtime.clock import Clock, Inbox, Tick
from coach.speech.sinks import CueSink, LiveSpeaker, NullSpeaker
from coach.voice.command_source import CommandSource

log = logging.getLogger(__name__)
END = object()  # the speech queue's "nothing more will come"


@dataclass
class RuntimeOptions:
    realtime: bool = False
    speed: float = 1.0
    language: str = "en"
    count_every: int | None = None  # None: the policy's (cues/policy.toml)
    wake_word: str | None = None  # what the greeting teaches to say before "help"
    hip_every_s: float = 0.1  # the log's hip flexion samples (the report's plot)
    corrections: bool = True  # False: no form corrections during the set (summaries still say them)
    handle_signals: bool = False  # the CLI: SIGTERM finishes the workout cleanly
    policy: PolicyConfig | None = None  # None: cues/policy.toml (a broken file raises PolicyConfigError)


@dataclass
class RunResult:
    log_path: str
    sets: int
    reps: int
    cues: list[tuple[float, ev.Cue]] = field(default_factory=list)
    commands: list[ev.CommandHeard] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    dropped_frames: int = 0
    rep_lag_s: list[float] = field(default_factory=list)   # wall time from a frame to its rep event
    cue_latency_s: list[float] = field(default_factory=list)  # timeline: count moment -> first sample
    cue_wall_s: list[float] = field(default_factory=list)  # real time: count frame released -> audio placed
    frames: int = 0


class BoardSink(Protocol):
    """Where the board goes (coach.display.server.StationDisplay): `show` must return at once."""

    def show(self, board: Board) -> None: ...


def _vocabulary(language: str) -> Vocabulary | None:
    try:
        return default_vocabulary(language)
    except VocabError as e:
        log.warning("no vocabulary: %s", e)
        return None


class Runtime:
    """One session: `run()` starts the camera, voice, core and speech threads and returns when
    the workout is finished (a command, the end of the recordings, Ctrl-C or SIGTERM)."""

    def __init__(self, session: Session, log: SessionLog, *, camera: Any = None, mic: Any = None,
                 recognizer: CommandSource | None = None, speaker: CueSink | None = None,
                 options: RuntimeOptions | None = None, transcript: Transcript | None = None,
                 messages: list[str] | None = None, frame_hook: Callable[[Frame, float], None] | None = None,
                 display: BoardSink | None = None):
        self.session, self.log = session, log
        self.camera, self.mic, self.recognizer = camera, mic, recognizer
        self.options = options or RuntimeOptions()
        self.speaker: CueSink = speaker or NullSpeaker()
        self.speaker.listeners.append(self._heard_from_speaker)
        self.transcript = transcript or Transcript()
        self.clock = Clock(self.options.realtime, self.options.speed)
        if isinstance(self.speaker, LiveSpeaker):
            self.speaker.clock = self.clock  # speech times on the session's timeline
        self.inbox = Inbox(lossless=not self.options.realtime)
        self._stop = threading.Event()
        self._speech_q: queue.Queue = queue.Queue()
        self._spoken_q: queue.Queue[ev.CueSpoken] = queue.Queue()  # speech thread -> core thread
        self._threads: list[threading.Thread] = []
        self._messages = list(messages or [])
        self.result = RunResult(log.path, 0, 0, messages=self._messages)
        self._frame_hook = frame_hook
        self._analysis_errors = 0
        self._closed = False

        config = self.options.policy or load_policy_config()
        if self.options.count_every is not None:
            config = replace(config, count_every=self.options.count_every)
        self.library = load_cues_or_builtin(self.options.language)
        self.policy = CuePolicy(self.library, config, session.exercise,
                                _vocabulary(self.options.language), self.options.wake_word)
        self.display = display
        self._board = BoardKeeper(self.library, camera=camera is not None)
        self._shown: Board | None = None

    # -- parts ---------------------------------------------------------------------------------
    def _new_analyzer(self, exercise: str) -> Analyzer | None:
        if self.camera is None or not self.session.chosen:  # no exercise yet: the coach asks
            return None
        try:
            return Analyzer(self.camera.meta, exercise)
        except ExerciseError as e:  # an exercise the analysis does not know: count nothing, say why
            self._say_system(self.session.t, f"I can't analyse {exercise.replace('_', ' ')} ({e}).")
            return None

    def _say_system(self, t: float, text: str, key: str = "system.message") -> None:
        self._messages.append(text)
        self._speech_q.put(self.policy.system(t, text, key))

    def stop(self, reason: str = "") -> None:
        self._stop.set()
        self.inbox.stop()

    # -- threads -------------------------------------------------------------------------------
    def _camera_loop(self) -> None:
        try:
            for frame in self.camera.frames():
                if not self.clock.wait_until(frame.t, self._stop):
                    break
                wall = time.monotonic()
                self.inbox.put_frame(frame)
                if self._frame_hook:
                    self._frame_hook(frame, wall)
        except Exception as e:  # noqa: BLE001 - whatever ends the camera, say so; the voice side goes on
            log.warning("the camera stopped: %r", e)
            self._say_system(self.inbox.camera_t if math.isfinite(self.inbox.camera_t) else 0.0,
                             self.library.render("system.camera_lost") if self.library.has("system.camera_lost")
                             else f"The camera stopped ({e}).")
        finally:
            self.inbox.done("camera")

    def _voice_loop(self) -> None:
        if self.recognizer is None:
            return
        try:
            for chunk in self.mic.chunks():
                end = chunk.t + len(chunk.samples) / 16000
                if not self.clock.wait_until(end, self._stop):
                    break
                for heard in self.recognizer.accept(chunk):
                    self.inbox.put_command(heard)
                self.inbox.voice_progress(end)
            else:
                for heard in self.recognizer.finish():
                    self.inbox.put_command(heard)
        except Exception as e:  # noqa: BLE001 - whatever ends the microphone, counting goes on
            log.warning("the microphone stopped: %r", e)
            self._say_system(max(self.inbox.voice_t, 0.0), self.library.render("system.microphone_missing")
                             if self.library.has("system.microphone_missing") else f"The microphone stopped ({e}).")
        finally:
            self.inbox.done("voice")

    def _speech_loop(self) -> None:
        """Hands cues to the speaker in order; at the end, lets it finish what it is saying."""
        while True:
            cue = self._speech_q.get()
            if cue is END:
                break
            try:
                self.speaker.say(cue)
                if cue.kind == "count" and self.options.realtime:
                    self.result.cue_wall_s.append(time.monotonic() - self.clock.wall_of(cue.t))
            except Exception as e:  # noqa: BLE001 - a speech failure must not end the workout: print instead
                log.warning("speech failed: %r", e)
                self._messages.append(f"speech failed ({e}); cues are printed instead")
                self.transcript.add(cue.t, "note", "Speech failed. Cues will be printed instead.")
                self.speaker = NullSpeaker()
                self.speaker.listeners.append(self._heard_from_speaker)
                self.speaker.say(cue)
        try:
            self.speaker.close()
        except Exception as e:  # noqa: BLE001 - the log and the counts are kept whatever the speaker does
            log.warning("closing the speaker: %r", e)
            self._messages.append(f"the speech could not be finished ({e})")

    def _heard_from_speaker(self, spoken: ev.CueSpoken) -> None:
        """A cue started playing (any thread): the core thread logs it; the recognizer stops
        listening while the coach's own voice is in the room."""
        self._spoken_q.put(spoken)
        if isinstance(self.speaker, LiveSpeaker):
            gate = getattr(self.recognizer, "gate", None)
            if gate is not None:
                words = len(spoken.cue.text.split())
                gate(spoken.t + words / (self.speaker.rate_wpm / 60.0))

    def _log_spoken(self) -> None:
        """What the speaker has said since last time: into the log, the transcript, the result."""
        while True:
            try:
                spoken = self._spoken_q.get_nowait()
            except queue.Empty:
                return
            cue, start = spoken.cue, spoken.t
            self.transcript.add(start, "coach", cue.text)
            self.result.cues.append((start, cue))
            if cue.kind == "count" and cue.rep is not None:
                self.result.cue_latency_s.append(start - cue.t)
            self.log.event(spoken)
            self._board.see([spoken])

    # -- the core ------------------------------------------------------------------------------
    def _core_loop(self) -> None:
        s = self.session
        self.log.write({"type": "devices", "camera": _name(self.camera), "mic": _name(self.mic),
                        "speaker": type(self.speaker).__name__, "messages": self._messages})
        analyzer = self._new_analyzer(s.exercise)
        t_last = 0.0
        idle = self.clock.now if self.options.realtime else None
        for cue in self.policy.greeting(0.0, s.exercise if s.chosen else None, wait_for_view=analyzer is not None):
            self._speech_q.put(cue)
        self._show(0.0)  # the exercise and the set on the screen before the first frame
        while True:
            item = self.inbox.get(idle_tick=idle)
            self._log_spoken()
            if item is None:
                break
            t_last = max(t_last, item.t)
            inputs: list[Event] = []
            outs: list[Event] = []
            if isinstance(item, Frame):
                self.result.frames += 1
                if analyzer is not None:
                    inputs += self._analyse(analyzer, item)
                    self.log.hip(item.t, analyzer.hip_flexion, self.options.hip_every_s)
                outs = s.tick(item.t)
            elif isinstance(item, ev.CommandRejected):
                self.transcript.add(item.t, "you", f'"{item.text}" -> not understood')
                self.log.event(item)
                for cue in self.policy.rejection(item.t):
                    self._speech_q.put(cue)
            elif isinstance(item, ev.CommandHeard):
                self.transcript.add(item.t, "you", f'"{item.text}" -> {_describe(item.command)}')
                self.result.commands.append(item)
                if analyzer is not None and isinstance(_done_now(s, item), (SwitchExercise, Pause, FinishWorkout)):
                    # the set is interrupted: its reps' verdicts are final now, before it closes
                    inputs += self._analyse_end(analyzer, settle=not isinstance(item.command, FinishWorkout))
                inputs.append(item)
            elif isinstance(item, Tick):
                outs = s.tick(item.t)
            analyzer = self._process(inputs, outs, analyzer, t_last)
            self._show(t_last)
            if s.finished:
                break
        if analyzer is not None and not s.finished:  # the recordings ended, or stop was asked
            self._process(self._analyse_end(analyzer), [], None, t_last)
        self._process([], s.finish(t_last), None, t_last)
        self._speech_q.put(END)
        if len(self._threads) > 1:
            self._threads[1].join()  # the speech thread: everything said is reported
        self._log_spoken()
        self._show(t_last)
        self._close_log()

    def _show(self, t: float) -> None:
        """The station display gets the board whenever what it shows changes (not every frame)."""
        if self.display is None or not self._board.due(t):
            return
        board = self._board.board(self.session, t)
        if board != self._shown:
            self._shown = board
            try:
                self.display.show(board)
            except Exception as e:  # noqa: BLE001 - a display failure must not end the workout
                log.warning("the display failed: %r", e)
                self.display = None

    def _analyse(self, analyzer: Analyzer, frame: Frame) -> list[Event]:
        try:
            return analyzer.feed(frame)
        except Exception as e:  # noqa: BLE001 - a bug in one frame's analysis must not end the workout
            log.exception("analysis error at %.2f s", frame.t)
            self._analysis_errors += 1
            if self._analysis_errors == 1:
                self._messages.append(f"analysis error at {frame.t:.1f} s: {e!r}")
                self.transcript.add(frame.t, "note", f"analysis error ({e!r}); counting goes on")
            return []

    def _analyse_end(self, analyzer: Analyzer, settle: bool = False) -> list[Event]:
        """The verdicts still open (`settle`: the set is interrupted, counting goes on)."""
        try:
            return analyzer.settle() if settle else analyzer.finish()
        except Exception:  # noqa: BLE001 - the set's last verdicts are lost, not the session
            log.exception("analysis error at the end")
            return []

    def _process(self, inputs: list[Event], outs: list[Event], analyzer: Analyzer | None,
                 t: float) -> Analyzer | None:
        s = self.session
        wall = time.monotonic()
        self._board.see(inputs)
        for e in inputs:
            if not isinstance(e, ev.PhaseChanged):
                self.log.event(e)
            if isinstance(e, ev.RepJudged):
                self._note(e)
            if isinstance(e, ev.RepCounted):
                self.result.rep_lag_s.append(wall - self.clock.wall_of(e.t) if self.options.realtime else 0.0)
            if isinstance(e, ev.CommandHeard):
                self.speaker.apply_command(e.command)  # louder, slower...: the speaker's business
            outs += s.handle(e)
        self._board.see(outs)
        for o in outs:
            self.log.event(o)
            self._note(o)
            if isinstance(o, ev.ExerciseChanged):
                analyzer = self._new_analyzer(o.exercise)
            elif isinstance(o, ev.Paused) and analyzer is not None:
                analyzer = self._new_analyzer(s.exercise)  # what follows a pause starts afresh
        cues = self.policy.feed(inputs + outs) + self.policy.tick(t)
        if not self.options.corrections:
            cues = [c for c in cues if c.kind != "correction"]
        # by time; the goodbye goes after the last set's summary whatever its priority
        for c in sorted(cues, key=lambda c: (c.t, c.key == "system.session_end")):
            self._speech_q.put(c)
        return analyzer

    def _note(self, o: object) -> None:
        """Session events in the transcript, in plain words, so a reader sees the coach's state."""
        tr, name = self.transcript, self.library.exercise_name
        if isinstance(o, ev.SetStarted):
            target = f", target {plural(o.target_reps, 'rep')}" if o.target_reps else ""
            tr.add(o.t, "set", f"set {o.set_no} started: {name(o.exercise)}{target}")
        elif isinstance(o, ev.RepRecorded):
            faults = ", ".join(fault_name(f.id) for f in o.faults)
            if not o.judged:
                tr.add(o.t, "rep", f"rep {o.rep} of set {o.set_no}" + (f" ({faults})" if faults else ""))
            elif faults:
                tr.add(o.t, "rep", f"rep {o.rep} judged: {faults}")
        elif isinstance(o, ev.RepJudged) and not o.judged:  # seen too poorly to judge at all
            why = "; ".join(sorted(set(o.not_judged.values())))
            tr.add(o.t, "rep", "that rep could not be judged" + (f" ({why})" if why else ""))
        elif isinstance(o, ev.SetEnded):
            counts = join_words([f"{fault_name(k)} on {plural(v, 'rep')}" for k, v in o.fault_counts.items()])
            tr.add(o.t, "set", f"set {o.set_no} ended: {plural(o.reps, 'rep')} of {name(o.exercise)}; "
                               f"{counts or 'clean'}")
        elif isinstance(o, ev.ExerciseChanged):
            tr.add(o.t, "set", f"exercise: {name(o.exercise)}")
        elif isinstance(o, (ev.RestStarted, ev.RestEnded, ev.Paused, ev.Resumed, ev.RepUndone, ev.TargetChanged)):
            tr.add(o.t, "set", _describe(o))
        elif isinstance(o, ev.WorkoutFinished):
            tr.add(o.t, "set", f"workout finished: {plural(o.sets, 'set')}, {plural(o.reps, 'rep')}")

    # -- running -------------------------------------------------------------------------------
    def run(self) -> RunResult:
        for text in self._messages:  # devices that were missing at start: say it first
            self._speech_q.put(self.policy.system(0.0, text, "system.device"))
        if self.camera is None:
            self.inbox.done("camera")
        if self.mic is None or self.recognizer is None:
            self.inbox.done("voice")
        self.clock.start(getattr(self.camera, "t0_monotonic", None))
        targets = [("core", self._core_loop), ("speech", self._speech_loop)]
        if self.camera is not None:
            targets.append(("camera", self._camera_loop))
        if self.mic is not None and self.recognizer is not None:
            targets.append(("voice", self._voice_loop))
        self._threads = [threading.Thread(target=fn, name=f"coach-{n}", daemon=True) for n, fn in targets]
        old_term = None
        if self.options.handle_signals and threading.current_thread() is threading.main_thread():
            old_term = signal.signal(signal.SIGTERM, lambda *_: self.stop("SIGTERM"))
        try:
            for th in self._threads:
                th.start()
            core = self._threads[0]
            try:
                while core.is_alive():
                    core.join(0.2)
            except KeyboardInterrupt:
                self.stop("Ctrl-C")
                core.join(30)
        finally:
            self.stop()
            if old_term is not None:
                signal.signal(signal.SIGTERM, old_term)
            for th in self._threads[2:]:
                th.join(2)
            if core.is_alive() or not self._closed:  # the core thread failed: keep what was logged
                self._close_log()
            for c in (self.camera,):
                if c is not None:
                    try:
                        c.close()
                    except Exception as e:  # noqa: BLE001 - a camera that fails to close changes nothing now
                        log.warning("closing the camera: %r", e)
        return self.result

    def _close_log(self) -> None:
        if self._closed:
            return
        self._closed = True
        s = self.session
        self.result.sets, self.result.reps = len(s.sets), s.total_reps
        self.result.dropped_frames = self.inbox.dropped_frames
        self.log.close({"sets": len(s.sets), "reps": s.total_reps})


def _name(device: Any) -> str | None:
    if device is None:
        return None
    return getattr(device, "path", None) or type(device).__name__


def _done_now(session: Session, heard: ev.CommandHeard) -> Command | None:
    """The command the session will carry out on `heard`: the one asked about for a timely
    "yes", none for an unsure one it will ask about first, else the command heard."""
    asking = session.asking
    if isinstance(heard.command, Yes):
        return asking.command if asking is not None and heard.t <= asking.t + CONFIRM_WINDOW_S else None
    if heard.confirm and session.vocabulary.needs_confirmation(heard.command):
        return None
    return heard.command


def _describe(obj: object) -> str:
    import dataclasses
    if dataclasses.is_dataclass(obj):
        vals = ", ".join(f"{f.name}={getattr(obj, f.name)!r}" for f in dataclasses.fields(obj) if f.name != "t")
        return f"{type(obj).__name__}({vals})"
    return type(obj).__name__
