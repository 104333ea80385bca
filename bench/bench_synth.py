"""Synthetic traces: how fast coach.synth makes them, and how the analyzer scores on a small
seeded synthetic suite (varied view, yaw, frame rate, noise, partials, faults) whose labels are known
by construction. A quick, dev-set-free signal; not a substitute for /work/shared/eval.

Run:  .venv/bin/python bench/bench_synth.py [--traces-per-exercise 6] [--seed 100]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np

from coach.core.analysis import analyze
from coach.synth import APPLICABLE, EXERCISES, make_trace


def generation_speed() -> None:
    print("generation of a ~30 s trace at 30 fps (best of 3):")
    for ex in EXERCISES:
        reps = {"kettlebell_swing": 20, "romanian_deadlift": 6}.get(ex, 7)
        best, n = float("inf"), 0
        for _ in range(3):
            t0 = time.perf_counter()
            tr = make_trace(ex, reps=reps)
            best, n = min(best, time.perf_counter() - t0), len(tr.frames)
        print(f"  {ex:20s} {tr.frames[-1].t:5.1f} s clip  {best * 1000:6.1f} ms  {n / best:8.0f} frames/s")


def _iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0])) if inter else 0.0


def _case(ex: str, rng: np.random.Generator, seed: int) -> dict:
    reps = int(rng.integers(3, 9))
    faults: dict[int, list[str]] = {}
    if rng.uniform() > 0.4:
        fid = str(rng.choice(sorted(f for f, s in APPLICABLE.items() if ex in s)))
        k = max(1, reps // 3) if fid == "rushed_lowering" else int(rng.integers(1, reps + 1))
        for n in rng.choice(np.arange(1, reps + 1), size=k, replace=False):
            faults[int(n)] = [fid]
    return dict(exercise=ex, reps=reps, faults=faults, seed=seed, fps=float(rng.choice([10, 15, 24, 30])),
                view=str(rng.choice(["left", "right"])), yaw_deg=float(rng.uniform(0, 35)),
                noise=float(rng.uniform(0.002, 0.006)),
                partial_after=[int(rng.integers(1, reps + 1))] if rng.uniform() < 0.3 else None)


def suite(per_exercise: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    tp, fp, fn = Counter(), Counter(), Counter()
    print(f"\nanalyzer on {per_exercise} synthetic traces per exercise (seed {seed}):")
    print(f"  {'exercise':20s} exact%  window P/R   faults TP/FP/FN")
    t0, frames = time.perf_counter(), 0
    for ex in EXERCISES:
        exact = matched = n_pred = n_gt = 0
        ftp = ffp = ffn = 0
        for i in range(per_exercise):
            case = _case(ex, rng, seed * 1000 + i)
            tr = make_trace(**case)
            frames += len(tr.frames)
            pred: dict[int, tuple[float, float]] = {}
            found: dict[int, set[str]] = {}
            for e in analyze(tr.meta, tr.frames, ex):
                if type(e).__name__ == "RepCounted":
                    pred[e.rep] = (e.start, e.end)
                elif type(e).__name__ == "FaultFound":
                    found.setdefault(e.rep, set()).add(getattr(e.fault, "id", e.fault))
            exact += len(pred) == len(tr.reps)
            n_pred, n_gt = n_pred + len(pred), n_gt + len(tr.reps)
            pairs = sorted(((_iou(p, g), r, j) for r, p in pred.items() for j, g in enumerate(tr.reps)), reverse=True)
            used_p, used_g = set(), set()
            for iou, r, j in pairs:
                if iou >= 0.5 and r not in used_p and j not in used_g:
                    used_p.add(r), used_g.add(j)
                    matched += 1
                    got, want = found.get(r, set()), set(tr.rep_faults[j])
                    for fid in got | want:
                        (tp if fid in got and fid in want else fp if fid in got else fn)[fid] += 1
                    ftp, ffp, ffn = ftp + len(got & want), ffp + len(got - want), ffn + len(want - got)
        print(f"  {ex:20s} {100 * exact / per_exercise:5.0f}   {matched / max(n_pred, 1):.2f}/{matched / max(n_gt, 1):.2f}"
              f"     {ftp}/{ffp}/{ffn}")
    print("\n  fault                precision recall  (TP/FP/FN)")
    for fid in APPLICABLE:
        p = tp[fid] / max(tp[fid] + fp[fid], 1)
        r = tp[fid] / max(tp[fid] + fn[fid], 1)
        print(f"  {fid:20s} {p:9.2f} {r:6.2f}  ({tp[fid]}/{fp[fid]}/{fn[fid]})")
    dt = time.perf_counter() - t0
    print(f"\n  {frames} frames generated and analysed in {dt:.1f} s ({frames / dt:.0f} frames/s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--traces-per-exercise", type=int, default=6)
    ap.add_argument("--seed", type=int, default=100)
    args = ap.parse_args()
    generation_speed()
    suite(args.traces_per_exercise, args.seed)


if __name__ == "__main__":
    main()
