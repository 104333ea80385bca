"""`coach pose VIDEO -o TRACE.jsonl[.gz]`: the landmark trace of a video (or image folder)."""

from __future__ import annotations

import argparse
import os
import sys


def add_to(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "pose", help="write the MediaPipe landmark trace of a video",
        description="Run MediaPipe Pose on a video file (or an image folder or glob) and write the "
                    "landmark trace (JSON Lines; gzip when the name ends in .gz).")
    p.add_argument("video", help="video file, image directory or image glob")
    p.add_argument("-o", "--output", required=True, help="trace to write: TRACE.jsonl or TRACE.jsonl.gz")
    p.add_argument("--model", default=None,
                   help="pose model: full (default, inside the MediaPipe wheel), lite, heavy, a "
                        "pose_landmark_*.tflite file or a PoseLandmarker .task file")
    p.add_argument("--image-fps", type=float, default=30.0,
                   help="frame rate of an image sequence (default 30)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from coach.cli.progress import Progress
    from coach.core.errors import CliError
    from coach.io.report import plural
    from coach.io.trace import TraceWriter
    from coach.pose import PoseRun, PoseSourceError, is_trace_path, open_landmark_stream

    if is_trace_path(args.video):
        raise CliError(f"{args.video} is already a landmark trace; give a video file.")
    if not args.output.endswith((".jsonl", ".jsonl.gz")):
        raise CliError(f"{args.output}: the trace name must end in .jsonl or .jsonl.gz.")
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        raise CliError(f"{args.output}: the folder {out_dir} does not exist.")
    stats = PoseRun()
    try:
        meta, frames = open_landmark_stream(args.video, model=args.model, image_fps=args.image_fps, run=stats)
    except PoseSourceError as e:
        raise CliError(str(e)) from None
    total = _expected_frames(args.video)
    progress = Progress(total, "frames")
    try:
        with TraceWriter(args.output, meta) as writer:
            for i, frame in enumerate(frames, 1):
                writer.write(frame)
                progress.update(i)
    except PoseSourceError as e:
        progress.close()
        raise CliError(f"{e} The {plural(stats.frames, 'frame')} read so far {'is' if stats.frames == 1 else 'are'} "
                       f"in {args.output}.") from None
    progress.close()
    withheld = (f" ({stats.rejected_jumps} withheld: the landmarks leapt to another body)"
                if stats.rejected_jumps else "")
    print(f"coach: {plural(stats.frames, 'frame')}, a person in {stats.with_person}{withheld}, "
          f"written to {args.output}", file=sys.stderr)
    return 0


def _expected_frames(path: str) -> int | None:
    """The frame count the container announces (for the progress ETA), if any."""
    import cv2

    if os.path.isdir(path):
        return None
    cap = cv2.VideoCapture(path)
    try:
        n = cap.get(cv2.CAP_PROP_FRAME_COUNT) if cap.isOpened() else 0
    finally:
        cap.release()
    return int(n) if n and n > 0 else None
