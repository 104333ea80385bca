"""Does Whisper starve the camera? The pose-and-analysis loop's frame rate alone, and while the
Whisper worker decodes commands back to back; prints figures, asserts nothing.

    .venv/bin/python bench/bench_whisper_load.py [--seconds 20]
    taskset -c 0 .venv/bin/python bench/bench_whisper_load.py    # pose and Whisper on one core

The loop is the live one's work on real pixels (a photo of a person, animated, 640x480):
BGR -> RGB -> MediaPipe pose -> guard -> Frame -> analysis (deadlift), as fast as it goes. Whisper
runs as a live session runs it (coach.voice.whisper_worker: its own thread at nice 10, one
CTranslate2 thread, a queue of two), fed spoken commands (Piper, espeak-ng) without pause, a far
heavier load than a lifter's few commands a minute. Also measured: Whisper at the priority of
pose (nice 0) and on two threads, to show what the defaults buy. Target: >= 90 % of the idle rate.

Raspberry Pi estimates scale this machine's CPU time per command by sysbench single-thread
ratios (bench_pose.PI_SYSBENCH), an optimistic bound for CTranslate2's int8 kernels (AVX2/VNNI
here, NEON there).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "audio_fixtures"))

import bench_pose as bp  # noqa: E402
import make_fixtures as mf  # noqa: E402

from coach.core.commands import default_vocabulary  # noqa: E402
from coach.io.trace import TraceMeta  # noqa: E402
from coach.pose import landmark_frames  # noqa: E402
from coach.pose.estimator import MediaPipeSolutionsEstimator  # noqa: E402
from coach.voice.command_source import Proposer, whisper_prompt  # noqa: E402
from coach.voice.whisper_model import model_dir  # noqa: E402
from coach.voice.whisper_stage import WhisperTranscriber  # noqa: E402
from coach.voice.whisper_worker import Job, WhisperWorker  # noqa: E402


def pose_rate(bgrs: list[np.ndarray], seconds: float) -> float:
    """Frames per second of the whole path over `seconds` (the frames loop round)."""
    h, w = bgrs[0].shape[:2]
    meta = TraceMeta(w, h, bp.FPS, "bench")
    analyzer = bp.make_analyzer(meta)
    est = MediaPipeSolutionsEstimator()
    stop = time.perf_counter() + seconds + 2.0
    count = 0
    start = None

    def source():
        i = 0
        while time.perf_counter() < stop:
            yield i / bp.FPS, bgrs[i % len(bgrs)]
            i += 1

    for i, frame in enumerate(landmark_frames(source(), est, meta)):
        if analyzer is not None:
            analyzer.feed(frame)
        if i == 20:   # warm-up done
            start = time.perf_counter()
        elif start is not None:
            count += 1
    return count / (time.perf_counter() - start) if start else 0.0


class Feeder:
    """Keeps the worker's queue full of spoken commands until stopped; counts what it decodes."""

    def __init__(self, worker: WhisperWorker, clips: list[tuple[str, np.ndarray]]):
        self.worker, self.clips = worker, clips
        self.decoded = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        i = 0
        while not self._stop.is_set():
            if self.worker.pending < 2:
                _, clip = self.clips[i % len(self.clips)]
                # no first answer: Whisper scores its candidates every time (the heavier case)
                self.worker.submit(Job(clip, 0.0, 1.0))
                i += 1
            for d in self.worker.results():
                self.decoded += d.transcript is not None
            self._stop.wait(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    en = default_vocabulary("en")
    bgrs = bp.make_frames(640, 480, 120)
    clips = [(t, np.concatenate([np.zeros(4000, np.int16), mf.say(t, v), np.zeros(4000, np.int16)]))
             for (t, _), v in zip(mf.command_utterances(en)[:12], mf.VOICES * 3)]
    directory, prompt, propose = model_dir(), whisper_prompt(en), Proposer(en)

    def transcriber(threads: int) -> WhisperTranscriber:
        return WhisperTranscriber(directory, prompt, threads, wake_word="coach")


    idle = pose_rate(bgrs, args.seconds)
    print(f"pose + analysis alone: {idle:.1f} fps (640x480, {os.cpu_count()} cores)", flush=True)
    for label, nice, threads in (("nice 10, 1 thread (the default)", 10, 1), ("nice 0, 1 thread", 0, 1),
                                 ("nice 10, 2 threads", 10, 2)):
        worker = WhisperWorker(lambda t=threads: transcriber(t), nice=nice, propose=propose)
        t0 = time.perf_counter()
        with Feeder(worker, clips) as feed:
            busy = pose_rate(bgrs, args.seconds)
        wall = time.perf_counter() - t0
        worker.close()
        print(f"while Whisper decodes ({label}): {busy:.1f} fps = {100 * busy / idle:.0f} % of alone; "
              f"Whisper decoded {feed.decoded} commands in {wall:.0f} s", flush=True)
    # Whisper's cost per command on a Pi, from this machine's, by single-thread speed
    tr = transcriber(1)
    tr.prepare(propose)   # as the worker does when it loads: the sentences' tokens, once
    here = bp.sysbench_here()
    # the first recognizer wrote the same command (nothing to score), and Whisper alone (its text's
    # nearest commands scored against the audio). Each candidate's prior (its score on silence) is
    # worked out the first time it is a candidate and kept, so the clips are heard twice: a
    # session says the same few commands again and again.
    for label, hints in (("the two ears agree", lambda t: (t,)), ("candidates scored", lambda t: ())):
        first, cpu = ([tr.transcribe(c, propose=propose, hints=hints(t)).cpu_s for t, c in clips] for _ in range(2))
        med = float(np.median(cpu))
        print(f"Whisper here, {label}: {med:.2f} CPU-s per command (median of {len(cpu)}, 1 thread, short context; "
              f"{np.median(first):.2f} the first time these clips were heard, priors not yet kept)")
        if here is not None:
            for board, score in bp.PI_SYSBENCH.items():
                print(f"  {board}: ~{med * here[1] / score:.1f} s per command on one core "
                      f"(sysbench ratio {score / here[1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
