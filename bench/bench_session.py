"""The demo pipeline in real time: how fast the coach reacts, what it costs, whether it leaks.

Run A: `coach demo`'s runtime, paced in real time (x1): the bundled trace as the camera, the
bundled WAV of commands heard by PocketSphinx, speech rendered to a WAV on the timeline.
  - lag from a frame to its rep event: the wall time from the moment the frame is released by
    the (paced) camera to the moment the core has the RepCounted (median, p95);
  - cue latency from the end of a rep (the count moment) to the first audio sample of its count:
    on the speech timeline, and in wall time until the audio is rendered and placed;
  - CPU use of the process (user + system) as a share of one core.
Run B: a 30-minute session (the trace looped, no voice, speech rendered to nothing), replayed
at --speed times real time, sampling the resident memory every second: peak RSS, and RSS at each
fifth of the run (flat = no leak). Target: <= 500 MB.

    .venv/bin/python bench/bench_session.py [--minutes 30] [--speed 10] [--skip-a] [--skip-b]
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from coach.io.log import SessionLog, read_records  # noqa: E402
from coach.io.transcript import Transcript  # noqa: E402
from coach.pose.cameras import TraceCamera  # noqa: E402
from coach.runtime.runner import Runtime, RuntimeOptions  # noqa: E402
from coach.speech.sinks import NullSpeaker, WavSpeaker  # noqa: E402
from coach.voice.command_source import make_recognizer  # noqa: E402
from coach.voice.mics import WavMic  # noqa: E402
from coach.core.session import Session  # noqa: E402
from coach.io.trace import Frame, read_trace  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "..", "coach", "data")


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_a(tmp: str) -> None:
    mic_wav = os.path.join(tmp, "mic.wav")
    with gzip.open(os.path.join(DATA, "demo_commands.wav.gz")) as fin, open(mic_wav, "wb") as fout:
        shutil.copyfileobj(fin, fout)
    camera = TraceCamera(os.path.join(DATA, "demo_trace.jsonl.gz"))
    recognizer, how = make_recognizer("en")
    log = SessionLog(tmp, "bench-a")
    rt = Runtime(Session(exercise="deadlift"), log, camera=camera, mic=WavMic(mic_wav), recognizer=recognizer,
                 speaker=WavSpeaker(os.path.join(tmp, "speech.wav")),
                 options=RuntimeOptions(realtime=True), transcript=Transcript(None))
    c0, w0 = cpu_s(), time.monotonic()
    res = rt.run()
    cpu, wall = cpu_s() - c0, time.monotonic() - w0
    lags = [x * 1000 for x in res.rep_lag_s]
    spoken_counts = [(t, c) for t, c in res.cues if c.kind == "count"]
    timeline = [(t - c.t) * 1000 for t, c in spoken_counts]
    walls = [x * 1000 for x in res.cue_wall_s]
    print(f"A. demo pipeline in real time (x1), {wall:.1f} s wall, {res.frames} frames, "
          f"{res.reps} reps, {len(res.commands)} voice commands ({how}), {len(res.cues)} cues")
    print(f"   frame -> rep event lag: median {statistics.median(lags):.1f} ms, p95 {pct(lags, .95):.1f} ms "
          f"(n={len(lags)}); frames dropped by the newest-frame policy: {res.dropped_frames}")
    if timeline:
        print(f"   rep end -> first audio sample of its count, speech timeline: median "
              f"{statistics.median(timeline):.0f} ms, p95 {pct(timeline, .95):.0f} ms (n={len(timeline)}; "
              f"counts queued behind longer cues start late, stale ones are dropped)")
    if walls:
        print(f"   rep frame released -> count audio rendered and placed (wall): median "
              f"{statistics.median(walls):.1f} ms, p95 {pct(walls, .95):.1f} ms")
    print(f"   CPU: {100 * cpu / wall:.0f}% of one core (user+sys {cpu:.1f} s over {wall:.1f} s); "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


class LoopedCamera:
    """The trace replayed back to back until `minutes` of timeline have passed."""

    def __init__(self, path: str, minutes: float):
        self.path, self.seconds = path, minutes * 60
        self.meta, _ = read_trace(path)

    def frames(self):
        offset = 0.0
        while offset < self.seconds:
            _, frames = read_trace(self.path)
            last = 0.0
            for f in frames:
                if offset + f.t >= self.seconds:
                    return
                last = f.t
                yield Frame(offset + f.t, f.landmarks)
            offset += last + 1.0 / (self.meta.fps or 15)

    def close(self) -> None:
        pass


def run_b(tmp: str, minutes: float, speed: float) -> None:
    camera = LoopedCamera(os.path.join(DATA, "demo_trace.jsonl.gz"), minutes)
    log = SessionLog(tmp, "bench-b")
    rt = Runtime(Session(exercise="deadlift"), log, camera=camera, speaker=NullSpeaker(),
                 options=RuntimeOptions(realtime=True, speed=speed), transcript=Transcript(None))
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(1.0):
            samples.append((time.monotonic(), rss_mb()))

    th = threading.Thread(target=sample, daemon=True)
    c0, w0 = cpu_s(), time.monotonic()
    samples.append((w0, rss_mb()))
    th.start()
    res = rt.run()
    done.set()
    th.join()
    cpu, wall = cpu_s() - c0, time.monotonic() - w0
    samples.append((time.monotonic(), rss_mb()))
    fifths = [samples[min(len(samples) - 1, int(i * (len(samples) - 1) / 5))][1] for i in range(6)]
    lags = [x * 1000 for x in res.rep_lag_s]
    n_lines = sum(1 for _ in read_records(log.path))
    print(f"B. {minutes:.0f}-minute session replayed at x{speed:g} ({wall:.0f} s wall): {res.frames} frames, "
          f"{res.reps} reps in {res.sets} sets, log {os.path.getsize(log.path) / 1e6:.1f} MB ({n_lines} lines)")
    print(f"   RSS at each fifth of the run (MB): {' -> '.join(f'{x:.0f}' for x in fifths)}; "
          f"peak {max(x for _, x in samples):.0f} MB (target <= 500, flat)")
    print(f"   frame -> rep event lag at x{speed:g}: median {statistics.median(lags):.1f} ms, "
          f"p95 {pct(lags, .95):.1f} ms; frames dropped: {res.dropped_frames}; "
          f"CPU {100 * cpu / wall:.0f}% of one core at x{speed:g} "
          f"(~{100 * cpu / wall / speed:.0f}% at x1)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--speed", type=float, default=10.0, help="run B replay speed (x real time)")
    ap.add_argument("--skip-a", action="store_true")
    ap.add_argument("--skip-b", action="store_true")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared)")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_a:
            run_a(tmp)
        if not args.skip_b:
            run_b(tmp, args.minutes, args.speed)


if __name__ == "__main__":
    main()
