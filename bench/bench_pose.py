"""Pose speed and memory: prints figures, asserts nothing.

For 640x480 and 1280x720 frames of a real photo of a person, animated:
  - MediaPipe alone: the estimator on RGB frames already in memory (ms/frame, fps);
  - the whole path: BGR frame -> RGB -> MediaPipe -> single-person guard -> Frame -> analysis
    (coach.core.analysis.Analyzer, deadlift), and its ratio to MediaPipe alone (target >= 0.95);
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
from coach.io.trace import TraceMeta  # noqa: E402

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


class Clock:
    """Wall time and CPU time of this process (all threads): on a machine shared with other work
    the CPU time is what this code costs; the wall time is what a dedicated core would see only
    when nothing else runs."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def per_frame(self, n: int) -> tuple[float, float]:
        return (time.perf_counter() - self.wall) / n, (time.process_time() - self.cpu) / n


def time_mediapipe_alone(rgbs: list[np.ndarray], warmup: int) -> tuple[float, float]:
    est = MediaPipeSolutionsEstimator()
    for i, rgb in enumerate(rgbs[:warmup]):
        est.estimate(rgb, i / FPS)
    clock = Clock()
    for i, rgb in enumerate(rgbs[warmup:], warmup):
        est.estimate(rgb, i / FPS)
    out = clock.per_frame(len(rgbs) - warmup)
    est.close()
    return out


def make_analyzer(meta: TraceMeta):
    try:
        from coach.core.analysis import Analyzer
    except ImportError:
        return None
    return Analyzer(meta, "deadlift")


class _TimedEstimator:
    """Wraps the estimator to clock the MediaPipe share inside the whole-path run itself, so
    the overhead figure does not depend on how busy the machine was between two runs."""

    def __init__(self, inner):
        self.inner, self.seconds, self.counting = inner, 0.0, False

    def estimate(self, rgb, t):
        start = time.process_time()
        out = self.inner.estimate(rgb, t)
        if self.counting:
            self.seconds += time.process_time() - start
        return out

    def close(self):
        self.inner.close()


def time_whole_path(bgrs: list[np.ndarray], warmup: int) -> tuple[tuple[float, float], float, float, bool]:
    """((wall, CPU) s/frame of the whole path, CPU s/frame of MediaPipe, of analysis, analysis?)"""
    h, w = bgrs[0].shape[:2]
    meta = TraceMeta(w, h, FPS, "bench")
    analyzer = make_analyzer(meta)
    est = _TimedEstimator(MediaPipeSolutionsEstimator())

    def source():
        for i, f in enumerate(bgrs):
            est.counting = i >= warmup
            yield i / FPS, f

    clock, analysis_s = None, 0.0
    for i, frame in enumerate(landmark_frames(source(), est, meta)):
        if analyzer is not None:
            start = time.process_time()
            analyzer.feed(frame)
            if i >= warmup:
                analysis_s += time.process_time() - start
        if i == warmup - 1:
            clock = Clock()  # counts frames warmup..end, from decode to analysis
    if analyzer is not None:
        analyzer.finish()
    n = len(bgrs) - warmup
    return clock.per_frame(n), est.seconds / n, analysis_s / n, analyzer is not None


def time_decode(path: str) -> float:
    n, clock = 0, Clock()
    for _ in VideoFileSource(path):
        n += 1
    return clock.per_frame(n)[1]


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


def sysbench_here() -> tuple[float, float] | None:
    """sysbench 1.0.20 `cpu --threads=1` events per wall second and per CPU second."""
    exe = shutil.which("sysbench")
    if not exe:
        return None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([exe, "cpu", "--threads=1", "--time=10", "run"], capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    per_wall = re.search(r"events per second:\s*([\d.]+)", out)
    total = re.search(r"total number of events:\s*(\d+)", out)
    if not (per_wall and total and cpu > 0):
        return None
    return float(per_wall.group(1)), int(total.group(1)) / cpu


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
            alone, whole, shares, analysis = [], [], [], []
            with_analysis = False
            for _ in range(args.repeats):  # alternate, so machine noise hits both alike
                alone.append(time_mediapipe_alone(rgbs, warmup))
                w_c, mp_cpu, an_cpu, with_analysis = time_whole_path(bgrs, warmup)
                whole.append(w_c)
                shares.append(mp_cpu / w_c[1])
                analysis.append(an_cpu)
            a_wall, a_cpu = (statistics.median(x) for x in zip(*alone))
            b_wall, b_cpu = (statistics.median(x) for x in zip(*whole))
            share = statistics.median(shares)
            video = pm.write_video(os.path.join(tmp, f"bench_{w}x{h}.mp4"), bgrs, FPS, "mp4v")
            decode = time_decode(video)
            whole_fps_at[(w, h)] = 1 / b_cpu
            what = "pose + guard + analysis (deadlift)" if with_analysis else "pose + guard (no coach.core.analysis yet)"
            print(f"{w}x{h}:")
            print(f"  MediaPipe alone: {a_cpu * 1000:.2f} ms CPU/frame = {1 / a_cpu:.1f} fps "
                  f"(wall {a_wall * 1000:.2f} ms = {1 / a_wall:.1f} fps)")
            print(f"  whole path, {what}: {b_cpu * 1000:.2f} ms CPU/frame = {1 / b_cpu:.1f} fps "
                  f"(wall {1 / b_wall:.1f} fps)")
            print(f"  ratio whole/alone: {a_cpu / b_cpu:.3f} by CPU time, {a_wall / b_wall:.3f} by wall time; "
                  f"MediaPipe's share inside the whole-path run {share:.3f} (target >= 0.95)")
            an = statistics.median(analysis)
            print(f"  everything but MediaPipe: {(b_cpu * (1 - share)) * 1000:.2f} ms CPU/frame, of which analysis "
                  f"{an * 1000:.2f} ms and the pose adapter (BGR->RGB, guard, Frame) "
                  f"{(b_cpu * (1 - share) - an) * 1000:.2f} ms; "
                  f"mp4 decoding (in neither figure; the camera thread's job live) {decode * 1000:.2f} ms CPU/frame")
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
    per_wall, per_cpu = here
    print(f"sysbench 1.0.20 cpu, 1 thread, here: {per_cpu:.1f} events per CPU second "
          f"({per_wall:.1f} per wall second)")
    for board, score in PI_SYSBENCH.items():
        ratio = score / per_cpu
        est = ", ".join(f"{w}x{h} {fps * ratio:.1f} fps" for (w, h), fps in whole_fps_at.items())
        print(f"{board}: {score} events/s (published) = {ratio:.2f} x this core -> whole path ~ {est}")
    print("caveat: sysbench's prime loop is scalar integer code; MediaPipe's float SIMD (AVX-512 here, "
          "128-bit NEON on the Pi) widens the gap, so read these Pi figures as upper bounds. A published "
          "MediaPipe 0.10.18 pose run on a Pi 5 reached 6.1 fps in a ROS 2 pipeline (hackaday.io "
          "GestureBot log), i.e. ~3.3 fps on a Pi 4 by the 1.85 Pi 5/Pi 4 sysbench ratio.")
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
