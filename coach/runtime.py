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
camera, a WAV as the microphone, a WAV file as the speaker): see the sources and sinks below.
"""

from __future__ import annotations

import collections
import io
import math
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import wave
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Protocol, TextIO

import numpy as np

from coach.core import events as ev
from coach.core.hip_angle import hip_angle
from coach.io.log import SessionLog
from coach.core.session import Session
from coach.core.session_cues import SessionCues
from coach.io.trace import Frame, TraceMeta

_END = object()


# --- time -------------------------------------------------------------------------------------

class Clock:
    """The session's timeline. Real time: timeline t is released at start + t / speed (wall
    clock). Not real time: as fast as the machine goes."""

    def __init__(self, realtime: bool = False, speed: float = 1.0):
        self.realtime, self.speed = realtime, speed
        self._wall0: float | None = None

    def start(self, wall0: float | None = None) -> None:
        if self._wall0 is None:
            self._wall0 = time.monotonic() if wall0 is None else wall0

    def now(self) -> float:
        self.start()
        return (time.monotonic() - self._wall0) * self.speed

    def wall_of(self, t: float) -> float:
        self.start()
        return self._wall0 + t / self.speed

    def wait_until(self, t: float, stop: threading.Event) -> bool:
        """Sleeps until timeline time t (real time only); False when asked to stop."""
        if not self.realtime:
            return not stop.is_set()
        delay = self.wall_of(t) - time.monotonic()
        if delay > 0:
            return not stop.wait(delay)
        return not stop.is_set()


# --- the inbox: frames and commands into the core ---------------------------------------------

@dataclass(frozen=True)
class Tick:
    t: float


class Inbox:
    """Frames (from the camera thread) and commands (from the voice thread) for the core."""

    def __init__(self, lossless: bool, max_frames: int = 64):
        self.lossless = lossless
        self._max = max_frames
        self._cond = threading.Condition()
        self._frames: collections.deque[Frame] = collections.deque()
        self._commands: collections.deque[ev.CommandHeard | ev.CommandRejected] = collections.deque()
        self.camera_t = -math.inf
        self.voice_t = -math.inf
        self.camera_done = False
        self.voice_done = False
        self.stopped = False
        self.dropped_frames = 0
        self._last_tick = -math.inf

    def put_frame(self, frame: Frame) -> None:
        with self._cond:
            if self.lossless:
                self._cond.wait_for(lambda: len(self._frames) < self._max or self.stopped)
            else:
                self.dropped_frames += len(self._frames)
                self._frames.clear()  # the core only ever wants the newest picture
            self._frames.append(frame)
            self.camera_t = frame.t
            self._cond.notify_all()

    def put_command(self, command: ev.CommandHeard | ev.CommandRejected) -> None:
        with self._cond:
            self._commands.append(command)
            self._cond.notify_all()

    def voice_progress(self, t: float) -> None:
        with self._cond:
            self.voice_t = max(self.voice_t, t)
            self._cond.notify_all()

    def done(self, which: str) -> None:
        with self._cond:
            setattr(self, f"{which}_done", True)
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self.stopped = True
            self._cond.notify_all()

    def _pick(self) -> object | None:
        f = self._frames[0] if self._frames else None
        c = self._commands[0] if self._commands else None
        if not self.lossless:
            if c is not None:
                return self._commands.popleft()
            if f is not None:
                return self._frames.popleft()
            return None
        # lossless: release the earliest item once the other stream is past its time
        if f is not None and (c is None or f.t < c.t) and (self.voice_done or self.voice_t >= f.t):
            item = self._frames.popleft()
            self._cond.notify_all()
            return item
        if c is not None and (f is None or c.t <= f.t) and (self.camera_done or self.camera_t >= c.t):
            return self._commands.popleft()
        if (self.camera_done and not self._frames and not self.voice_done and math.isfinite(self.voice_t)
                and self.voice_t >= self._last_tick + 0.1):
            self._last_tick = self.voice_t  # no camera: the audio's time drives the rest timer
            return Tick(self.voice_t)
        return None

    def get(self, idle_tick: Callable[[], float] | None = None, timeout: float = 0.25) -> object:
        """The next frame, command or Tick; _END when everything is done or stop was asked."""
        with self._cond:
            while True:
                if self.stopped:
                    return _END
                item = self._pick()
                if item is not None:
                    return item
                if self.camera_done and self.voice_done and not self._frames and not self._commands:
                    return _END
                if not self._cond.wait(timeout) and idle_tick is not None:
                    return Tick(idle_tick())  # real time: the rest timer runs without frames


# --- camera sources ---------------------------------------------------------------------------

class DeviceMissing(Exception):
    """A camera, microphone or speaker that cannot be used: str() is one sentence."""


class TraceCamera:
    """A landmark trace played as the camera, on its own timeline (paced by the clock)."""

    def __init__(self, path: str):
        from coach.io.trace import TraceError, TraceReader
        try:
            self._reader = TraceReader(path)
        except TraceError as e:
            raise DeviceMissing(str(e)) from None
        self.meta = self._reader.meta
        self.path = path

    def frames(self) -> Iterator[Frame]:
        return iter(self._reader)

    def close(self) -> None:
        self._reader.close()


class FramesCamera:
    """Frames already in memory (a synthetic trace) played as the camera."""

    def __init__(self, meta: TraceMeta, frames: list[Frame]):
        self.meta, self._frames = meta, frames

    def frames(self) -> Iterator[Frame]:
        return iter(self._frames)

    def close(self) -> None:
        pass


class LiveCamera:
    """A camera through MediaPipe Pose (helper A's coach.pose): frames on the monotonic clock."""

    realtime_source = True

    def __init__(self, device: int | str = 0, model: str | None = None):
        try:
            from coach.pose import landmark_frames
            from coach.pose.estimator import create_estimator
            from coach.pose.sources import CameraSource
        except ImportError as e:
            raise DeviceMissing(f"the camera needs the pose module ({e})") from None
        try:
            self._source = CameraSource(device)
        except Exception as e:
            raise DeviceMissing(str(e)) from None
        self.t0_monotonic = self._source._t0
        self.meta = TraceMeta(self._source.width, self._source.height, self._source.fps, f"camera {device}")
        self._estimator = create_estimator(model)
        self._landmark_frames = landmark_frames

    def frames(self) -> Iterator[Frame]:
        return self._landmark_frames(self._source, self._estimator, self.meta)

    def close(self) -> None:
        self._source.close()


# --- microphones and recognizers ---------------------------------------------------------------

class WavMic:
    """A WAV file played as the microphone, on the session's timeline (+ offset)."""

    def __init__(self, path: str, offset_s: float = 0.0):
        from coach.voice.audio import AudioError, wav_chunks
        self.path, self.offset_s = path, offset_s
        try:
            self._chunks = wav_chunks(path)
            self._first = next(self._chunks, None)
        except AudioError as e:
            raise DeviceMissing(str(e)) from None
        if self._first is None:
            raise DeviceMissing(f"{path}: the WAV file holds no audio")

    def chunks(self) -> Iterator[Any]:
        from coach.voice.audio import AudioChunk
        for c in self._iter():
            yield AudioChunk(c.t + self.offset_s, c.samples)

    def _iter(self) -> Iterator[Any]:
        yield self._first
        yield from self._chunks


class LiveMic:
    realtime_source = True

    def __init__(self, device: str | int | None = None, t0_monotonic: float | None = None):
        from coach.voice.audio import AudioError, resolve_device
        try:
            import sounddevice  # noqa: F401
            resolve_device(device)
            import sounddevice as sd
            if not any(d["max_input_channels"] > 0 for d in sd.query_devices()):
                raise AudioError("no microphone found")
        except Exception as e:
            raise DeviceMissing(str(e) or "no microphone found") from None
        self.device = device
        self.t0_monotonic = t0_monotonic if t0_monotonic is not None else time.monotonic()

    def chunks(self) -> Iterator[Any]:
        from coach.voice.audio import AudioChunk, mic_chunks
        for c in mic_chunks(self.device):
            yield AudioChunk(c.t - self.t0_monotonic, c.samples)


class Recognizer(Protocol):
    """Audio chunks in, what was said to the coach out: a command, or a "say that again"."""

    def accept(self, chunk: Any) -> list[ev.CommandHeard | ev.CommandRejected]: ...
    def finish(self) -> list[ev.CommandHeard | ev.CommandRejected]: ...


class ScriptRecognizer:
    """Stand-in when the speech recognizer cannot start: the WAV's script (a JSON list of
    {"t", "text"} next to the file, written by the script that made it) is "heard" when the
    audio reaches the end of each phrase."""

    def __init__(self, script: list[dict[str, Any]], language: str = "en"):
        from coach.core.commands import parse
        from coach.core.vocabulary import default_vocabulary
        vocab = default_vocabulary(language)
        self._parse = lambda text: parse(text, vocab)
        self._todo = sorted(((float(x["t"]), str(x["text"])) for x in script), reverse=True)

    def _event(self, t: float, text: str) -> ev.CommandHeard | ev.CommandRejected:
        command = self._parse(text)
        if command is None:
            return ev.CommandRejected(t, text, "not a command")
        return ev.CommandHeard(t, command, text)

    def accept(self, chunk: Any) -> list[ev.CommandHeard | ev.CommandRejected]:
        end = chunk.t + len(chunk.samples) / 16000
        out = []
        while self._todo and self._todo[-1][0] <= end:
            out.append(self._event(*self._todo.pop()))
        return out

    def finish(self) -> list[ev.CommandHeard | ev.CommandRejected]:
        out, self._todo = [self._event(*x) for x in reversed(self._todo)], []
        return out


class ListenerRecognizer:
    """coach.voice's Listener as the runtime's recognizer: its accepted commands, and its
    rejections of speech clearly meant for the coach; `gate` mutes it while the coach talks."""

    def __init__(self, listener: Any):
        from coach.voice.listener import to_event
        self.listener, self._to_event = listener, to_event

    def _events(self, heard: list[Any]) -> list[ev.CommandHeard | ev.CommandRejected]:
        return [e for h in heard if (e := self._to_event(h)) is not None]

    def accept(self, chunk: Any) -> list[ev.CommandHeard | ev.CommandRejected]:
        return self._events(self.listener.process(chunk))

    def finish(self) -> list[ev.CommandHeard | ev.CommandRejected]:
        return self._events(self.listener.flush())

    def gate(self, until_t: float) -> None:
        self.listener.gate(until_t)


def make_recognizer(language: str = "en", wake_word: str | None = None,
                    script: list[dict[str, Any]] | None = None,
                    vosk_model: str | None = None, word_loop: bool = False,
                    vosk_lang: str | None = None) -> tuple[Recognizer | None, str]:
    """The speech recognizer of coach.voice (PocketSphinx, or Vosk with a model directory or the
    installed model of a language), else the WAV's script when one is given and the recognizer
    cannot start."""
    try:
        from coach.voice.recognizers import create_recognizer
    except ImportError:
        create_recognizer = None  # type: ignore[assignment]
    if create_recognizer is not None:
        try:
            listener = create_recognizer(language, wake_word, vosk_model, word_loop=word_loop, vosk_lang=vosk_lang)
            return ListenerRecognizer(listener), "Vosk" if vosk_model or vosk_lang else "PocketSphinx"
        except Exception as e:  # a broken model or grammar: say it, fall back below
            if script is None:
                return None, f"the speech recognizer failed to start ({e})"
    if script is not None:
        return ScriptRecognizer(script, language), "the WAV's script (the speech recognizer could not start)"
    return None, "no speech recognizer installed"


# --- speakers ---------------------------------------------------------------------------------

class Speaker(Protocol):
    def say(self, cue: ev.Cue) -> tuple[float, float] | None: ...
    def close(self) -> None: ...


class EspeakVoice:
    """Text to 22.05 kHz mono samples with espeak-ng (cached by text)."""

    def __init__(self, voice: str = "en-us", rate_wpm: int = 170):
        exe = shutil.which("espeak-ng") or shutil.which("espeak")
        if exe is None:
            raise DeviceMissing("espeak-ng is not installed (scripts/setup.sh installs it)")
        self.exe, self.voice, self.rate_wpm = exe, voice, rate_wpm
        self._cache: dict[str, tuple[np.ndarray, int]] = {}

    def render(self, text: str) -> tuple[np.ndarray, int]:
        if text not in self._cache:
            raw = subprocess.run([self.exe, "-v", self.voice, "-s", str(self.rate_wpm), "--stdout", text],
                                 capture_output=True, check=True, timeout=30).stdout
            with wave.open(io.BytesIO(raw)) as w:
                rate = w.getframerate()
                x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
            self._cache[text] = (x, rate)
        return self._cache[text]


class EngineVoice:
    """Text to int16 samples with the speech module's engine and cache (espeak-ng or Piper)."""

    def __init__(self, engine: str = "espeak", rate_wpm: int | None = None, volume: float = 1.0):
        try:
            from coach.speech.cache import AudioCache
            from coach.speech.engine import SpeechConfig, TtsError, make_engine
        except ImportError as e:
            raise DeviceMissing(f"no speech module ({e})") from None
        try:
            # volume is applied here (it changes by voice), not baked into the cached audio
            cfg = SpeechConfig(engine=engine, **({"rate_wpm": rate_wpm} if rate_wpm else {}))
            self.cache = AudioCache(make_engine(cfg))
        except TtsError as e:
            raise DeviceMissing(str(e)) from None
        self.volume = volume

    def render(self, text: str) -> tuple[np.ndarray, int]:
        x = self.cache.get(text)
        pcm = (np.clip(np.asarray(x, dtype=np.float64) * self.volume, -1, 1) * 32767).astype(np.int16)
        return pcm, self.cache.sample_rate


def default_voice(engine: str = "espeak", rate_wpm: int | None = None, volume: float = 1.0) -> Any:
    """The speech module's engine when installed, else espeak-ng on the command line."""
    try:
        return EngineVoice(engine, rate_wpm, volume)
    except DeviceMissing:
        return EspeakVoice(rate_wpm=rate_wpm or 170)


class WavSpeaker:
    """Speech rendered into one WAV file on the session's timeline: each cue starts at its time,
    or when the one before has finished; a much more important cue cuts the one playing; a count
    that could only come late is dropped (a late number is noise)."""

    RATE = 22050

    def __init__(self, path: str, voice: Any = None, preempt_margin: int = 20,
                 max_count_lag_s: float = 1.0):
        self.path = path
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
            raise DeviceMissing(f"{path}: cannot write the speech WAV there")
        self.voice = voice or default_voice()
        self._buf = np.zeros(0, dtype=np.int16)
        self._busy_until = -math.inf
        self._playing: ev.Cue | None = None
        self.preempt_margin, self.max_count_lag_s = preempt_margin, max_count_lag_s
        self.spoken: list[tuple[float, float, ev.Cue]] = []

    def _more_important(self, new: ev.Cue, old: ev.Cue) -> bool:
        return new.priority >= old.priority + self.preempt_margin and old.kind != "safety"

    def say(self, cue: ev.Cue) -> tuple[float, float] | None:
        start = cue.t
        if self._playing is not None and start < self._busy_until:
            playing_since = self.spoken[-1][0] if self.spoken else -math.inf
            if playing_since <= start and self._more_important(cue, self._playing):
                cut = int(start * self.RATE)  # pre-empt: the old cue stops here
                self._buf[cut:] = 0
                if self.spoken:
                    s0, _, c0 = self.spoken[-1]
                    self.spoken[-1] = (s0, start, c0)
            else:
                start = self._busy_until + 0.15
                if cue.kind == "count" and start - cue.t > self.max_count_lag_s:
                    return None
        samples, rate = self.voice.render(cue.text)
        if rate != self.RATE:
            idx = np.arange(0, len(samples), rate / self.RATE)
            samples = np.interp(idx, np.arange(len(samples)), samples).astype(np.int16)
        i0 = int(round(start * self.RATE))
        need = i0 + len(samples)
        if need > len(self._buf):
            self._buf = np.concatenate([self._buf, np.zeros(need - len(self._buf), np.int16)])
        self._buf[i0:need] = samples
        end = start + len(samples) / self.RATE
        self._busy_until, self._playing = end, cue
        self.spoken.append((start, end, cue))
        return start, end

    def close(self) -> None:
        with wave.open(self.path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.RATE)
            w.writeframes(self._buf.tobytes())


class LiveSpeaker:
    """Cues on the sound card through the speech module's non-blocking Speaker (pre-emption,
    cached audio). Reports what it started playing through `on_spoken`."""

    def __init__(self, device: str | int | None = None, engine: str = "espeak", rate_wpm: int | None = None,
                 volume: float = 1.0, on_spoken: Callable[[ev.CueSpoken], None] | None = None,
                 clock: Clock | None = None):
        try:
            from coach.speech.speaker import Speaker as _Speaker
        except ImportError as e:
            raise DeviceMissing(f"no speech module ({e})") from None
        voice = EngineVoice(engine, rate_wpm, volume)
        self.rate_wpm = rate_wpm or 170
        self.clock = clock or Clock(realtime=True)
        self.listeners: list[Callable[[ev.CueSpoken], None]] = [on_spoken] if on_spoken else []
        self._speaker = _Speaker(voice.cache, device=device, volume=volume,
                                 on_spoken=lambda cs: [f(cs) for f in self.listeners],
                                 text_stream=io.StringIO(), clock=lambda: self.clock.now())
        if self._speaker.problem:
            problem = self._speaker.problem
            self._speaker.close()
            raise DeviceMissing(problem)
        self.asynchronous = True

    def say(self, cue: ev.Cue) -> tuple[float, float] | None:
        self._speaker.say(cue)
        return None  # started later, on the speaker's thread: on_spoken reports it

    def close(self) -> None:
        self._speaker.close(drain=True)


class NullSpeaker:
    """No speaker: the transcript (printed) is all there is."""

    def say(self, cue: ev.Cue) -> tuple[float, float] | None:
        return cue.t, cue.t

    def close(self) -> None:
        pass


# --- opening devices: what is missing is said, and the session goes on with the rest -----------

@dataclass
class Devices:
    camera: Any = None
    mic: Any = None
    recognizer: Any = None
    speaker: Any = None
    messages: list[str] = field(default_factory=list)
    recognizer_kind: str = ""


def _is_trace(path: str) -> bool:
    return path.endswith((".jsonl", ".jsonl.gz"))


def open_devices(camera: str | None = None, mic: str | None = None, speaker: str | None = None, *,
                 language: str = "en", wake_word: str | None = "coach", vosk_model: str | None = None,
                 word_loop: bool = False, vosk_lang: str | None = None, speech_engine: str = "espeak",
                 speech_rate_wpm: int | None = None,
                 volume: float = 1.0, pose_model: str | None = None,
                 script: list[dict[str, Any]] | None = None) -> Devices:
    """Camera: an index or device ("0", "/dev/video0") or a landmark trace. Microphone: a name or
    index (None: the default input) or a .wav file. Speaker: a name or index (None: the default
    output) or a .wav file to write. "none" turns a device off. A device that cannot be used
    becomes a message (spoken at the start, or printed) and None."""
    d = Devices()
    if camera is None or str(camera).lower() != "none":
        cam = "0" if camera is None else str(camera)
        try:
            d.camera = TraceCamera(cam) if _is_trace(cam) else LiveCamera(int(cam) if cam.isdigit() else cam, pose_model)
        except DeviceMissing as e:
            d.messages.append(f"I can't see a camera ({_clean(e)}), so I can't count reps. Voice commands still work.")
    if mic is None or str(mic).lower() != "none":
        try:
            if mic and str(mic).endswith(".wav"):
                d.mic = WavMic(str(mic))
            else:
                d.mic = LiveMic(int(mic) if mic and str(mic).isdigit() else mic,
                                getattr(d.camera, "t0_monotonic", None))
            d.recognizer, d.recognizer_kind = make_recognizer(language, wake_word, script, vosk_model, word_loop,
                                                               vosk_lang)
            if d.recognizer is None:
                d.mic = None
                # the reason: none installed, or a broken model or grammar (a Vosk model not found)
                d.messages.append(f"Voice commands are off: {d.recognizer_kind}.")
        except DeviceMissing as e:
            d.mic = None
            d.messages.append(f"No microphone found ({_clean(e)}). Voice commands are off; the coach keeps counting.")
    if speaker is None or str(speaker).lower() != "none":
        try:
            if speaker and str(speaker).endswith(".wav"):
                d.speaker = WavSpeaker(str(speaker), default_voice(speech_engine, speech_rate_wpm, volume))
            else:
                d.speaker = LiveSpeaker(int(speaker) if speaker and str(speaker).isdigit() else speaker,
                                        speech_engine, speech_rate_wpm, volume)
        except DeviceMissing as e:
            d.messages.append(f"No speaker found ({_clean(e)}). Cues will be printed instead.")
    return d


def _clean(e: Exception) -> str:
    return str(e).rstrip(".")


# --- the transcript -----------------------------------------------------------------------------

class Transcript:
    """Lines with times, printed as they happen (thread-safe) and kept for the demo's file."""

    def __init__(self, stream: TextIO | None = sys.stdout):
        self.stream = stream
        self.lines: list[tuple[float, int, str]] = []
        self._lock = threading.Lock()
        self._n = 0

    def add(self, t: float, who: str, text: str) -> None:
        line = f"{t:7.1f} s  {who:<6} {text}"
        with self._lock:
            self._n += 1
            self.lines.append((t, self._n, line))
            if self.stream is not None:
                try:
                    print(line, file=self.stream, flush=True)
                except (BrokenPipeError, ValueError):
                    self.stream = None

    def sorted_text(self) -> str:
        with self._lock:
            return "\n".join(line for _, _, line in sorted(self.lines)) + "\n"


# --- the runtime ------------------------------------------------------------------------------

@dataclass
class RuntimeOptions:
    exercise: str | None = None
    realtime: bool = False
    speed: float = 1.0
    language: str = "en"
    count_every: int = 1
    wake_word: str | None = None
    angle_every_s: float = 0.1
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


def _analysis_factory() -> Callable[[TraceMeta, str], Any] | None:
    try:
        from coach.core.analysis import Analyzer  # the lead's analysis (issue 1)
    except ImportError:
        return None
    return Analyzer


def _cue_policy(library: Any, count_every: int, exercise: str) -> Any | None:
    try:
        from coach.core.cue_policy import CuePolicy, PolicyConfig
    except ImportError:
        return None
    try:
        from coach.core.cue_policy import load_policy_config  # type: ignore[attr-defined]
        config = load_policy_config()
    except Exception:
        config = PolicyConfig()
    try:
        import dataclasses
        config = dataclasses.replace(config, count_every=count_every)
    except (TypeError, ValueError):
        pass
    return CuePolicy(library, config, exercise)


def _help_text(language: str, state: str = "set") -> str | None:
    """What the lifter can say now (idle, set, rest, paused), read from the vocabulary."""
    try:
        from coach.core.commands import help_lines
        from coach.core.vocabulary import default_vocabulary
        return " ".join(help_lines(state, default_vocabulary(language)))
    except Exception:
        return None


def _state(s: Session) -> str:
    return "paused" if s.paused else "set" if s.current else "rest" if s.resting else "idle"


class Runtime:
    def __init__(self, session: Session, log: SessionLog, *, camera: Any = None, mic: Any = None,
                 recognizer: Recognizer | None = None, speaker: Speaker | None = None,
                 options: RuntimeOptions | None = None, transcript: Transcript | None = None,
                 messages: list[str] | None = None, frame_hook: Callable[[Frame, float], None] | None = None):
        self.session, self.log = session, log
        self.camera, self.mic, self.recognizer = camera, mic, recognizer
        self.speaker: Speaker = speaker or NullSpeaker()
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

        from coach.core.cues import load_cues_or_builtin
        self.library = load_cues_or_builtin(self.options.language)
        self.policy = _cue_policy(self.library, self.options.count_every, session.exercise)
        covered = {n[4:] for n in dir(self.policy) if n.startswith("_on_")} if self.policy else set()
        self._fallback_types = covered
        self.session_cues = SessionCues(self.library, self.options.count_every,
                                        _help_text(self.options.language), corrections=self.policy is None)
        self._analyzer_cls = _analysis_factory()
        self._rejection = self._rejection_text()

    # -- parts ---------------------------------------------------------------------------------
    def _rejection_text(self) -> str:
        """What the coach says to speech meant for it that it did not understand (the vocabulary's)."""
        from coach.core.vocabulary import VocabError, default_vocabulary
        try:
            return default_vocabulary(self.options.language).rejection
        except VocabError:
            return ""

    def _new_analyzer(self, exercise: str) -> Any:
        if self._analyzer_cls is None or self.camera is None:
            return None
        try:
            return self._analyzer_cls(self.camera.meta, exercise)
        except Exception as e:  # an exercise the analysis does not know: count nothing, say why
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
        except Exception as e:  # a lost camera: say so, keep the voice side going
            self._say_system(self.inbox.camera_t if math.isfinite(self.inbox.camera_t) else 0.0,
                             self.library.render("system.camera_lost") if self.library.has("system.camera_lost")
                             else f"The camera stopped ({e}).")
        finally:
            self.inbox.done("camera")

    def _voice_loop(self) -> None:
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
        except Exception as e:
            self._say_system(max(self.inbox.voice_t, 0.0), self.library.render("system.microphone_missing")
                             if self.library.has("system.microphone_missing") else f"The microphone stopped ({e}).")
        finally:
            self.inbox.done("voice")

    def _speech_loop(self) -> None:
        while True:
            cue = self._speech_q.get()
            if cue is _END:
                return
            try:
                span = self.speaker.say(cue)
                if cue.kind == "count" and self.options.realtime:
                    self.result.cue_wall_s.append(time.monotonic() - self.clock.wall_of(cue.t))
            except Exception as e:  # TTS failure: print from now on, keep going
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
        view = None
        if self.camera is not None:
            try:
                from coach.core.view import ViewEstimator  # where the camera is: said to the lifter
                view = ViewEstimator(self.camera.meta)
            except Exception:
                view = None
        if self.camera is not None and self._analyzer_cls is None:
            self._say_system(0.0, "Rep counting is not installed in this build; only voice commands work.")
        t_last = 0.0
        idle = self.clock.now if self.options.realtime else None
        for cue in self.session_cues.greeting(0.0, s.exercise):
            self._speech_q.put(cue)
        while True:
            item = self.inbox.get(idle_tick=idle)
            if item is _END:
                break
            inputs: list[object] = []
            if isinstance(item, Frame):
                t_last = max(t_last, item.t)
                self.result.frames += 1
                angle = hip_angle(item.landmarks, self.camera.meta.width, self.camera.meta.height)
                self.log.angle(item.t, angle, self.options.angle_every_s)
                if analyzer is not None:
                    try:
                        inputs += analyzer.feed(item)
                    except Exception as e:  # a bug in one frame's analysis must not end the workout
                        self._analysis_errors += 1
                        if self._analysis_errors == 1:
                            self._messages.append(f"analysis error at {item.t:.1f} s: {e!r}")
                            self.transcript.add(item.t, "note", f"analysis error ({e!r}); counting goes on")
                if view is not None:
                    changed = view.feed(item)
                    if changed is not None:
                        inputs.append(changed)
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
            else:  # Tick
                t_last = max(t_last, item.t)
                outs = s.tick(item.t)
            analyzer = self._process(inputs, outs, analyzer, t_last)
            if s.finished:
                break
        if analyzer is not None and not s.finished:
            try:
                self._process(list(analyzer.finish()), [], None, t_last)
            except Exception:
                pass
        self._process([], s.finish(t_last), None, t_last)
        self._speech_q.put(_END)

    def _process(self, inputs: list[object], outs: list[object], analyzer: Any, t: float) -> Any:
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
                if self.policy is not None:
                    self.policy.exercise = o.exercise
        everything = inputs + outs
        cues: list[ev.Cue] = []
        for e in inputs:
            if isinstance(e, ev.CommandHeard):
                cues += self._speech_setting(e)
        if self.policy is not None:
            cues += self.policy.feed(everything)
            cues += self.policy.tick(t)
        for e in everything:
            name = type(e).__name__
            if isinstance(e, ev.CommandHeard) and type(e.command).__name__ == "Help":
                self.session_cues.help_text = _help_text(self.options.language, _state(s)) or \
                    self.session_cues.help_text
            if name not in self._fallback_types or (isinstance(e, ev.CommandHeard)
                                                    and type(e.command).__name__ == "Help"):
                cues += self.session_cues.handle(e)
        # by time; the goodbye goes after the last set's summary whatever its priority
        if not self.options.corrections:
            cues = [c for c in cues if c.kind != "correction"]
        for c in sorted(cues, key=lambda c: (c.t, c.key == "system.session_end")):
            self._speech_q.put(c)
        return analyzer

    def _speech_setting(self, e: ev.CommandHeard) -> list[ev.Cue]:
        """Louder / quieter / slower / faster go to the speaker; the cue policy confirms them (and
        handles count every n / quiet mode). Without the policy, a plain confirmation here."""
        name, cmd = type(e.command).__name__, e.command
        live = getattr(self.speaker, "_speaker", None)
        if live is not None and hasattr(live, "apply_command"):
            live.apply_command(cmd)
        elif name in ("Louder", "Quieter") and hasattr(getattr(self.speaker, "voice", None), "volume"):
            v = self.speaker.voice
            v.volume = min(1.0, max(0.2, v.volume + (0.2 if name == "Louder" else -0.2)))
        if self.policy is not None:
            return []
        said = None
        if name in ("Louder", "Quieter", "Slower", "Faster"):
            said = f"{name}."
        elif name in ("CountEvery", "QuietMode"):
            n = 0 if name == "QuietMode" else int(getattr(cmd, "n", 1) or 1)
            self.session_cues.count_every = n
            said = "Quiet mode." if n == 0 else "Counting every rep." if n == 1 else f"Counting every {n} reps."
        return [ev.Cue(e.t, said, "confirm", 65, "confirm.setting")] if said else []

    def _note(self, o: object) -> None:
        """Session events in the transcript, so a reader sees the state the coach is in."""
        tr = self.transcript
        if isinstance(o, ev.SetStarted):
            tr.add(o.t, "set", f"set {o.set_no} started: {o.exercise}" + (f", target {o.target_reps}" if o.target_reps else ""))
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
            except Exception as e:
                self._messages.append(f"the speech WAV could not be written ({e})")
            s = self.session
            self.result.sets, self.result.reps = len(s.sets), s.total_reps
            self.result.dropped_frames = self.inbox.dropped_frames
            self.log.close({"sets": len(s.sets), "reps": s.total_reps})
            for c in (self.camera,):
                if c is not None:
                    try:
                        c.close()
                    except Exception:
                        pass
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
