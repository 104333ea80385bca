"""`coach demo`: a whole workout on embedded defaults (the bundled trace as the camera, the
bundled WAV of voice commands as the microphone, speech rendered to a WAV), through the live runtime."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
from typing import Any

from coach.core.datafile import shipped
from coach.core.errors import CliError

DEMO_TRACE = "demo_trace.jsonl.gz"
DEMO_WAV = "demo_commands.wav.gz"
DEMO_SCRIPT = "demo_commands.json"
DEMO_EXERCISE = "deadlift"


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


def run_demo(args: argparse.Namespace) -> int:
    from coach.core.errors import DeviceMissing
    from coach.core.session import Session
    from coach.io.log import SessionLog
    from coach.io.transcript import Transcript
    from coach.pose.cameras import TraceCamera
    from coach.runtime.runner import Runtime, RuntimeOptions
    from coach.speech.sinks import WavSpeaker
    from coach.voice.command_source import make_recognizer
    from coach.voice.mics import WavMic

    out = args.out
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise CliError(f"{out}: cannot create the output directory ({e.strerror or e})") from None
    trace = args.trace or _data_file(DEMO_TRACE)
    if trace is None:
        raise CliError("the bundled demo trace is missing from this install (coach/data); give --trace")
    if args.speed <= 0:
        raise CliError("--speed must be positive")
    messages: list[str] = []
    try:
        camera = TraceCamera(trace)
    except DeviceMissing as e:
        if args.trace:
            raise CliError(str(e)) from None
        raise CliError(f"the bundled demo trace cannot be read ({e})") from None
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
            recognizer, how = make_recognizer("en", wake_word=None, script=script)
        except DeviceMissing as e:
            if args.mic:
                raise CliError(str(e)) from None
            messages.append(f"The bundled voice commands cannot be read ({e}).")
    speech_wav = os.path.join(out, "coach-speech.wav")
    try:
        speaker = WavSpeaker(speech_wav)
    except DeviceMissing as e:
        speaker = None
        messages.append(f"Speech cannot be rendered ({e}); cues are printed instead.")
    exercise = args.exercise or DEMO_EXERCISE
    session = Session(exercise=exercise)
    log = SessionLog(out, "demo-session" if not os.path.exists(os.path.join(out, "demo-session.jsonl")) else None,
                     {"mode": "demo", "exercise": exercise, "trace": os.path.basename(trace)})
    # a fast replay prints the transcript in time order at the end; a paced one as it happens
    transcript = Transcript(sys.stdout if args.realtime and not args.quiet else None)
    if how and wav_src and not args.quiet:  # how is only set when there is a wav_src
        print(f"coach demo: camera = {os.path.basename(trace)}, microphone = {os.path.basename(wav_src)} "
              f"heard by {how}, speech -> {speech_wav}", file=sys.stderr)
    rt = Runtime(session, log, camera=camera, mic=mic, recognizer=recognizer, speaker=speaker,
                 options=RuntimeOptions(exercise=exercise, realtime=args.realtime, speed=args.speed,
                                        handle_signals=True),
                 transcript=transcript, messages=messages)
    result = rt.run()
    with open(os.path.join(out, "transcript.txt"), "w", encoding="utf-8") as fh:
        fh.write(transcript.sorted_text())
    txt, png, words = _write_report(log.path, out)
    if not args.quiet and not args.realtime:
        sys.stdout.write(transcript.sorted_text())
        sys.stdout.flush()
    if not args.quiet:
        print(f"\n{result.reps} reps in {result.sets} sets; {len(result.commands)} voice commands; "
              f"{len(result.cues)} cues spoken.", file=sys.stderr)
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
