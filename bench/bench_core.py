"""Replay throughput and memory of the analysis path on long traces.

Prints, for a 10-minute and a 60-minute trace (built from coach.synth sets, one after another):
  - the core alone (features + rep machine + faults on frames already in memory): frames/s and
    its multiple of real time at the trace's frame rate;
  - the whole `coach analyze TRACE --json` path as a child process (reading, parsing, core,
    JSON): frames/s, multiple of real time, and its peak RSS.
Run on one core:  taskset -c 0 .venv/bin/python bench/bench_core.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

from coach.core.analysis import Analyzer
from coach.synth import make_trace
from coach.io.trace import Frame, TraceWriter

EXERCISE = "deadlift"
FPS = 30.0


def write_long_trace(path: str, minutes: float) -> int:
    """Sets of 8 reps, back to back on one timeline, streamed to disk (never all in memory)."""
    n = 0
    offset = 0.0
    seed = 0
    with TraceWriter(path, make_trace(EXERCISE, reps=1).meta) as w:
        while offset < minutes * 60:
            tr = make_trace(EXERCISE, reps=8, fps=FPS, seed=seed)
            for f in tr.frames:
                w.write(Frame(f.t + offset, f.landmarks))
                n += 1
            offset += tr.frames[-1].t + 1.0 / FPS
            seed += 1
    return n


def core_alone(n_sets: int) -> tuple[float, float]:
    frames = []
    offset = 0.0
    for seed in range(n_sets):
        tr = make_trace(EXERCISE, reps=8, fps=FPS, seed=seed)
        frames.extend(Frame(f.t + offset, f.landmarks) for f in tr.frames)
        offset += tr.frames[-1].t + 1.0 / FPS
    analyzer = Analyzer(tr.meta, EXERCISE)
    t0 = time.process_time()
    for f in frames:
        analyzer.feed(f)
    analyzer.finish()
    cpu = time.process_time() - t0
    return len(frames) / cpu, offset


def whole_path(path: str) -> tuple[float, float]:
    """CPU seconds and peak RSS (MB) of `coach analyze` on the trace, in a fresh process."""
    code = ("import resource, subprocess, sys;"
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True);"
            "r = resource.getrusage(resource.RUSAGE_CHILDREN);"
            "print(r.ru_utime + r.ru_stime, r.ru_maxrss / 1024)")
    coach = os.path.join(os.path.dirname(sys.executable), "coach")
    out = subprocess.run([sys.executable, "-c", code, coach, "analyze", path, "--exercise", EXERCISE,
                          "--json"], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    fps, seconds = core_alone(n_sets=12)
    print(f"core alone ({EXERCISE}, {seconds / 60:.1f} min at {FPS:.0f} fps): "
          f"{fps:,.0f} frames/s = {fps / FPS:,.0f}x real time (target >= 50x)")
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in (10, 60):
            path = os.path.join(tmp, f"{minutes}min.jsonl")
            n = write_long_trace(path, minutes)
            cpu, rss = whole_path(path)
            print(f"coach analyze, {minutes}-min trace ({n:,} frames, {os.path.getsize(path) / 1e6:.0f} MB): "
                  f"{n / cpu:,.0f} frames/s = {n / cpu / FPS:,.0f}x real time, peak RSS {rss:.0f} MB")
    print(f"(one core; CPU time of the process, so other load on the machine does not count; "
          f"this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
