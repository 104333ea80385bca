"""`coach pose VIDEO -o TRACE.jsonl[.gz] [--annotate OUT]`: the landmark trace of a video (or image
folder), and optionally a copy of the video with the skeleton drawn on it."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from coach.core.frames import Frame
    from coach.io.annotated_video import AnnotatedVideoWriter


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
    p.add_argument("--annotate", metavar="OUT",
                   help="also write a copy of the video to OUT (.mp4, .avi, .mkv, .mov) with the skeleton and the "
                        "hip angle drawn on it (no exercise here, so no reps, phases or faults: for those use "
                        "`coach analyze VIDEO -e EX --annotate OUT`); same frame rate, size and frame count as the "
                        "input")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from coach.cli.progress import Progress
    from coach.core.errors import CliError
    from coach.core.features import FeatureExtractor
    from coach.io.annotated_video import AnnotatedVideoWriter, Overlay, check_output_path
    from coach.io.report import plural
    from coach.io.trace import TraceWriter
    from coach.pose import PoseRun, PoseSourceError, is_trace_path, open_landmark_stream, open_picture_stream

    if is_trace_path(args.video):
        raise CliError(f"{args.video} is already a landmark trace; give a video file.")
    if not args.output.endswith((".jsonl", ".jsonl.gz")):
        raise CliError(f"{args.output}: the trace name must end in .jsonl or .jsonl.gz.")
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        raise CliError(f"{args.output}: the folder {out_dir} does not exist.")
    if args.annotate:
        check_output_path(args.annotate, args.video)  # before the model loads: a bad name fails at once
    stats = PoseRun()
    writer: AnnotatedVideoWriter | None = None
    pairs: Iterator[tuple[Frame, np.ndarray | None]]
    try:
        if args.annotate:
            meta, pairs = open_picture_stream(args.video, model=args.model, image_fps=args.image_fps, run=stats)
            writer = AnnotatedVideoWriter(args.annotate, meta.fps, (meta.width, meta.height), fourcc_from=args.video)
        else:
            meta, frames = open_landmark_stream(args.video, model=args.model, image_fps=args.image_fps, run=stats)
            pairs = ((f, None) for f in frames)
    except PoseSourceError as e:
        raise CliError(str(e)) from None
    total = expected_frames(args.video)
    progress = Progress(total, "frames")
    features = FeatureExtractor(meta)  # the hip angle, as `coach analyze` measures it
    overlay = Overlay()
    try:
        with TraceWriter(args.output, meta) as trace:
            for i, (frame, picture) in enumerate(pairs, 1):
                trace.write(frame)
                if writer is not None and picture is not None:
                    f = features(frame)
                    overlay.update(frame.t, (), f.hip_flexion if f else None, person=frame.landmarks is not None)
                    writer.write(picture, frame, overlay)
                progress.update(i)
    except PoseSourceError as e:
        progress.close()
        raise CliError(f"{e} The {plural(stats.frames, 'frame')} read so far {'is' if stats.frames == 1 else 'are'} "
                       f"in {args.output}{_and_video(writer)}.") from None
    finally:
        if writer is not None:
            writer.close()  # what was written before an error is still a playable video
    progress.close()
    withheld = (f" ({stats.rejected_jumps} withheld: the landmarks leapt to another body)"
                if stats.rejected_jumps else "")
    print(f"coach: {plural(stats.frames, 'frame')}, a person in {stats.with_person}{withheld}, "
          f"written to {args.output}{_and_video(writer)}", file=sys.stderr)
    return 0


def _and_video(writer: AnnotatedVideoWriter | None) -> str:
    return f" and {writer.path} ({writer.fourcc})" if writer is not None else ""


def expected_frames(path: str) -> int | None:
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
