"""Speech latency and its cost to the analysis loop.

1. Latency from a fault event to the first audio sample handed to the output device: the
   FaultFound goes through the cue policy, the Speaker's queue and thread, the cache (or the
   engine, for a cue synthesized on the fly) to the output. Targets: cached <= 50 ms,
   uncached <= 400 ms. The output here is a NullOutput (no sound card on this machine); a real
   device adds its own buffer latency (~10-30 ms with sounddevice's "low" latency).
2. Frames/s of `coach.core.analysis.analyze` over a trace, alone and while a Speaker talks
   continuously on its own thread (paced like a real device), espeak cached and Piper on the fly.

    .venv/bin/python bench/bench_speech.py [--trials 20] [--trace PATH] [--exercise EX] [--no-piper]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from coach.core.cue_policy import CuePolicy  # noqa: E402
from coach.core.policy_config import PolicyConfig  # noqa: E402
from coach.core.cues import load_cues_or_builtin  # noqa: E402
from coach.core.events import Fault, FaultFound  # noqa: E402
from coach.speech.cache import AudioCache, fixed_texts  # noqa: E402
from coach.speech.engine import SpeechConfig  # noqa: E402
from coach.speech.engines import make_engine  # noqa: E402
from coach.speech.output import NullOutput  # noqa: E402
from coach.speech.speaker import Speaker  # noqa: E402



class StampingOutput(NullOutput):
    """A null device that notes when the first audible sample of each cue arrives (wall clock,
    and this process's CPU time: the work it took, which is the latency a free core would give)."""

    def __init__(self, sample_rate: int):
        super().__init__(sample_rate, paced=False)
        self.first_audio = threading.Event()
        self.t_first: float | None = None
        self.cpu_first: float | None = None

    def write(self, block: np.ndarray) -> None:
        if self.t_first is None and np.abs(block).max() > 0.01:
            self.t_first = time.perf_counter()
            self.cpu_first = time.process_time()
            self.first_audio.set()
        super().write(block)


def latency_trials(engine, trials: int, cached: bool) -> tuple[list[float], list[float]]:
    lib = load_cues_or_builtin()
    shared = AudioCache(engine)
    faults = ["spine_rounding", "knee_dominant", "balance", "load_drift", "incomplete_lockout"]
    if cached:  # what Speaker.warm_up(fixed_texts(library)) does at start-up, limited to these cues
        shared.prerender(c.text for i in range(trials)
                         for c in CuePolicy(lib, PolicyConfig(), "deadlift").feed(
                             [FaultFound(1.0, 1, Fault(faults[i % len(faults)], "pull", "moderate"))]))
    out_ms, cpu_ms = [], []
    for i in range(trials):
        cache = shared if cached else AudioCache(engine)  # a fresh cache: synthesized on the fly
        out = StampingOutput(engine.sample_rate)
        speaker = Speaker(cache, PolicyConfig(), output=out)
        policy = CuePolicy(lib, PolicyConfig(), "deadlift")
        event = FaultFound(1.0, 1, Fault(faults[i % len(faults)], "pull", "moderate"))
        t0, c0 = time.perf_counter(), time.process_time()
        for cue in policy.feed([event]):
            speaker.say(cue)
        out.first_audio.wait(10)
        out_ms.append((out.t_first - t0) * 1000.0 if out.t_first else float("nan"))
        cpu_ms.append((out.cpu_first - c0) * 1000.0 if out.cpu_first else float("nan"))
        speaker.close()
    return out_ms, cpu_ms


def summary(ms: list[float]) -> str:
    s = sorted(ms)
    p90 = s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]
    return f"median {statistics.median(s):6.1f} ms  p90 {p90:6.1f} ms  max {s[-1]:6.1f} ms  (n={len(s)})"


SAY_CALLS_US: list[float] = []  # how long the analysis loop spends handing a cue over


