"""Pose speed and memory: prints figures, asserts nothing.

For 640x480 and 1280x720 frames of a real photo of a person, animated:
  - MediaPipe alone: the estimator on RGB frames already in memory (ms/frame, fps);
  - the whole path: BGR frame -> RGB -> MediaPipe -> single-person guard -> Frame -> analysis
    (coach.analysis.Analyzer, deadlift), and its ratio to MediaPipe alone (target >= 0.95);
  - video decoding alone, for scale (on a Pi the camera reader runs on another core);
  - peak RSS of `coach analyze VIDEO --exercise deadlift` run as a child process (target <= 500 MB);
  - the frame rate a Raspberry Pi 4 (and 5) would reach, scaled by sysbench 1.0.20 single-thread
    CPU figures: this machine measured now, the Pis as published (see PI_SYSBENCH).

Run pinned to one core, as a Pi station dedicates one core to pose:
    taskset -c 0 .venv/bin/python bench/bench_pose.py
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))  # the photo animation helpers
sys.path.insert(0, os.path.join(HERE, ".."))

import cv2  # noqa: E402

import pose_media as pm  # noqa: E402
from coach.pose import landmark_frames  # noqa: E402
from coach.pose.estimator import MediaPipeSolutionsEstimator  # noqa: E402
from coach.pose.sources import VideoFileSource  # noqa: E402
from coach.trace import TraceMeta  # noqa: E402

# sysbench 1.0.20 `sysbench cpu --threads=1 --time=60 run` (primes up to 10000), events/s,
# published at https://leoncode.co.uk/articles/raspberry-pi-benchmarks (Pi 5 / Pi 4 = 1.85).
PI_SYSBENCH = {"Raspberry Pi 4": 1477.83, "Raspberry Pi 5": 2737.49}
FPS = 30.0


def make_frames(width: int, height: int, n: int) -> list[np.ndarray]:
    """The footballer photo bobbing and tilting like a slow hinge, on a plain wall."""
    person, bg = pm.footballer(), pm.background(width, height)
    frames = []
    for i in range(n):
        phase = np.sin(2 * np.pi * i / 60)
        frames.append(pm.place(bg, person, width * (0.45 + 0.05 * phase), height * (0.52 + 0.03 * phase),
                               height * 0.85, angle_deg=8 * phase))
    return frames


def time_mediapipe_alone(rgbs: list[np.ndarray], warmup: int) -> float:
    est = MediaPipeSolutionsEstimator()
    for i, rgb in enumerate(rgbs[:warmup]):
        est.estimate(rgb, i / FPS)
    start = time.perf_counter()
    for i, rgb in enumerate(rgbs[warmup:], warmup):
        est.estimate(rgb, i / FPS)
    elapsed = time.perf_counter() - start
    est.close()
    return elapsed / (len(rgbs) - warmup)


def make_analyzer(meta: TraceMeta):
    try:
        from coach.analysis import Analyzer
    except ImportError:
        return None
    return Analyzer(meta, "deadlift")


class _TimedEstimator:
    """Wraps the estimator to clock the MediaPipe share inside the whole-path run itself, so
    the overhead figure does not depend on how busy the machine was between two runs."""

    def __init__(self, inner):
        self.inner, self.seconds, self.counting = inner, 0.0, False

    def estimate(self, rgb, t):
        start = time.perf_counter()
        out = self.inner.estimate(rgb, t)
        if self.counting:
            self.seconds += time.perf_counter() - start
        return out

    def close(self):
        self.inner.close()


def time_whole_path(bgrs: list[np.ndarray], warmup: int) -> tuple[float, float, bool]:
    """(seconds per frame of the whole path, of which MediaPipe, analysis present?)"""
    h, w = bgrs[0].shape[:2]
    meta = TraceMeta(w, h, FPS, "bench")
    analyzer = make_analyzer(meta)
    est = _TimedEstimator(MediaPipeSolutionsEstimator())

    def source():
        for i, f in enumerate(bgrs):
            est.counting = i >= warmup
            yield i / FPS, f

    start = None
    for i, frame in enumerate(landmark_frames(source(), est, meta)):
        if i == warmup - 1:
            start = time.perf_counter()  # after warm-up frame's analysis: counts frames warmup..end
        if analyzer is not None:
            analyzer.feed(frame)
    if analyzer is not None:
        analyzer.finish()
    n = len(bgrs) - warmup
    return (time.perf_counter() - start) / n, est.seconds / n, analyzer is not None


def time_decode(path: str) -> float:
    n, start = 0, time.perf_counter()
    for _ in VideoFileSource(path):
        n += 1
    return (time.perf_counter() - start) / n


def peak_rss_mb(video: str) -> tuple[float, int]:
    """Peak RSS of `coach analyze VIDEO` in a grandchild started by a tiny Python, so the pages
    this big benchmark process shares with a forked child are not counted."""
    probe = ("import resource, subprocess, sys\n"
             "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)\n")
    out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "coach.cli", "analyze", video,
                          "--exercise", "deadlift"], capture_output=True, text=True, cwd=os.path.join(HERE, ".."))
    kib, rc = out.stdout.split()
    if rc != "0":
        print(f"  (coach analyze exited {rc}: {out.stderr.strip()[-200:]})")
    return int(kib) / 1024.0, int(rc)  # ru_maxrss is in KiB on Linux


def sysbench_here() -> float | None:
    exe = shutil.which("sysbench")
    if not exe:
        return None
    out = subprocess.run([exe, "cpu", "--threads=1", "--time=10", "run"], capture_output=True, text=True).stdout
    m = re.search(r"events per second:\s*([\d.]+)", out)
    return float(m.group(1)) if m else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=120, help="frames per timed run (default 120)")
    ap.add_argument("--repeats", type=int, default=3, help="alternating repeats; the median is shown")
    ap.add_argument("--no-rss", action="store_true")
    ap.add_argument("--no-sysbench", action="store_true")
    args = ap.parse_args()
    warmup = 10
    cores = sorted(os.sched_getaffinity(0))
    print(f"machine: {_cpu_name()}, running on cores {cores}, mediapipe {_mp_version()}")
    whole_fps_at = {}
    tmp = tempfile.mkdtemp(prefix="bench_pose_")
    try:
        for w, h in ((640, 480), (1280, 720)):
            bgrs = make_frames(w, h, args.frames + warmup)
            rgbs = [cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in bgrs]
            alone, whole, inside, shares = [], [], [], []
            with_analysis = False
            for _ in range(args.repeats):  # alternate, so machine noise hits both alike
                alone.append(time_mediapipe_alone(rgbs, warmup))
                t, mp_part, with_analysis = time_whole_path(bgrs, warmup)
                whole.append(t)
                inside.append(t - mp_part)
                shares.append(mp_part / t)
            a, b = statistics.median(alone), statistics.median(whole)
            overhead, share = statistics.median(inside), statistics.median(shares)
            video = pm.write_video(os.path.join(tmp, f"bench_{w}x{h}.mp4"), bgrs, FPS, "mp4v")
            decode = time_decode(video)
            whole_fps_at[(w, h)] = 1 / b
            what = "pose + guard + analysis (deadlift)" if with_analysis else "pose + guard (no coach.analysis yet)"
            print(f"{w}x{h}: MediaPipe alone {a * 1000:.2f} ms/frame = {1 / a:.1f} fps; "
                  f"{what} {1 / b:.1f} fps; ratio {a / b:.3f} (target >= 0.95)")
            print(f"    inside the whole-path run: everything but MediaPipe {overhead * 1000:.2f} ms/frame, "
                  f"MediaPipe share {share:.3f} (the ratio without run-to-run noise); "
                  f"mp4 decoding (not in either figure) {decode * 1000:.2f} ms/frame")
        if not args.no_rss:
            video = os.path.join(tmp, "bench_1280x720.mp4")
            rss, rc = peak_rss_mb(video)
            print(f"peak RSS of `coach analyze {os.path.basename(video)} --exercise deadlift` "
                  f"({args.frames + warmup} frames of 1280x720): {rss:.0f} MB (target <= 500 MB)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.no_sysbench:
        return 0
    here = sysbench_here()
    if here is None:
        print("sysbench is not installed (apt-get install sysbench): no Raspberry Pi estimate")
        return 0
    print(f"sysbench 1.0.20 cpu, 1 thread, here: {here:.1f} events/s")
    for board, score in PI_SYSBENCH.items():
        ratio = score / here
        est = ", ".join(f"{w}x{h} {fps * ratio:.1f} fps" for (w, h), fps in whole_fps_at.items())
        print(f"{board}: {score} events/s (published) = {ratio:.2f} x this core -> whole path ~ {est}")
    print("caveat: sysbench's prime loop is scalar integer code; MediaPipe's float SIMD (AVX-512 here, "
          "128-bit NEON on the Pi) likely widens the gap, so read the Pi figures as upper bounds")
    return 0


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def _mp_version() -> str:
    import mediapipe as mp
    return mp.__version__


if __name__ == "__main__":
    sys.exit(main())
