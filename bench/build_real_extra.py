"""Rebuild the real-lifter suite of bench/real_extra from its source videos.

The videos stay out of the repository; `labels.json` names each one (repository, commit, path).
Put them under VIDEOS/<owner>/<name>/<path>, then
    .venv/bin/python bench/build_real_extra.py VIDEOS OUT
runs `coach pose` on each (MediaPipe's full model), cuts the trimmed clips to their stated span
(times start again at 0), and writes OUT/labels.json, so that OUT scores like any suite:
    python3 ../shared/eval/score.py OUT --cmd '.venv/bin/coach analyze {trace} --exercise {exercise} --json'
Traces already in OUT are kept.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

from coach.io.trace import Frame, TraceWriter, read_trace

HERE = os.path.dirname(os.path.abspath(__file__))
LABELS = os.path.join(HERE, "real_extra", "labels.json")
COACH = os.path.join(os.path.dirname(sys.executable), "coach")


def trim(src: str, dst: str, start: float, end: float | None) -> None:
    """Keep the frames from `start` to `end` (s), their times starting again at 0."""
    meta, frames = read_trace(src)
    with TraceWriter(dst, meta) as w:
        for f in frames:
            if f.t >= start and (end is None or f.t <= end):
                w.write(Frame(round(f.t - start, 4), f.landmarks))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("videos", help="folder holding <owner>/<name>/<path> of each source video")
    ap.add_argument("out", help="folder to write the traces and labels.json into")
    args = ap.parse_args()
    with open(LABELS) as f:
        labels = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    missing = []
    for i, t in enumerate(labels["traces"], 1):
        dst = os.path.join(args.out, t["file"])
        if os.path.exists(dst):
            continue
        src = t["source"]
        video = os.path.join(args.videos, *src["repo"].split("/"), src["path"])
        if not os.path.isfile(video):
            missing.append(f"{src['repo']}:{src['path']}")
            continue
        print(f"[{i}/{len(labels['traces'])}] {t['file']}", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            whole = os.path.join(tmp, "whole.jsonl.gz")
            subprocess.run([COACH, "pose", video, "-o", whole], check=True)
            if "trim_s" in src:
                trim(whole, dst, *src["trim_s"])
            else:
                shutil.move(whole, dst)
    with open(os.path.join(args.out, "labels.json"), "w") as f:
        json.dump(labels, f, indent=1)
    if missing:
        print(f"build_real_extra: {len(missing)} videos not found under {args.videos}: "
              + ", ".join(missing), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
