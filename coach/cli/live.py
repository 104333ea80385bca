"""`coach live`: the hands-free coach on a camera, a microphone and a speaker."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from coach.core.errors import CliError


def add_to(sub: Any) -> None:
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
    p.add_argument("--display", nargs="?", const="", metavar="HOST:PORT",
                   help="serve the station display (a read-only page: count, cues, rest timer, history) on "
                        "HOST:PORT; alone: the config's [display] address, else localhost:8080")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from coach.core.commands import default_vocabulary
    from coach.core.exercises import exercise_ids
    from coach.core.policy_config import load_policy_config
    from coach.core.session import PlanError, Session, load_plan
    from coach.core.vocabulary import VocabError
    from coach.io.config import ConfigError, default_config, load_config
    from coach.io.log import LogError, SessionLog, default_log_dir
    from coach.io.transcript import Transcript
    from coach.runtime.devices import open_devices
    from coach.runtime.runner import Runtime, RuntimeOptions

    try:
        cfg = load_config(args.config) if args.config else default_config()
    except ConfigError as e:
        raise CliError(str(e)) from None
    plan = None
    plan_path = args.plan or cfg.plan
    if plan_path:
        try:
            plan = load_plan(plan_path)
        except PlanError as e:
            raise CliError(str(e)) from None
    exercise = args.exercise or cfg.exercise
    if exercise and exercise not in exercise_ids():
        raise CliError(f"'{exercise}' is not an exercise; choose one of {', '.join(exercise_ids())}")
    policy = load_policy_config()  # a broken cues/policy.toml: one sentence naming file and key
    wake = None if (args.no_wake_word or not cfg.wake_word_enabled) else cfg.wake_word
    devices = open_devices(args.camera if args.camera is not None else cfg.camera,
                           args.mic if args.mic is not None else cfg.microphone,
                           args.speaker if args.speaker is not None else cfg.speaker,
                           language=cfg.language, wake_word=wake, vosk_model=cfg.vosk_model,
                           word_loop=cfg.word_loop, vosk_lang=cfg.vosk_lang, recognizer=cfg.recognizer,
                           whisper_threads=cfg.whisper_threads,
                           speech_engine=cfg.speech_engine, speech_rate_wpm=cfg.speech_rate_wpm,
                           volume=cfg.volume, pose_model=cfg.pose_model, policy=policy)
    for m in devices.messages:
        print(f"coach: {m}", file=sys.stderr)
    if devices.camera is None and devices.mic is None:
        raise CliError("neither a camera nor a microphone can be used, so there is nothing to coach")
    try:  # which unsure commands are asked about before they are done (confirm = true)
        vocabulary = default_vocabulary(cfg.language)
    except VocabError:
        vocabulary = None  # the voice side reports it; the session asks as the English one says
    session = Session(plan, exercise=exercise, vocabulary=vocabulary)  # neither chosen nor planned: the coach asks
    try:
        log_dir = default_log_dir(args.log_dir or cfg.log_dir)
        log = SessionLog(log_dir,
                         info={"mode": "live", "exercise": session.exercise,
                               "plan": plan.name if plan else None})
    except LogError as e:
        raise CliError(str(e)) from None
    display = _start_display(args.display, cfg, log_dir, devices.messages)
    print(f"coach live: logging to {log.path}; say 'finish workout' or press Ctrl-C to stop.", file=sys.stderr)
    rt = Runtime(session, log, camera=devices.camera, mic=devices.mic, recognizer=devices.recognizer,
                 speaker=devices.speaker,
                 options=RuntimeOptions(realtime=True, language=cfg.language,
                                        count_every=cfg.count_every, corrections=cfg.corrections,
                                        handle_signals=True, policy=policy, wake_word=wake),
                 transcript=Transcript(sys.stdout), messages=devices.messages, display=display)
    try:
        result = rt.run()
    finally:
        if display is not None:
            display.close()
    print(f"coach live: {result.reps} reps in {result.sets} sets; log {log.path}", file=sys.stderr)
    return 0


def _start_display(address: str | None, cfg: Any, log_dir: str, messages: list[str]) -> Any:
    """The station display if asked for (--display or [display] enabled), else None. One that
    cannot start is a message the coach says at start; the session goes on without it."""
    if address is None and not cfg.display:
        return None
    from coach.display.history import history_page
    from coach.display.server import DisplayError, StationDisplay
    host, port = cfg.display_host, cfg.display_port
    if address:
        h, _, p = address.rpartition(":")
        if not p.isdigit() or not 0 <= int(p) <= 65535:
            raise CliError(f"--display {address}: give HOST:PORT, e.g. 0.0.0.0:8080 or :8080")
        host, port = h.strip("[]") or host, int(p)
    try:
        display = StationDisplay(host, port, cfg.display_theme, history=history_page(log_dir)).start()
    except DisplayError as e:
        messages.append(f"{str(e)[0].upper()}{str(e)[1:]}.")  # said at start, like a missing device
        print(f"coach: {e}", file=sys.stderr)
        return None
    print(f"coach live: the station display is at {display.url}", file=sys.stderr)
    return display
