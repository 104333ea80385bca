"""Counting (and, with --faults, fault detection) at lower frame rates than recorded.

The held-out suite has 6 and 10 fps traces; dev has 15-30. This thins each dev trace to a target
rate (keeping a frame when at least 1/fps has passed since the last one kept) and prints the
share of traces counted exactly, the off-by-one share and the MAE, per exercise and overall.
With --faults it also scores the thinned reports with the suite's own score.py (per-fault table,
micro/macro F1, false faults per clean rep).
    .venv/bin/python bench/bench_counting.py [SUITE_DIR] [--fps 1000 10 6] [--faults]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from multiprocessing import Pool

from coach.core.analysis import Analyzer
from coach.cli.analyze import summarize
from coach.io.trace import read_trace

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SUITE = os.path.join(HERE, "..", "..", "shared", "eval", "dev")


def thinned_events(path: str, exercise: str, fps: float,
                   rules_off: frozenset[str] = frozenset()) -> tuple[Analyzer, list]:
    """The analysis events of one trace thinned to `fps` (some refusal rules left out)."""
    meta, frames = read_trace(path)
    analyzer = Analyzer(meta, exercise, rules_off=rules_off)
    events, last = [], -1e9
    for frame in frames:
        if frame.t - last < 1.0 / fps - 1e-3:
            continue
        last = frame.t
        events.extend(analyzer.feed(frame))
    events.extend(analyzer.finish())
    return analyzer, events


def analyze_thinned(job: tuple[str, str, float]) -> dict:
    """The `coach analyze --json` report of one trace thinned to `fps`."""
    path, exercise, fps = job
    analyzer, events = thinned_events(path, exercise, fps)
    return summarize(exercise, events, analyzer.view_report())


def fault_scores(suite: str, labels: list[dict], reports: list[dict]) -> str:
    """The fault part of score.py's output for these reports."""
    with tempfile.TemporaryDirectory() as preds:
        for t, report in zip(labels, reports):
            name = t["file"].replace(".jsonl.gz", ".json").replace(".jsonl", ".json")
            with open(os.path.join(preds, name), "w") as f:
                json.dump(report, f)
        score = os.path.join(suite, "..", "score.py")
        out = subprocess.run([sys.executable, score, suite, "--preds", preds],
                             capture_output=True, text=True, check=True).stdout.splitlines()
    section, lines = "", []
    for line in out:
        if line.startswith("== "):
            section = line
        elif (("per fault" in section and line.strip()) or line.startswith("SUMMARY")
              or ("per exercise: faults" in section and line.startswith(("group", "overall")))):
            lines.append("  " + line)
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suite", nargs="?", default=DEFAULT_SUITE)
    ap.add_argument("--fps", type=float, nargs="+", default=[1000.0, 10.0, 6.0],
                    help="target rates (1000 = every frame)")
    ap.add_argument("--faults", action="store_true", help="also score fault detection")
    args = ap.parse_args()
    with open(os.path.join(args.suite, "labels.json")) as f:
        labels = json.load(f)["traces"]
    with Pool(min(2, os.cpu_count() or 1)) as pool:
        for fps in args.fps:
            jobs = [(os.path.join(args.suite, t["file"]), t["exercise"], fps) for t in labels]
            reports = pool.map(analyze_thinned, jobs)
            by_ex: dict[str, list[int]] = defaultdict(list)
            for t, report in zip(labels, reports):
                by_ex[t["exercise"]].append(abs(report["rep_count"] - t["rep_count"]))
                by_ex["overall"].append(abs(report["rep_count"] - t["rep_count"]))
            name = "as recorded" if fps >= 1000 else f"{fps:g} fps"
            print(f"== {name}")
            for ex in ["overall"] + sorted(k for k in by_ex if k != "overall"):
                errs = by_ex[ex]
                exact = 100 * sum(e == 0 for e in errs) / len(errs)
                obo = 100 * sum(e <= 1 for e in errs) / len(errs)
                print(f"  {ex:22s} traces {len(errs):3d}  exact {exact:5.1f} %  obo {obo:5.1f} %  "
                      f"MAE {sum(errs) / len(errs):.3f}")
            if args.faults:
                print(fault_scores(args.suite, labels, reports), flush=True)


if __name__ == "__main__":
    main()
