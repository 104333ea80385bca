"""`coach analyze TRACE|VIDEO --exercise EX [--json] [--annotate OUT]`: count and judge the reps of a
recording; for a video, optionally a copy with what the coach saw drawn on it."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from coach.core.exercises import ExerciseError, exercise_ids, load_exercise


def add_to(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="count reps and judge form in a landmark trace or a video",
                       description="Runs a recording through the same analysis a live session uses. "
                                   "Time comes from the recording, never the wall clock.")
    p.add_argument("source", help="a landmark trace (.jsonl or .jsonl.gz) or a video file")
    p.add_argument("--exercise", "-e", required=True, metavar="EX",
                   help="one of: " + ", ".join(exercise_ids()))
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--speak-to", metavar="WAV", help="write what the coach would have said, when, "
                   "into this WAV and list the spoken lines (stderr with --json)")
    p.add_argument("--speech-engine", choices=("espeak", "piper"), default="espeak",
                   help="voice for --speak-to (default espeak; piper is the neural voice)")
    p.add_argument("--annotate", metavar="OUT",
                   help="(video only) write a copy of the video to OUT (.mp4, .avi, .mkv, .mov) with the skeleton, "
                        "the hip angle, the phase, the rep number at each count and each fault for 2 s when it is "
                        "found; same frame rate, size and frame count as the input, MPEG-4 (mp4v) for H.264/MPEG-4 "
                        "input (OpenCV cannot encode H.264), MJPG for MJPG input")
    p.set_defaults(run=run)


def open_source(path: str):
    """A trace file is read directly; anything else goes through the pose estimator."""
    if _is_trace(path):
        from coach.io.trace import read_trace
        return read_trace(path)
    from coach.pose import open_landmark_stream  # MediaPipe itself is loaded only for a video
    return open_landmark_stream(path)


def _open_annotated(path: str, out: str):
    """A video's meta, its (Frame, BGR picture) pairs from the one decode, and the writer of its
    annotated copy at the video's own frame rate and size."""
    from coach.io.annotated_video import AnnotatedVideoWriter
    from coach.pose import open_picture_stream

    meta, pairs = open_picture_stream(path)
    return meta, pairs, AnnotatedVideoWriter(out, meta.fps, (meta.width, meta.height), fourcc_from=path)


def _is_trace(path: str) -> bool:
    return path.endswith((".jsonl", ".jsonl.gz", ".json"))


def summarize(exercise: str, events: list, view: dict[str, Any] | None = None) -> dict[str, Any]:
    """The analysis events of one recording as the JSON report (`../shared/eval` contract)."""
    from coach.core.events import NotCounted, RepCounted, RepJudged
    reps: dict[int, dict[str, Any]] = {}
    not_counted = [{"t": round(e.t, 2), "reason": e.reason} for e in events if isinstance(e, NotCounted)]
    for e in events:
        if isinstance(e, RepCounted):
            reps[e.rep] = {"index": e.rep, "start": round(e.start, 3), "end": round(e.end, 3),
                           "faults": [], "judged": True}
        elif isinstance(e, RepJudged) and e.rep in reps:
            reps[e.rep]["faults"] = [f.to_json() for f in e.faults]
            reps[e.rep]["judged"] = e.judged
            if e.not_judged:
                reps[e.rep]["not_judged"] = dict(e.not_judged)
    out: dict[str, Any] = {"exercise": exercise, "rep_count": len(reps), "reps": list(reps.values()),
                           "not_counted": not_counted}
    if view is not None:
        out["view"] = view
    return out


def _verdict(rep: dict[str, Any], n_faults: int) -> str:
    """A rep's faults column: the faults in plain words, "clean", or what could not be judged and
    why (never a bare "-" that reads as clean)."""
    from coach.io.report import fault_name
    unjudged: dict[str, str] = rep.get("not_judged") or {}
    reasons = list(dict.fromkeys(unjudged.values()))
    if rep["faults"]:
        return ", ".join(fault_name(f["id"]) for f in rep["faults"])
    if not rep["judged"] or (unjudged and len(unjudged) >= n_faults):
        if len(reasons) == 1:
            return f"not judged: {reasons[0]}"
        return "not judged (why: below)" if reasons else "not judged"
    if unjudged:
        of = f" of {n_faults}" if n_faults else ""
        return f"none seen; {len(unjudged)}{of} not judged (below)"
    return "clean"


