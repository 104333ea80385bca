"""`coach live`, `coach demo`, `coach history`, `coach report`: the workout a person runs."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
from coach.core.datafile import shipped
from typing import Any

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

    p = sub.add_parser("live", help="the hands-free coach: camera, microphone and speaker",
                       description="Starts a hands-free session: counts, judges, speaks, listens.")
    p.add_argument("--camera", help="camera index or device (default 0), or a trace/video file")
    p.add_argument("--mic", help="microphone name or index, a WAV file, or 'none'")
    p.add_argument("--speaker", help="speaker name or index, a .wav file to write, or 'none'")
    p.add_argument("--exercise", help="the exercise to start with")
    p.add_argument("--plan", help="a workout plan (TOML)")
    p.add_argument("--config", help="a station config (TOML), e.g. /etc/coach/config.toml")
    p.add_argument("--log-dir", help="where session logs go (default $COACH_LOG_DIR or "
                                     "~/.local/share/coach/sessions)")
    p.add_argument("--no-wake-word", action="store_true", help="accept commands without the wake word")
    p.set_defaults(run=run_live)

    p = sub.add_parser("history", help="past sessions and their totals")
    p.add_argument("--log-dir", help="where session logs are")
    p.add_argument("--json", action="store_true", help="JSON on stdout")
    p.set_defaults(run=run_history)

    p = sub.add_parser("report", help="a session's summary (text, words) and its hip-angle plot (PNG)")
    p.add_argument("session", help="a session id (or a unique prefix, or 'last') or a log file path")
    p.add_argument("--log-dir", help="where session logs are")
    p.add_argument("--out", help="where to write the report (default: next to the log)")
    p.add_argument("--json", action="store_true", help="JSON on stdout")
    p.set_defaults(run=run_report)


# --- demo ---------------------------------------------------------------------------------------

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
    from coach.io.log import SessionLog
    from coach.runtime import (DeviceMissing, Runtime, RuntimeOptions, TraceCamera, Transcript, WavMic,
                          WavSpeaker, make_recognizer)
    from coach.core.session import Session

    out = args.out
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise CliError(f"{out}: cannot create the output directory ({e.strerror or e})")
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
            raise CliError(str(e))
        raise CliError(f"the bundled demo trace cannot be read ({e})")
    mic, recognizer, how = None, None, ""
    wav_src = args.mic or _data_file(DEMO_WAV)
    if wav_src:
        script = None
        if not args.mic and _data_file(DEMO_SCRIPT):
            with open(_data_file(DEMO_SCRIPT), encoding="utf-8") as fh:
                script = json.load(fh)["phrases"]
        try:
            mic = WavMic(_unpack_wav(wav_src, os.path.join(out, "microphone.wav")))
            recognizer, how = make_recognizer("en", wake_word=None, script=script)
        except DeviceMissing as e:
            if args.mic:
                raise CliError(str(e))
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
    if how and not args.quiet:
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


# --- live ---------------------------------------------------------------------------------------

def run_live(args: argparse.Namespace) -> int:
    from coach.io.config import ConfigError, default_config, load_config
    from coach.io.log import LogError, SessionLog, default_log_dir
    from coach.runtime import Runtime, RuntimeOptions, Transcript, open_devices
    from coach.core.session import EXERCISES, PlanError, Session, load_plan

    try:
        cfg = load_config(args.config) if args.config else default_config()
    except ConfigError as e:
        raise CliError(str(e))
    plan = None
    plan_path = args.plan or cfg.plan
    if plan_path:
        try:
            plan = load_plan(plan_path)
        except PlanError as e:
            raise CliError(str(e))
    exercise = args.exercise or cfg.exercise
    if exercise and exercise not in EXERCISES:
        raise CliError(f"'{exercise}' is not an exercise; choose one of {', '.join(EXERCISES)}")
    wake = None if (args.no_wake_word or not cfg.wake_word_enabled) else cfg.wake_word
    devices = open_devices(args.camera if args.camera is not None else cfg.camera,
                           args.mic if args.mic is not None else cfg.microphone,
                           args.speaker if args.speaker is not None else cfg.speaker,
                           language=cfg.language, wake_word=wake, vosk_model=cfg.vosk_model,
                           word_loop=cfg.word_loop, vosk_lang=cfg.vosk_lang,
                           speech_engine=cfg.speech_engine, speech_rate_wpm=cfg.speech_rate_wpm,
                           volume=cfg.volume, pose_model=cfg.pose_model)
    for m in devices.messages:
        print(f"coach: {m}", file=sys.stderr)
    if devices.camera is None and devices.mic is None:
        raise CliError("neither a camera nor a microphone can be used, so there is nothing to coach")
    session = Session(plan, exercise=exercise)
    try:
        log = SessionLog(default_log_dir(args.log_dir or cfg.log_dir),
                         info={"mode": "live", "exercise": session.exercise,
                               "plan": plan.name if plan else None})
    except LogError as e:
        raise CliError(str(e))
    print(f"coach live: logging to {log.path}; say 'finish workout' or press Ctrl-C to stop.", file=sys.stderr)
    rt = Runtime(session, log, camera=devices.camera, mic=devices.mic, recognizer=devices.recognizer,
                 speaker=devices.speaker,
                 options=RuntimeOptions(exercise=session.exercise, realtime=True, language=cfg.language,
                                        count_every=cfg.count_every, corrections=cfg.corrections,
                                        handle_signals=True),
                 transcript=Transcript(sys.stdout), messages=devices.messages)
    result = rt.run()
    print(f"coach live: {result.reps} reps in {result.sets} sets; log {log.path}", file=sys.stderr)
    return 0


def _device(value: Any, default: Any) -> Any:
    if value is None or value == "":
        return default
    s = str(value)
    return int(s) if s.isdigit() else s


# --- history and report -----------------------------------------------------------------------

def run_history(args: argparse.Namespace) -> int:
    from coach.io.log import default_log_dir, load_session, session_paths
    directory = default_log_dir(args.log_dir)
    rows = []
    for path in session_paths(directory):
        d = load_session(path)
        rows.append({"session": d.session_id, "started": d.info.get("started"), "mode": d.info.get("mode"),
                     "sets": len(d.sets), "reps": d.total_reps, "faults": d.fault_counts(),
                     "exercises": sorted({s.exercise for s in d.sets}),
                     "duration_s": round(d.duration_s, 1), "closed": d.finished, "path": path})
    if args.json:
        print(json.dumps({"log_dir": directory, "sessions": rows}, indent=2))
        return 0
    if not rows:
        print(f"No sessions in {directory}.", file=sys.stderr)
        return 0
    for r in rows:
        faults = sum(r["faults"].values())
        print(f"{r['session']:<22} {r['sets']:2d} sets {r['reps']:4d} reps  {faults:3d} faulty  "
              f"{r['duration_s'] / 60:5.1f} min  {', '.join(r['exercises']) or '-'}"
              f"{'' if r['closed'] else '  (not closed: recovered)'}")
    total_reps = sum(r["reps"] for r in rows)
    print(f"{len(rows)} sessions, {sum(r['sets'] for r in rows)} sets, {total_reps} reps in {directory}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from coach.io.log import LogError, default_log_dir, find_session, load_session
    from coach.io.report import spoken_summary, text_report, write_report
    try:
        path = find_session(args.session, default_log_dir(args.log_dir))
        data = load_session(path)
    except LogError as e:
        raise CliError(str(e))
    out = args.out or os.path.dirname(os.path.abspath(path))
    try:
        txt, png = write_report(data, out)
    except OSError as e:
        raise CliError(f"{out}: cannot write the report ({e.strerror or e})")
    words = spoken_summary(data)
    if args.json:
        print(json.dumps({"session": data.session_id, "report": txt, "plot": png, "summary": words,
                          "sets": len(data.sets), "reps": data.total_reps, "faults": data.fault_counts()}))
        return 0
    print(text_report(data))
    print("In words: " + words)
    print(f"\nWrote {txt} and {png}", file=sys.stderr)
    return 0
