"""The live workout: adapters and the pure core wired with threads and queues of small events.

    camera thread ── frames ──▶ ┐
                                ├─ Inbox ─▶ core thread: analysis ▶ session ▶ cue policy ─▶ speech thread
    voice thread ── commands ─▶ ┘                         │ log (fsynced per rep)
    (audio ▶ recognizer ▶ parser)

The core thread owns the pure state (analyzer, session, cue policy) and the log; nothing else
touches it. In real time (live, or a paced replay) the core always takes the newest frame and
drops the ones it had no time for, and takes commands as they come, so a slow recognizer or a
long cue never stalls counting. In a lossless replay (the fast demo, the tests) the Inbox merges
frames and commands in timeline order instead, so a run is repeatable.

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
from dataclasses import dataclass, field
from typing import Any

from coach.core import events as ev
from coach.core.analysis import Analyzer
from coach.core.commands import Help, default_vocabulary, help_lines
from coach.core.cue_policy import CuePolicy
from coach.core.cues import CueLibrary, load_cues_or_builtin
from coach.core.events import Event
from coach.core.exercises import ExerciseError
from coach.core.frames import Frame
from coach.core.policy_config import PolicyConfig
from coach.core.session import Session
from coach.core.session_cues import SessionCues
from coach.core.vocabulary import VocabError
from coach.io.log import SessionLog
from coach.io.transcript import Transcript
from coach.runtime.clock import Clock, Inbox, Tick
from coach.speech.sinks import CueSink, LiveSpeaker, NullSpeaker
from coach.voice.command_source import CommandSource

log = logging.getLogger(__name__)
END = object()  # the speech queue's "nothing more will come"


@dataclass
class RuntimeOptions:
    exercise: str | None = None
    realtime: bool = False
    speed: float = 1.0
    language: str = "en"
    count_every: int = 1
    wake_word: str | None = None
    hip_every_s: float = 0.1  # the log's hip flexion samples (the report's plot)
    corrections: bool = True  # False: no form corrections during the set (summaries still say them)
    handle_signals: bool = False  # the CLI: SIGTERM finishes the workout cleanly


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


def _cue_policy(library: CueLibrary, count_every: int, exercise: str) -> CuePolicy:
    return CuePolicy(library, PolicyConfig(count_every=count_every), exercise)


def _help_text(language: str, state: str = "set") -> str | None:
    """What the lifter can say now (idle, set, rest, paused), read from the vocabulary."""
    try:
        return " ".join(help_lines(state, default_vocabulary(language)))
    except VocabError:
        return None


def _state(s: Session) -> str:
    return "paused" if s.paused else "set" if s.current else "rest" if s.resting else "idle"


class Runtime:
    def __init__(self, session: Session, log: SessionLog, *, camera: Any = None, mic: Any = None,
                 recognizer: CommandSource | None = None, speaker: CueSink | None = None,
                 options: RuntimeOptions | None = None, transcript: Transcript | None = None,
                 messages: list[str] | None = None, frame_hook: Callable[[Frame, float], None] | None = None):
        self.session, self.log = session, log
        self.camera, self.mic, self.recognizer = camera, mic, recognizer
        self.speaker: CueSink = speaker or NullSpeaker()
        if hasattr(self.speaker, "listeners"):
            self.speaker.listeners.append(self._spoken)
        self.options = options or RuntimeOptions()
        self.transcript = transcript or Transcript()
        self.clock = Clock(self.options.realtime, self.options.speed)
        if isinstance(self.speaker, LiveSpeaker):
            self.speaker.clock = self.clock  # speech times on the session's timeline
        self.inbox = Inbox(lossless=not self.options.realtime)
        self._stop = threading.Event()
        self._speech_q: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._messages = list(messages or [])
        self.result = RunResult(log.path, 0, 0, messages=self._messages)
        self._frame_hook = frame_hook
        self._rep_frame_wall: dict[float, float] = {}
        self._analysis_errors = 0

        self.library = load_cues_or_builtin(self.options.language)
        self.policy = _cue_policy(self.library, self.options.count_every, session.exercise)
        self.session_cues = SessionCues(self.library, self.options.count_every,
                                        _help_text(self.options.language), corrections=False)
        self._rejection = self._rejection_text()

    # -- parts ---------------------------------------------------------------------------------
    def _rejection_text(self) -> str:
        """What the coach says to speech meant for it that it did not understand (the vocabulary's)."""
        try:
            return default_vocabulary(self.options.language).rejection
        except VocabError:
            return ""

    def _new_analyzer(self, exercise: str) -> Any:
        if self.camera is None:
            return None
        try:
            return Analyzer(self.camera.meta, exercise)
        except ExerciseError as e:  # an exercise the analysis does not know: count nothing, say why
            self._say_system(self.session.t, f"I can't analyse {exercise.replace('_', ' ')} ({e}).")
            return None

    def _say_system(self, t: float, text: str, key: str = "system.message") -> None:
        self._messages.append(text)
        self._speech_q.put(ev.Cue(t, text, "system", 70, key))

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
        while True:
            cue = self._speech_q.get()
            if cue is END:
                return
            try:
                span = self.speaker.say(cue)
                if cue.kind == "count" and self.options.realtime:
                    self.result.cue_wall_s.append(time.monotonic() - self.clock.wall_of(cue.t))
            except Exception as e:  # noqa: BLE001 - a speech failure must not end the workout: print instead
                log.warning("speech failed: %r", e)
                self.speaker = NullSpeaker()
                self._messages.append(f"speech failed ({e}); cues are printed instead")
                self.transcript.add(cue.t, "note", "Speech failed. Cues will be printed instead.")
                span = (cue.t, cue.t)
            if span is None:
                continue  # dropped as stale, or played later by an asynchronous speaker
            self._spoken(ev.CueSpoken(span[0], cue))

    def _spoken(self, spoken: ev.CueSpoken) -> None:
        cue, start = spoken.cue, spoken.t
        self.transcript.add(start, "coach", cue.text)
        self.result.cues.append((start, cue))
        if cue.kind == "count" and cue.rep is not None:
            self.result.cue_latency_s.append(start - cue.t)
        self.log.event(spoken)
        if isinstance(self.speaker, LiveSpeaker):  # its own voice must not become a command
            gate = getattr(self.recognizer, "gate", None)
            if gate is not None:
                gate(start + len(cue.text.split()) / (self.speaker.rate_wpm / 60.0))

    # -- the core ------------------------------------------------------------------------------
    def _core_loop(self) -> None:
        s = self.session
        analyzer = self._new_analyzer(s.exercise)
        t_last = 0.0
        idle = self.clock.now if self.options.realtime else None
        for cue in self.session_cues.greeting(0.0, s.exercise):
            self._speech_q.put(cue)
        while True:
            item = self.inbox.get(idle_tick=idle)
            if item is None:
                break
            inputs: list[Event] = []
            if isinstance(item, Frame):
                t_last = max(t_last, item.t)
                self.result.frames += 1
                if analyzer is not None:
                    try:
                        inputs += analyzer.feed(item)
                    except Exception as e:  # noqa: BLE001 - a bug in one frame's analysis must not end the workout
                        log.exception("analysis error at %.2f s", item.t)
                        self._analysis_errors += 1
                        if self._analysis_errors == 1:
                            self._messages.append(f"analysis error at {item.t:.1f} s: {e!r}")
                            self.transcript.add(item.t, "note", f"analysis error ({e!r}); counting goes on")
                    self.log.hip(item.t, analyzer.hip_flexion, self.options.hip_every_s)
                outs = s.tick(item.t)
            elif isinstance(item, ev.CommandRejected):
                t_last = max(t_last, item.t)
                self.transcript.add(item.t, "you", f'"{item.text}" -> not understood')
                self.log.event(item)
                if self._rejection:
                    self._speech_q.put(ev.Cue(item.t, self._rejection, "confirm", 65, "system.rejection"))
                outs = []
            elif isinstance(item, ev.CommandHeard):
                t_last = max(t_last, item.t)
                self.transcript.add(item.t, "you", f'"{item.text}" -> {_describe(item.command)}')
                self.result.commands.append(item)
                inputs.append(item)
                outs = []
            elif isinstance(item, Tick):
                t_last = max(t_last, item.t)
                outs = s.tick(item.t)
            analyzer = self._process(inputs, outs, analyzer, t_last)
            if s.finished:
                break
        if analyzer is not None and not s.finished:
            try:
                self._process(list(analyzer.finish()), [], None, t_last)
            except Exception:  # noqa: BLE001 - the set's last verdicts are lost, not the session
                log.exception("analysis error at the end")
        self._process([], s.finish(t_last), None, t_last)
        self._speech_q.put(END)

    def _process(self, inputs: list[Event], outs: list[Event], analyzer: Any, t: float) -> Any:
        s = self.session
        wall = time.monotonic()
        for e in inputs:
            if not isinstance(e, ev.PhaseChanged):
                self.log.event(e)
            if isinstance(e, ev.RepCounted):
                self.result.rep_lag_s.append(wall - self.clock.wall_of(e.t) if self.options.realtime else 0.0)
            outs += s.handle(e)
        for o in outs:
            self.log.event(o)
            self._note(o)
            if isinstance(o, ev.ExerciseChanged):
                analyzer = self._new_analyzer(o.exercise)
                self.policy.exercise = o.exercise
        everything = inputs + outs
        cues: list[ev.Cue] = []
        for e in inputs:
            if isinstance(e, ev.CommandHeard):
                self._speech_setting(e)
        cues += self.policy.feed(everything)
        cues += self.policy.tick(t)
        for e in everything:
            is_help = isinstance(e, ev.CommandHeard) and isinstance(e.command, Help)
            if is_help:
                self.session_cues.help_text = _help_text(self.options.language, _state(s)) or \
                    self.session_cues.help_text
            if is_help or not isinstance(e, CuePolicy.HANDLES):
                cues += self.session_cues.handle(e)
        # by time; the goodbye goes after the last set's summary whatever its priority
        if not self.options.corrections:
            cues = [c for c in cues if c.kind != "correction"]
        for c in sorted(cues, key=lambda c: (c.t, c.key == "system.session_end")):
            self._speech_q.put(c)
        return analyzer

    def _speech_setting(self, e: ev.CommandHeard) -> None:
        """Louder / quieter / slower / faster go to the speaker (the cue policy confirms them)."""
        self.speaker.apply_command(e.command)

    def _note(self, o: object) -> None:
        """Session events in the transcript, so a reader sees the state the coach is in."""
        tr = self.transcript
        if isinstance(o, ev.SetStarted):
            target = f", target {o.target_reps}" if o.target_reps else ""
            tr.add(o.t, "set", f"set {o.set_no} started: {o.exercise}{target}")
        elif isinstance(o, ev.RepRecorded):
            faults = ", ".join(f.id for f in o.faults)
            if not o.judged:
                tr.add(o.t, "rep", f"rep {o.rep} of set {o.set_no}" + (f" ({faults})" if faults else ""))
            elif faults:
                tr.add(o.t, "rep", f"rep {o.rep} judged: {faults}")
        elif isinstance(o, ev.SetEnded):
            counts = ", ".join(f"{k} x{v}" for k, v in o.fault_counts.items()) or "clean"
            tr.add(o.t, "set", f"set {o.set_no} ended: {o.reps} reps of {o.exercise}; {counts}")
        elif isinstance(o, ev.ExerciseChanged):
            tr.add(o.t, "set", f"exercise: {o.exercise}")
        elif isinstance(o, (ev.RestStarted, ev.RestEnded, ev.Paused, ev.Resumed, ev.RepUndone, ev.TargetChanged)):
            tr.add(o.t, "set", _describe(o))
        elif isinstance(o, ev.WorkoutFinished):
            tr.add(o.t, "set", f"workout finished: {o.sets} sets, {o.reps} reps")

    # -- running -------------------------------------------------------------------------------
    def run(self) -> RunResult:
        for text in self._messages:  # devices that were missing at start: say it first
            self._speech_q.put(ev.Cue(0.0, text, "system", 70, "system.device"))
        if self.camera is None:
            self.inbox.done("camera")
        if self.mic is None or self.recognizer is None:
            self.inbox.done("voice")
        self.log.write({"type": "devices", "camera": _name(self.camera), "mic": _name(self.mic),
                        "speaker": type(self.speaker).__name__, "messages": self._messages})
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
            core, speech = self._threads[0], self._threads[1]
            try:
                while core.is_alive():
                    core.join(0.2)
            except KeyboardInterrupt:
                self.stop("Ctrl-C")
                core.join(10)
            speech.join(30)
        finally:
            self.stop()
            if old_term is not None:
                signal.signal(signal.SIGTERM, old_term)
            for th in self._threads[2:]:
                th.join(2)
            try:
                self.speaker.close()
            except Exception as e:  # noqa: BLE001 - the log and the counts are kept whatever the speaker does
                log.warning("closing the speaker: %r", e)
                self._messages.append(f"the speech WAV could not be written ({e})")
            s = self.session
            self.result.sets, self.result.reps = len(s.sets), s.total_reps
            self.result.dropped_frames = self.inbox.dropped_frames
            self.log.close({"sets": len(s.sets), "reps": s.total_reps})
            for c in (self.camera,):
                if c is not None:
                    try:
                        c.close()
                    except Exception as e:  # noqa: BLE001 - a camera that fails to close changes nothing now
                        log.warning("closing the camera: %r", e)
        return self.result


def _name(device: Any) -> str | None:
    if device is None:
        return None
    return getattr(device, "path", None) or type(device).__name__


def _describe(obj: object) -> str:
    import dataclasses
    if dataclasses.is_dataclass(obj):
        vals = ", ".join(f"{f.name}={getattr(obj, f.name)!r}" for f in dataclasses.fields(obj) if f.name != "t")
        return f"{type(obj).__name__}({vals})"
    return type(obj).__name__
