"""Corrective cues on the dev suite: how many per set and per rep, and how often they are right.

Each trace is one set: analysis (coach.core.analysis.analyze) -> cue policy -> cues. A corrective cue
is right when the rep it is about (matched to a labelled rep by window overlap) really has the
fault it names. Target: >= 90 % right.

    .venv/bin/python bench/bench_cues.py [SUITE_DIR] [--only EXERCISE] [--jobs N] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

DEFAULT_SUITE = "/work/shared/eval/dev"


def match_reps(detected: dict[int, tuple[float, float]], labelled: list[dict]) -> dict[int, int | None]:
    """Detected rep -> index of the labelled rep whose window overlaps it most (None: no overlap)."""
    out: dict[int, int | None] = {}
    for rep, (s, e) in detected.items():
        best, best_overlap = None, 0.0
        for i, lab in enumerate(labelled):
            overlap = min(e, lab["end"]) - max(s, lab["start"])
            if overlap > best_overlap:
                best, best_overlap = i, overlap
        out[rep] = best
    return out


def run_trace(path: str, exercise: str, labelled: list[dict]) -> dict:
    try:
        return _run_trace(path, exercise, labelled)
    except Exception as e:  # noqa: BLE001 - one broken trace must not hide the others' figures
        return {"file": os.path.basename(path), "exercise": exercise, "labelled_reps": len(labelled),
                "detected_reps": 0, "faulty_reps": sum(1 for r in labelled if r["faults"]),
                "faulty_reps_cued": 0, "cues": [], "found": 0, "found_right": 0,
                "error": f"{type(e).__name__}: {e}"}


def _run_trace(path: str, exercise: str, labelled: list[dict]) -> dict:
    from coach.core.analysis import analyze
    from coach.core.cue_policy import cues_for
    from coach.core.cues import load_cues_or_builtin
    from coach.core.policy_config import load_policy_config
    from coach.core.events import FaultFound, RepCounted
    from coach.io.trace import read_trace

    meta, frames = read_trace(path)
    events = list(analyze(meta, frames, exercise))
    cues = cues_for(events, load_cues_or_builtin(), load_policy_config(), exercise)
    detected = {e.rep: (e.start, e.end) for e in events if isinstance(e, RepCounted)}
    matched = match_reps(detected, labelled)
    rows = []
    for c in cues:
        if c.kind != "correction":
            continue
        lab = matched.get(c.rep) if c.rep is not None else None
        truth = labelled[lab]["faults"] if lab is not None else []
        rows.append({"t": round(c.t, 2), "rep": c.rep, "label_rep": None if lab is None else lab + 1,
                     "fault": c.fault, "right": c.fault in truth, "truth": truth, "text": c.text})
    found = {(e.rep, e.fault.id) for e in events if isinstance(e, FaultFound)}
    found_right = sum(1 for rep, f in found
                      if matched.get(rep) is not None and f in labelled[matched[rep]]["faults"])
    faulty_labelled = sum(1 for r in labelled if r["faults"])
    cued_labelled = {r["label_rep"] for r in rows if r["right"]}
    return {"file": os.path.basename(path), "exercise": exercise, "labelled_reps": len(labelled),
            "detected_reps": len(detected), "faulty_reps": faulty_labelled,
            "faulty_reps_cued": len(cued_labelled), "cues": rows,
            "found": len(found), "found_right": found_right}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suite", nargs="?", default=DEFAULT_SUITE)
    ap.add_argument("--only", help="one exercise id")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--verbose", "-v", action="store_true", help="list every corrective cue")
    args = ap.parse_args()
    try:
        import coach.core.analysis  # noqa: F401
    except ImportError as e:
        print(f"coach.core.analysis is not available yet ({e})", file=sys.stderr)
        return 2
    with open(os.path.join(args.suite, "labels.json")) as fh:
        traces = [t for t in json.load(fh)["traces"] if not args.only or t["exercise"] == args.only]
    jobs = [(os.path.join(args.suite, t["file"]), t["exercise"], t["reps"]) for t in traces]
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(run_trace, *zip(*jobs)))
    else:
        results = [run_trace(*j) for j in jobs]

    print(f"{'trace':40s} {'reps':>9s} {'cues':>5s} {'/rep':>5s} {'right':>6s}  faulty reps cued")
    total = right = reps = sets = faulty = faulty_cued = 0
    per_fault: Counter = Counter()
    per_fault_right: Counter = Counter()
    for r in results:
        n = len(r["cues"])
        ok = sum(c["right"] for c in r["cues"])
        total, right, reps, sets = total + n, right + ok, reps + r["detected_reps"], sets + 1
        faulty, faulty_cued = faulty + r["faulty_reps"], faulty_cued + r["faulty_reps_cued"]
        for c in r["cues"]:
            per_fault[c["fault"]] += 1
            per_fault_right[c["fault"]] += c["right"]
        share = f"{100 * ok / n:5.0f}%" if n else "     -"
        per_rep = f"{n / r['detected_reps']:5.2f}" if r["detected_reps"] else "    -"
        print(f"{r['file']:40s} {r['detected_reps']:>4d}/{r['labelled_reps']:<4d} {n:>5d} {per_rep} {share}  "
              f"{r['faulty_reps_cued']}/{r['faulty_reps']}")
        if r.get("error"):
            print(f"    FAILED: {r['error']}")
        if args.verbose:
            for c in r["cues"]:
                mark = "ok " if c["right"] else "NO "
                print(f"    {mark} {c['t']:7.2f}s rep {c['rep']} (label {c['label_rep']}, "
                      f"truth {','.join(c['truth']) or 'clean'}): {c['fault']}: {c['text']}")
    print()
    failed = [r["file"] for r in results if r.get("error")]
    print(f"sets (traces): {sets}   detected reps: {reps}   corrective cues: {total}"
          + (f"   FAILED traces: {len(failed)}" if failed else ""))
    if sets and reps:
        print(f"corrective cues per set: {total / sets:.2f}   per rep: {total / reps:.3f}")
    if total:
        print(f"cues naming a fault the rep really has: {right}/{total} = {100 * right / total:.1f} %"
              "   (target >= 90 %)")
        for f, n in per_fault.most_common():
            print(f"    {f:20s} {per_fault_right[f]:>4d}/{n:<4d} right")
    else:
        print("no corrective cues: the analysis reported no faults")
    found = sum(r["found"] for r in results)
    if found:
        found_right = sum(r["found_right"] for r in results)
        print(f"for comparison, every fault the analysis found (rep, fault): {found_right}/{found} = "
              f"{100 * found_right / found:.1f} % right (the cued share is the line above)")
    if faulty:
        print(f"labelled faulty reps that got a right cue: {faulty_cued}/{faulty} = "
              f"{100 * faulty_cued / faulty:.1f} % (cooldown and one-cue-per-rep cap this on purpose)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