def _table(report: dict[str, Any], n_faults: int = 0) -> str:
    """The human table; `n_faults` is how many faults the exercise has (a rep with all of them
    not judged is "not judged", not clean)."""
    from coach.io.report import fault_name, plural
    lines = [f"{report['exercise']}: {plural(report['rep_count'], 'rep')}", "",
             f"{'rep':>4} {'start':>8} {'end':>8} {'time':>6}  faults"]
    for r in report["reps"]:
        lines.append(f"{r['index']:>4} {r['start']:>8.2f} {r['end']:>8.2f} {r['end'] - r['start']:>6.2f}  "
                     f"{_verdict(r, n_faults)}")
    unjudged: dict[tuple[str, str], list[int]] = {}
    for r in report["reps"]:
        for fid, why in r.get("not_judged", {}).items():
            unjudged.setdefault((fid, why), []).append(r["index"])
    if unjudged:
        lines += ["", "Not judged:"]
        for (fid, why), reps in unjudged.items():
            which = "every rep" if len(reps) == len(report["reps"]) else \
                "rep" + ("s " if len(reps) > 1 else " ") + ", ".join(map(str, reps))
            lines.append(f"  {fault_name(fid)} on {which}: {why}")
    if report["not_counted"]:
        lines += ["", "Seen but not counted:"]
        lines += [f"{m['t']:>8.2f} s  {m['reason']}" for m in report["not_counted"]]
    elif not report["reps"]:
        lines += ["", "No movement that looked like a rep was seen."]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from coach.core.analysis import Analyzer
    from coach.core.errors import CliError
    from coach.io.trace import TraceError
    try:
        exercise = load_exercise(args.exercise)
    except ExerciseError as e:
        raise CliError(str(e)) from None
    from coach.cli.pose import expected_frames
    from coach.cli.progress import Progress
    from coach.io.annotated_video import AnnotatedVideoWriter, Overlay, check_output_path
    annotate: str | None = getattr(args, "annotate", None)
    if annotate:
        if _is_trace(args.source):
            raise CliError(f"--annotate needs a video: {args.source} is a landmark trace, which holds no pictures.")
        check_output_path(annotate, args.source)  # before the model loads: a bad name fails at once
    events: list = []
    error: str | None = None
    analyzer = None
    frames_read = 0
    writer: AnnotatedVideoWriter | None = None
    overlay = Overlay(reps=0)
    try:
        if annotate:
            meta, pairs, writer = _open_annotated(args.source, annotate)
        else:
            meta, frames = open_source(args.source)
            pairs = ((f, None) for f in frames)
    except TraceError as e:  # the pose adapter's PoseSourceError is a TraceError too
        raise CliError(str(e)) from None
    progress = Progress(None if _is_trace(args.source) else expected_frames(args.source), "frames")  # on a TTY only
    try:
        analyzer = Analyzer(meta, exercise)
        for frame, picture in pairs:
            frames_read += 1
            new = analyzer.feed(frame)
            events.extend(new)
            if writer is not None and picture is not None:
                overlay.update(frame.t, new, analyzer.hip_flexion, person=frame.landmarks is not None)
                writer.write(picture, frame, overlay)
            progress.update(frames_read)
    except TraceError as e:
        error = str(e)
    finally:
        progress.close()
        if writer is not None:
            writer.close()  # what was written before an error is still a playable video
    if analyzer is not None:
        events.extend(analyzer.finish())  # what was read before a bad line still counts
    if error and not frames_read:
        raise CliError(error)
    report = summarize(exercise.id, events, analyzer.view_report() if analyzer else None)
    if args.json:
        print(json.dumps(report))
    else:
        print(_table(report, len(set(exercise.faults) | set(exercise.not_judged))))
    if getattr(args, "speak_to", None):
        from coach.speech.render import speak_to_for_cli
        speak_to_for_cli(events, args.speak_to, exercise.id, engine=args.speech_engine,
                         as_json=args.json)
    if writer is not None:
        from coach.io.report import plural
        print(f"coach: {plural(writer.frames, 'frame')} annotated, written to {annotate} ({writer.fourcc})",
              file=sys.stderr)
    if error:
        # Keep what was analysed (printed above), but say the input was bad.
        print(f"coach: {error}", file=sys.stderr)
        return 2
    return 0
