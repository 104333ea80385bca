"""`coach check-camera SOURCE`: set the camera up by ear. Says (and prints) where the camera is,
what can be judged from there, and what to fix in the framing."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Iterator
from typing import Any

from coach.core.analysis import Analyzer
from coach.core.events import PhaseChanged
from coach.core.exercises import exercise_ids


def add_to(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check-camera", help="say where the camera is and how to fix the framing",
        description="Estimate the camera view (which side of you it sees, how far it is turned "
                    "off the side view, whether all of you is in the picture), say what can be "
                    "judged from it and how to fix the framing. SOURCE is a landmark trace, a "
                    "video, or a camera (a number like 0, or /dev/video0).")
    p.add_argument("source", help="trace (.jsonl/.jsonl.gz), video file, or camera (0, /dev/video0)")
    p.add_argument("--exercise", "-e", default="deadlift", choices=exercise_ids(),
                   help="what you will lift: picks the faults the view is judged for (deadlift)")
    p.add_argument("--seconds", type=float, default=None,
                   help="stop after this many seconds (a camera stops on its own once the set-up "
                        "is good and said, or after 120 s)")
    speak = p.add_mutually_exclusive_group()
    speak.add_argument("--speak", dest="speak", action="store_true", default=None,
                       help="speak the messages (the default for a camera)")
    speak.add_argument("--no-speak", dest="speak", action="store_false",
                       help="only print them (the default for a file)")
    speak.add_argument("--speak-to", metavar="WAV", default=None,
                       help="write what would be said, on the source's timeline, to a WAV file")
    p.add_argument("--speech-engine", default="espeak", choices=("espeak", "piper"))
    p.add_argument("--model", default=None, help="pose model for a video or camera (see coach pose)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (view, framing, messages) on stdout")
    p.set_defaults(run=run)


def _is_camera(source: str) -> bool:
    return source.isdigit() or source.startswith("/dev/video")


def _open(args: argparse.Namespace):
    """(meta, frames, close) for a camera, a video or a trace."""
    from coach.core.errors import CliError
    from coach.pose import PoseSourceError, open_landmark_stream

    if _is_camera(args.source):
        from coach.core.frames import TraceMeta
        from coach.pose import landmark_frames
        from coach.pose.estimator import create_estimator
        from coach.pose.sources import CameraSource

        device: int | str = int(args.source) if args.source.isdigit() else args.source
        try:
            source = CameraSource(device)
            estimator = create_estimator(args.model)
        except PoseSourceError as e:
            raise CliError(str(e)) from None
        meta = TraceMeta(source.width, source.height, source.fps, f"camera {device}")
        return meta, landmark_frames(source, estimator, meta), source.close
    if not os.path.exists(args.source) and not any(ch in args.source for ch in "*?["):
        raise CliError(f"{args.source}: no such file.")
    try:
        meta, frames = open_landmark_stream(args.source, model=args.model)
    except PoseSourceError as e:
        raise CliError(str(e)) from None
    return meta, frames, lambda: None


def _speaker(engine: str):
    """A live speaker, or None (with one sentence on stderr) when speech cannot run here."""
    from coach.speech.cache import AudioCache
    from coach.speech.engine import SpeechConfig, TtsError
    from coach.speech.engines import make_engine
    from coach.speech.speaker import Speaker

    try:
        cache = AudioCache(make_engine(SpeechConfig(engine=engine)))
    except TtsError as e:
        print(f"coach: {e}; printing only.", file=sys.stderr)
        return None
    return Speaker(cache, text_stream=sys.stderr)


def _rep_tracker(meta, exercise: str):
    """frame -> rep in progress? (the analysis' phase machine)."""
    analyzer = Analyzer(meta, exercise)
    phase = ["unknown"]
    # floor-start lifts rest at the bottom between reps; the others are mid-rep there
    in_rep_phases = ("lowering", "rising") + (() if analyzer.exercise.kind == "floor_start" else ("bottom",))

    def in_rep(frame) -> bool:
        for e in analyzer.feed(frame):
            if isinstance(e, PhaseChanged):
                phase[0] = e.phase
        return phase[0] in in_rep_phases

    return in_rep


def run(args: argparse.Namespace) -> int:
    from coach.core.cues import load_cues_or_builtin
    from coach.core.errors import CliError
    from coach.core.framing import FramingGuide
    from coach.core.view_rules import ViewRulesError, default_rules, fault_verdicts, view_json

    try:
        rules = default_rules()
    except ViewRulesError as e:
        raise CliError(str(e)) from None
    camera = _is_camera(args.source)
    if args.seconds is not None and not (args.seconds > 0 and math.isfinite(args.seconds)):
        raise CliError("--seconds must be a positive number.")
    limit = args.seconds if args.seconds is not None else (120.0 if camera else None)
    meta, frames, close = _open(args)
    guide = FramingGuide(meta, args.exercise, load_cues_or_builtin("en"), rules=rules)
    in_rep = _rep_tracker(meta, args.exercise)
    speak = args.speak if args.speak is not None else (camera and not args.speak_to)
    speaker = _speaker(args.speech_engine) if speak else None
    out = sys.stderr if args.json else sys.stdout
    progress = _progress(args.source, camera)
    messages: list[dict[str, Any]] = []
    guide_cues: list = []
    last_t = 0.0
    t0: float | None = None
    good_since: float | None = None
    n = 0
    seen = [False]  # anybody in any frame? (a pose source raises when nobody ever was)

    def counted(stream):
        for f in stream:
            seen[0] = seen[0] or f.landmarks is not None
            yield f

    try:
        for frame in _frames_with_errors(counted(frames), seen):
            n += 1
            if progress is not None:
                progress.update(n)
            t0 = frame.t if t0 is None else t0
            for cue in guide.feed(frame, rep_in_progress=bool(in_rep and in_rep(frame))):
                messages.append({"t": round(cue.t, 2), "id": cue.key, "text": cue.text})
                guide_cues.append(cue)
                if progress is not None and progress.enabled:
                    sys.stderr.write("\r\033[K")  # the message goes where the progress line was
                print(f"{cue.t:7.2f}s  {cue.text}", file=out, flush=True)
                if speaker is not None:
                    speaker.say(cue)
            last_t = frame.t
            if limit is not None and frame.t - t0 >= limit:
                break
            if camera and args.seconds is None:
                # A camera check ends a few seconds after the good set-up was said.
                said_view = any(m["id"].startswith("view.side") for m in messages)
                if guide.state == "good" and said_view:
                    good_since = frame.t if good_since is None else good_since
                    if frame.t - good_since >= 3.0:
                        break
                else:
                    good_since = None
    except KeyboardInterrupt:
        pass  # Ctrl-C ends a camera check: report what was seen so far
    finally:
        if progress is not None:
            progress.close()
        close()
        if speaker is not None:
            speaker.close(drain=True)
    if n == 0:
        raise CliError(f"{args.source}: holds no frames.")
    view = guide.estimator.settled() if not camera else guide.estimator.current()
    result = {"source": args.source, "exercise": args.exercise,
              "view": view_json(view, args.exercise, rules),
              "framing": guide.state, "messages": messages}
    if args.speak_to:
        _write_wav(args.speak_to, guide_cues, args.speech_engine, last_t - (t0 or 0.0))
    if args.json:
        print(json.dumps(result))
    else:
        print(_summary(result, fault_verdicts(args.exercise, view, rules)), file=out)
    return 0


def _write_wav(path: str, cues: list, engine: str, duration: float) -> None:
    """Render the cues where they were said (the WAV sink), as a speaker would play them."""
    from coach.core.errors import CliError
    from coach.speech.cache import AudioCache
    from coach.speech.engine import SpeechConfig, TtsError
    from coach.speech.engines import make_engine
    from coach.speech.wav_sink import WavSink

    out_dir = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(out_dir):
        raise CliError(f"{path}: the folder {out_dir} does not exist.")
    try:
        sink = WavSink(path, AudioCache(make_engine(SpeechConfig(engine=engine))))
        for cue in cues:
            sink.add(cue)
        spoken = sink.close(duration)
    except TtsError as e:
        raise CliError(str(e)) from None
    except OSError as e:
        raise CliError(f"{path}: cannot write the WAV ({e.strerror or e}).") from None
    from coach.io.report import plural
    print(f"coach: {plural(len(spoken), 'message')} spoken into {path}", file=sys.stderr)


def _progress(source: str, camera: bool):
    """A progress line for a video (MediaPipe takes a while); None for a camera or a trace."""
    if camera or source.lower().endswith((".jsonl", ".jsonl.gz")):
        return None
    from coach.cli.pose import expected_frames
    from coach.cli.progress import Progress

    return Progress(expected_frames(source), "frames")


def _frames_with_errors(frames, seen: list[bool]) -> Iterator:
    """Frames, with a source that fails midway turned into one clear sentence. A pose source
    that found nobody at all is no error here: "nobody there" is an answer of the check."""
    from coach.core.errors import CliError
    from coach.io.trace import TraceError
    from coach.pose import PoseSourceError

    source_errors = (TraceError, PoseSourceError)
    try:
        yield from frames
    except source_errors as e:
        if seen[0] or not isinstance(e, PoseSourceError):
            raise CliError(str(e)) from None


def _summary(result: dict[str, Any], verdicts: list[tuple[str, str | None, str]]) -> str:
    """The text answer. `verdicts` are view_rules.fault_verdicts: (fault id, what blocks it, why).
    The framing is called good only when the whole body is in the picture AND the camera's angle
    lets every fault be judged that any camera could judge on this lift."""
    from coach.io.report import fault_name, join_words

    v = result["view"]
    if v["side"] is None:
        return "view: nobody was seen"
    exercise = result["exercise"].replace("_", " ")
    where = "" if v.get("toward", "side") == "side" else f", turned toward the {v['toward']}"
    lines = [f"view: {v['side']} side, {v['yaw_deg']:.0f} degrees off the side view{where}, "
             f"{'whole body in the picture' if v['in_frame'] else 'not all of the body in the picture'}",
             f"can judge on a {exercise}: {', '.join(map(fault_name, v['judgeable_faults'])) or 'nothing'}"]
    from_here = [fid for fid, block, _ in verdicts if block in ("yaw", "frame")]
    for fid, block, why in verdicts:
        if block in ("yaw", "frame"):
            lines.append(f"cannot judge from this camera: {fault_name(fid)} ({why})")
        elif block is not None:
            lines.append(f"not judged on a {exercise} from any camera: {fault_name(fid)} ({why})")
    framing = result["framing"] or "unknown"
    if framing == "good" and from_here:
        turned = any(block == "yaw" for _, block, _ in verdicts)
        fix = ("move the camera to your side" if turned else "step back until all of you is in the picture")
        framing = (f"not good for a {exercise}: {join_words([fault_name(f) for f in from_here])} "
                   f"cannot be judged from here; {fix}")
    lines.append(f"framing: {framing}")
    return "\n".join(lines)
