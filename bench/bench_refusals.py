"""What each refusal rule costs on real lifters and what it catches on the development suite,
and how often faults are called on real reps their source calls good form.

A rule that refuses a movement (too quick, pick-up, unloaded stand-up, no float, not from the
floor) is measured by leaving it out: the real reps that come back are the real reps it refused
(target 0); the reps beyond the labelled count that then appear are the not-reps it caught (the
set-up and endings of dev, and on real clips pose noise and what the lifters do between sets).
`partial` (a descent that turns back short of the lifter's depth) is what a rep is not, so it
cannot be left out; its refusals are counted as they are.

    .venv/bin/python bench/bench_refusals.py [--real DIR ...] [--dev DIR] [--fps 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from multiprocessing import Pool

from bench_counting import thinned_events
from coach.cli.analyze import summarize
from coach.core.events import NotCounted
from coach.core.reps import REASONS

HERE = os.path.dirname(os.path.abspath(__file__))
EVAL = os.path.join(HERE, "..", "..", "shared", "eval")
RULES = [r for r in REASONS if r != "partial"]


def analyze(job: tuple[str, str, float, frozenset[str]]) -> dict:
    """The analysis report of one trace with some rules left out, and its refusals by rule."""
    path, exercise, fps, off = job
    analyzer, events = thinned_events(path, exercise, fps, off)
    report = summarize(exercise, events, analyzer.view_report())
    report["refused"] = Counter(e.rule for e in events if isinstance(e, NotCounted))
    return report


def run_suite(pool: Pool, suite: str, fps: float, off: frozenset[str]) -> tuple[list[dict], list[dict]]:
    with open(os.path.join(suite, "labels.json")) as f:
        labels = json.load(f)["traces"]
    present = [t for t in labels if os.path.exists(os.path.join(suite, t["file"]))]
    if len(present) < len(labels) and not off:
        print(f"({suite}: {len(labels) - len(present)} traces not built, left out)", file=sys.stderr)
    labels = present
    jobs = [(os.path.join(suite, t["file"]), t["exercise"], fps, off) for t in labels]
    return labels, pool.map(analyze, jobs)


def good_form_faults(labels: list[dict], reports: list[dict]) -> None:
    """Faults called per rep on real clips their source labels good form."""
    reps = judged = 0
    calls: Counter[str] = Counter()
    for t, r in zip(labels, reports):
        if "source_form_good" not in t.get("tags", []):
            continue
        for rep in r["reps"]:
            reps += 1
            if rep["judged"]:
                judged += 1
                calls.update(f["id"] for f in rep["faults"])
    if not reps:
        print("  no reps on good-form clips")
        return
    print(f"  good-form clips: {reps} reps counted, {judged} judged; faults called per rep "
          f"(target <= 0.15 each):")
    for fid, n in sorted(calls.items(), key=lambda kv: -kv[1]) or [("(none)", 0)]:
        print(f"    {fid:20s} {n:3d}  {n / reps:.2f} per rep")
    print(f"    {'all faults':20s} {sum(calls.values()):3d}  {sum(calls.values()) / reps:.2f} per rep")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", nargs="+", default=[os.path.join(EVAL, "real")],
                    help="suites of real lifters (labels.json with counts)")
    ap.add_argument("--dev", default=os.path.join(EVAL, "dev"))
    ap.add_argument("--fps", type=float, default=1000.0, help="thin the traces to this rate")
    args = ap.parse_args()
    suites = [("real", s) for s in args.real] + [("dev", args.dev)]
    with Pool(min(2, os.cpu_count() or 1)) as pool:
        base = {s: run_suite(pool, s, args.fps, frozenset()) for _, s in suites}
        print(f"== refusals by rule ({'as recorded' if args.fps >= 1000 else f'{args.fps:g} fps'})")
        names = [os.path.basename(os.path.normpath(s)) for _, s in suites]
        print(f"  {'rule':16s} " + "  ".join(f"{n:>38s}" for n in names))
        for rule in RULES + ["partial"]:
            cells = []
            for kind, suite in suites:
                labels, on = base[suite]
                refused = sum(r["refused"][rule] for r in on)
                if rule == "partial":
                    cells.append(f"{refused:3d} refused")
                    continue
                _, off = run_suite(pool, suite, args.fps, frozenset({rule}))
                pairs = list(zip(labels, on, off))
                # Reps beyond the truth that leaving the rule out adds, and true reps it gives back.
                caught = sum(max(0, b["rep_count"] - max(t["rep_count"], a["rep_count"]))
                             for t, a, b in pairs)
                if kind == "real":
                    lost = sum(max(0, min(t["rep_count"], b["rep_count"]) - a["rep_count"])
                               for t, a, b in pairs)
                    cells.append(f"{refused:3d} refused: {lost:2d} reps lost, {caught:2d} not-reps caught")
                else:
                    cells.append(f"{refused:3d} refused: {caught:2d} not-reps caught")
            print(f"  {rule:16s} " + "  ".join(f"{c:>38s}" for c in cells), flush=True)
        for kind, suite in suites:
            if kind == "real":
                print(f"== faults on good form: {suite}")
                good_form_faults(*base[suite])


if __name__ == "__main__":
    main()
