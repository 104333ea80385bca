"""Counting on a labelled suite at lower frame rates than it was recorded at.

The held-out suite has 6 and 10 fps traces; dev has 15-30. This thins each dev trace to a target
rate (keeping a frame when at least 1/fps has passed since the last one kept) and prints the
share of traces counted exactly, the off-by-one share and the MAE, per exercise and overall.
    .venv/bin/python bench/bench_counting.py [SUITE_DIR] [--fps 30 10 6]
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict
from multiprocessing import Pool

from coach.analysis import Analyzer
from coach.events import RepCounted
from coach.trace import read_trace

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SUITE = os.path.join(HERE, "..", "..", "shared", "eval", "dev")


def count(job: tuple[str, str, float]) -> int:
    path, exercise, fps = job
    meta, frames = read_trace(path)
    analyzer = Analyzer(meta, exercise)
    n, last = 0, -1e9
    for frame in frames:
        if frame.t - last < 1.0 / fps - 1e-3:
            continue
        last = frame.t
        n += sum(isinstance(e, RepCounted) for e in analyzer.feed(frame))
    return n + sum(isinstance(e, RepCounted) for e in analyzer.finish())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suite", nargs="?", default=DEFAULT_SUITE)
    ap.add_argument("--fps", type=float, nargs="+", default=[1000.0, 10.0, 6.0],
                    help="target rates (1000 = every frame)")
    args = ap.parse_args()
    labels = json.load(open(os.path.join(args.suite, "labels.json")))["traces"]
    with Pool(min(2, os.cpu_count() or 1)) as pool:
        for fps in args.fps:
            jobs = [(os.path.join(args.suite, t["file"]), t["exercise"], fps) for t in labels]
            got = pool.map(count, jobs)
            by_ex: dict[str, list[int]] = defaultdict(list)
            for t, n in zip(labels, got):
                by_ex[t["exercise"]].append(abs(n - t["rep_count"]))
                by_ex["overall"].append(abs(n - t["rep_count"]))
            name = "as recorded" if fps >= 1000 else f"{fps:g} fps"
            print(f"== {name}")
            for ex in ["overall"] + sorted(k for k in by_ex if k != "overall"):
                errs = by_ex[ex]
                exact = 100 * sum(e == 0 for e in errs) / len(errs)
                obo = 100 * sum(e <= 1 for e in errs) / len(errs)
                print(f"  {ex:22s} traces {len(errs):3d}  exact {exact:5.1f} %  obo {obo:5.1f} %  "
                      f"MAE {sum(errs) / len(errs):.3f}")


if __name__ == "__main__":
    main()