def analysis_fps(frames, meta, exercise: str, speaker: Speaker | None, texts: list[str],
                 every: int = 8) -> tuple[float, float]:
    """(frames/s on the wall clock, frames/s of this thread's CPU time). The second ignores the
    other processes on a shared machine; the first also shows GIL contention with the speaker."""
    from coach.core.analysis import Analyzer
    from coach.core.events import Cue

    analyzer = Analyzer(meta, exercise)
    t0, c0 = time.perf_counter(), time.thread_time()
    for i, frame in enumerate(frames):
        analyzer.feed(frame)
        if speaker is not None and i % every == 0:  # keep the speaker busy the whole run
            cue = Cue(frame.t, texts[i // every % len(texts)], "system", 70)
            t_say = time.perf_counter()
            speaker.say(cue)
            SAY_CALLS_US.append((time.perf_counter() - t_say) * 1e6)
    analyzer.finish()
    return len(frames) / (time.perf_counter() - t0), len(frames) / (time.thread_time() - c0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--trace", default=None,
                    help="a trace file (default: coach.synth, 12 reps with faults)")
    ap.add_argument("--exercise", default="romanian_deadlift")
    ap.add_argument("--no-piper", action="store_true")
    ap.add_argument("--repeats", type=int, default=5, help="fps runs per condition (best is kept)")
    args = ap.parse_args()

    engines = [("espeak", make_engine(SpeechConfig(engine="espeak")))]
    if not args.no_piper:
        t = time.perf_counter()
        engines.append(("piper", make_engine(SpeechConfig(engine="piper"))))
        print(f"piper voice loaded in {time.perf_counter() - t:.2f} s", flush=True)

    print("== latency: FaultFound -> policy -> speaker -> first audible sample ==")
    for name, engine in engines:
        t = time.perf_counter()
        audio, sr = engine.synthesize("Keep the load close to your body, and brace your core.")
        print(f"{name:7s} real-time factor now: {(time.perf_counter() - t) / (len(audio) / sr):.3f} "
              f"(synthesis time / audio time; load average {os.getloadavg()[0]:.1f})", flush=True)
        n = args.trials if name == "espeak" else max(5, args.trials // 2)
        for cached, target in ((True, 50), (False, 400)):
            wall, cpu = latency_trials(engine, n, cached=cached)
            what = "cached  " if cached else "uncached"
            print(f"{name:7s} {what}  {summary(wall)}   target <= {target} ms", flush=True)
            print(f"{'':7s} {'':8s}  CPU work: median {statistics.median(cpu):6.1f} ms "
                  f"(~ the latency on one free core)", flush=True)

    try:
        import coach.core.analysis  # noqa: F401
    except ImportError as e:
        print(f"analysis not available ({e}): skipping the loop benchmark")
        return 0
    if args.trace:
        from coach.io.trace import read_trace
        meta, it = read_trace(args.trace)
        frames, what = list(it), os.path.basename(args.trace)
    else:
        from coach.synth import make_trace
        synth = make_trace(args.exercise, reps=12, faults={3: ["knee_dominant"], 7: ["spine_rounding"]},
                           fps=30, seed=1)
        meta, frames, what = synth.meta, synth.frames, f"coach.synth {args.exercise}, 12 reps"
    span = frames[-1].t - frames[0].t + 1.0 / (meta.fps or 30)
    # three times over: a few seconds per run, less timer noise
    frames = [type(f)(f.t + k * span, f.landmarks) for k in range(3) for f in frames]
    print(f"\n== analysis loop: {what}, x3 = {len(frames)} frames ==")
    lib = load_cues_or_builtin()
    texts = [t for t in fixed_texts(lib) if len(t) > 20][:12]  # ~12 cues of 2-4 s: > the loop's time
    conditions: list[tuple[str, object]] = [("no speech", None)]
    for name, engine in engines:
        conditions.append((f"{name} cached", (engine, True)))
        conditions.append((f"{name} on the fly", (engine, False)))
    analysis_fps(frames, meta, args.exercise, None, texts)  # warm-up: imports, caches
    caches = {}
    for name, engine in engines:  # the fixed cues, rendered once (as Speaker.warm_up does)
        caches[name] = AudioCache(engine)
        caches[name].prerender(texts)
    best = {label: (0.0, 0.0) for label, _ in conditions}
    for r in range(args.repeats):  # interleaved, so load changes on the shared machine hit all
        for label, cond in conditions[r % len(conditions):] + conditions[:r % len(conditions)]:
            speaker = None
            said = texts
            if cond is not None:
                engine, cached = cond
                cache = caches[engine.name] if cached else AudioCache(engine)
                if not cached:  # unique texts: every cue is synthesized while the loop runs
                    said = [f"{t} Number {r * 1000 + k}." for k, t in enumerate(texts)]
                speaker = Speaker(cache, PolicyConfig(), output=NullOutput(engine.sample_rate, paced=True))
            fps = analysis_fps(frames, meta, args.exercise, speaker, said)
            if speaker is not None:
                speaking = speaker.speaking
                speaker.close()
                assert speaking, "the speaker should still be talking when the loop ends"
            best[label] = (max(best[label][0], fps[0]), max(best[label][1], fps[1]))
    base_wall, base_cpu = best["no speech"]
    print(f"{'':20s} {'wall clock':>24s}   {'analysis thread CPU':>26s}")
    for label, (wall, cpu) in best.items():
        print(f"{label:20s} {wall:8.0f} frames/s ({100.0 * wall / base_wall:5.1f} %)   "
              f"{cpu:8.0f} frames/s ({100.0 * cpu / base_cpu:5.1f} %)", flush=True)
    calls = sorted(SAY_CALLS_US)
    print(f"Speaker.say() in the loop: median {statistics.median(calls):.1f} us, "
          f"max {calls[-1]:.1f} us over {len(calls)} calls (it never waits for speech)")
    print(f"(best of {args.repeats} interleaved runs; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
