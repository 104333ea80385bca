"""Every rep heard, every cue on time: the session and speech path on whole recordings.

Replays each trace of a suite (and the demo, with its voice commands) through the real runtime
(analysis, session, cue policy, the one arbiter) into a WAV speaker with espeak-ng's real audio,
and prints:
  - the share of counted reps whose number is spoken (target 100 % with counting on every rep),
  - the count latency, from the rep's count moment to the number's first sample (median, p95;
    target p95 <= 300 ms),
  - the lag of every other utterance from its event (p95 <= 1 s, max <= 2 s),
  - the cues dropped as stale, by kind.

    .venv/bin/python bench/bench_speech_path.py ../shared/eval/dev [--limit N]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from coach.core.datafile import shipped  # noqa: E402
from coach.core.session import Session  # noqa: E402
from coach.io.log import SessionLog  # noqa: E402
from coach.io.transcript import Transcript  # noqa: E402
from coach.pose.cameras import TraceCamera  # noqa: E402
from coach.runtime.runner import RunResult, Runtime, RuntimeOptions  # noqa: E402
from coach.speech.sinks import WavSpeaker, default_voice  # noqa: E402
from coach.voice.command_source import ScriptRecognizer  # noqa: E402
from coach.voice.mics import WavMic  # noqa: E402


def exercise_of(path: str, labels: dict) -> str:
    name = os.path.basename(path)
    return labels.get(name) or name.removesuffix(".jsonl.gz").split("_", 2)[2]


def replay(trace: str, exercise: str, voice, tmp: str, mic=None, recognizer=None):
    speaker = WavSpeaker(os.path.join(tmp, "speech.wav"), voice)
    rt = Runtime(Session(exercise=exercise), SessionLog(tmp, None), camera=TraceCamera(trace), mic=mic,
                 recognizer=recognizer, speaker=speaker, options=RuntimeOptions(),
                 transcript=Transcript(None))
    return rt.run(), speaker.timeline.dropped


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def report(name: str, results: list[tuple[RunResult, tuple]]) -> None:
    reps = sum(r.reps for r, _ in results)
    spoken = sum(1 for r, _ in results for _, c in r.cues if c.kind == "count")  # one per rep
    count_lag = [t - c.t for r, _ in results for t, c in r.cues if c.kind == "count"]
    other_lag = [t - c.t for r, _ in results for t, c in r.cues if c.kind != "count"]
    dropped = collections.Counter(c.kind for _, d in results for c in d)
    print(f"{name}: {len(results)} sessions, {reps} reps counted")
    print(f"  counts spoken: {spoken}/{reps} = {100 * spoken / max(reps, 1):.1f} %")
    print(f"  count latency: median {1000 * statistics.median(count_lag):.0f} ms, "
          f"p95 {1000 * pct(count_lag, 0.95):.0f} ms, max {1000 * max(count_lag):.0f} ms")
    print(f"  other utterances ({len(other_lag)}): lag p95 {pct(other_lag, 0.95):.2f} s, "
          f"max {max(other_lag):.2f} s")
    print(f"  dropped as stale: {sum(dropped.values())} ({', '.join(f'{k} {v}' for k, v in sorted(dropped.items())) or 'none'})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suite", help="a folder of traces (the dev suite)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N traces")
    args = ap.parse_args()
    labels_path = os.path.join(args.suite, "labels.json")
    labels = {}
    if os.path.exists(labels_path):
        with open(labels_path) as fh:
            labels = {t["file"]: t["exercise"] for t in json.load(fh)["traces"]}
    traces = sorted(os.path.join(args.suite, f) for f in os.listdir(args.suite) if f.endswith(".jsonl.gz"))
    if args.limit:
        traces = traces[: args.limit]
    voice = default_voice()
    tmp = tempfile.mkdtemp(prefix="bench_speech_path_")
    try:
        results = []
        for i, trace in enumerate(traces, 1):
            results.append(replay(trace, exercise_of(trace, labels), voice, tmp))
            if sys.stderr.isatty():
                print(f"\r{i}/{len(traces)}", end="", file=sys.stderr, flush=True)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        report(os.path.basename(os.path.normpath(args.suite)), results)
        wav = os.path.join(tmp, "commands.wav")
        with gzip.open(shipped("data", "demo_commands.wav.gz"), "rb") as fin, open(wav, "wb") as fout:
            shutil.copyfileobj(fin, fout)
        script = json.loads(shipped("data", "demo_commands.json").read_text())["phrases"]
        demo = replay(str(shipped("data", "demo_trace.jsonl.gz")), "deadlift", voice, tmp,
                      WavMic(wav), ScriptRecognizer(script))
        report("demo", [demo])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
