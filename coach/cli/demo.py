"""`coach demo`: a whole workout on embedded defaults (the bundled trace as the camera, the
bundled WAV of voice commands as the microphone, speech rendered to a WAV), through the live runtime."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

from coach.core.datafile import shipped
from coach.core.errors import CliError

DEMO_TRACE = "demo_trace.jsonl.gz"
DEMO_WAV = "demo_commands.wav.gz"
DEMO_SCRIPT = "demo_commands.json"
DEMO_EXERCISE = "deadlift"
# --trace takes a landmark trace; a video needs `coach pose` first (MediaPipe is no part of the demo)
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp")


def add_to(sub: Any) -> None:
    p = sub.add_parser("demo", help="a whole workout on the bundled trace and voice commands, no hardware",
                       description="Runs the live runtime on embedded defaults: a bundled landmark trace "
                                   "as the camera, a bundled WAV of voice commands as the microphone, "
                                   "speech rendered to a WAV. Writes the log, the transcript and the report.")
    p.add_argument("--out", default="coach-demo-out", help="output directory (default: ./coach-demo-out)")
    p.add_argument("--trace", help="a landmark trace to use as the camera instead of the bundled one")
    p.add_argument("--mic", help="a WAV file to use as the microphone instead of the bundled one")
    p.add_argument("--exercise", default=None, help=f"the exercise at the start (default: {DEMO_EXERCISE})")
    p.add_argument("--realtime", action="store_true", help="replay at the pace it was recorded")
    p.add_argument("--speed", type=float, default=1.0, help="with --realtime: replay speed factor")
    p.add_argument("--quiet", action="store_true", help="do not print the transcript")
    p.set_defaults(run=run_demo)


def _data_file(name: str) -> str | None:
    path = shipped("data", name)
    return str(path) if path.is_file() else None


def _unpack_wav(src: str, dest: str) -> str:
    if src.endswith(".gz"):
        with gzip.open(src, "rb") as fin, open(dest, "wb") as fout:
            shutil.copyfileobj(fin, fout)
        return dest
    return src


class _TraceCamera:
    """The trace camera, but a trace that breaks off (cut short, a bad line) ends the camera and
    keeps the sentence: the demo goes on with what was read, like `coach analyze`, and exits 2."""

    def __init__(self, camera: Any):
        self._camera = camera
        self.meta, self.path = camera.meta, camera.path
        self.error: str | None = None

    def frames(self) -> Iterator[Any]:
        from coach.io.trace import TraceError
        try:
            yield from self._camera.frames()
        except TraceError as e:
            self.error = str(e)

    def close(self) -> None:
        self._camera.close()


def _open_trace(path: str, given: bool) -> _TraceCamera:
    """The trace as the camera, or one sentence: a video or any other file that is no trace is
    told how to make one."""
    from coach.core.errors import DeviceMissing
    from coach.pose import is_trace_path
    from coach.pose.cameras import TraceCamera

    try:
        return _TraceCamera(TraceCamera(path))
    except DeviceMissing as e:
        if not given:
            raise CliError(f"the bundled demo trace cannot be read ({e})") from None
        if os.path.isfile(path) and path.lower().endswith(VIDEO_SUFFIXES):
            raise CliError(f"{path} is a video, and --trace takes a landmark trace (.jsonl or .jsonl.gz): "
                           f"`coach pose {path} -o TRACE.jsonl.gz` makes one from it") from None
        if os.path.isfile(path) and not is_trace_path(path) and not path.lower().endswith(".json"):
            raise CliError(f"{path} is not a landmark trace (--trace takes a .jsonl or .jsonl.gz trace, as "
                           "`coach pose VIDEO -o TRACE.jsonl.gz` writes it)") from None
        raise CliError(str(e)) from None


def run_demo(args: argparse.Namespace) -> int:
    from coach.core.errors import DeviceMissing
    from coach.core.exercises import ExerciseError, exercise_ids, load_exercise
    from coach.core.policy_config import load_policy_config
    from coach.core.session import Session
    from coach.io.log import SessionLog
    from coach.io.report import plural
    from coach.io.transcript import Transcript
    from coach.runtime.runner import Runtime, RuntimeOptions
    from coach.speech.sinks import WavSpeaker
    from coach.voice.command_source import make_recognizer
    from coach.voice.mics import WavMic

    out = args.out
    policy = load_policy_config()  # a broken cues/policy.toml: one sentence naming file and key
    exercise = args.exercise or DEMO_EXERCISE
    if exercise not in exercise_ids():
        raise CliError(f"'{exercise}' is not an exercise; choose one of {', '.join(exercise_ids())}")
    try:
        load_exercise(exercise)
    except ExerciseError as e:
        raise CliError(str(e)) from None
    if args.speed <= 0:
        raise CliError("--speed must be positive")
    trace = args.trace or _data_file(DEMO_TRACE)
    if trace is None:
        raise CliError("the bundled demo trace is missing from this install (coach/data); give --trace")
    camera = _open_trace(trace, bool(args.trace))
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        camera.close()
        raise CliError(f"{out}: cannot create the output directory ({e.strerror or e})") from None
    messages: list[str] = []
    mic, recognizer, how = None, None, ""
    wav_src = args.mic or _data_file(DEMO_WAV)
    if wav_src:
        script = None
        script_path = None if args.mic else _data_file(DEMO_SCRIPT)
        if script_path:
            with open(script_path, encoding="utf-8") as fh:
                script = json.load(fh)["phrases"]
        try:
            mic = WavMic(_unpack_wav(wav_src, os.path.join(out, "microphone.wav")))
            recognizer, how = make_recognizer("en", wake_word=None, script=script, synchronous=True)
        except DeviceMissing as e:
            if args.mic:
                camera.close()
                raise CliError(str(e)) from None
            messages.append(f"The bundled voice commands cannot be read ({e}).")
    speech_wav = os.path.join(out, "coach-speech.wav")
    try:
        speaker = WavSpeaker(speech_wav, config=policy)
    except DeviceMissing as e:
        speaker = None
        messages.append(f"Speech cannot be rendered ({e}); cues are printed instead.")
    session = Session(exercise=exercise)
    log = SessionLog(out, "demo-session" if not os.path.exists(os.path.join(out, "demo-session.jsonl")) else None,
                     {"mode": "demo", "exercise": exercise, "trace": os.path.basename(trace)})
    # a fast replay prints the transcript in time order at the end; a paced one as it happens
    transcript = Transcript(sys.stdout if args.realtime and not args.quiet else None)
    if how and wav_src and not args.quiet:  # how is only set when there is a wav_src
        print(f"coach demo: camera = {os.path.basename(trace)}, microphone = {os.path.basename(wav_src)} "
              f"heard by {how}, speech -> {speech_wav}", file=sys.stderr)
    rt = Runtime(session, log, camera=camera, mic=mic, recognizer=recognizer, speaker=speaker,
                 options=RuntimeOptions(realtime=args.realtime, speed=args.speed,
                                        handle_signals=True, policy=policy),
                 transcript=transcript, messages=messages)
    result = rt.run()
    with open(os.path.join(out, "transcript.txt"), "w", encoding="utf-8") as fh:
        fh.write(transcript.sorted_text())
    txt, png, words = _write_report(log.path, out)
    if not args.quiet and not args.realtime:
        sys.stdout.write(transcript.sorted_text())
        sys.stdout.flush()
    if camera.error:
        # What was read before the break still ran (as `coach analyze` reports it); say the trace was bad.
        raise CliError(f"{camera.error}; the demo ran on the frames before it (outputs in {out})")
    if not args.quiet:
        print(f"\n{plural(result.reps, 'rep')} in {plural(result.sets, 'set')}; "
              f"{plural(len(result.commands), 'voice command')}; {plural(len(result.cues), 'cue')} spoken.",
              file=sys.stderr)
        print(f"In words: {words}", file=sys.stderr)
        print(f"Wrote {log.path}, {speech_wav if speaker else '(no speech WAV)'}, "
              f"{os.path.join(out, 'transcript.txt')}, {txt}, {png}", file=sys.stderr)
    return 0


def _write_report(log_path: str, out_dir: str) -> tuple[str, str, str]:
    from coach.io.log import load_session
    from coach.io.report import spoken_summary, write_report
    data = load_session(log_path)
    txt, png = write_report(data, out_dir)
    return txt, png, spoken_summary(data)
