"""How well the view estimator knows the camera: side and yaw against the tags of an eval suite.

    .venv/bin/python bench/bench_view.py [SUITE_DIR] [--early S] [--list]
    .venv/bin/python bench/bench_view.py --keep-every 5 --jitter 0.006   (a harder copy)
    .venv/bin/python bench/bench_view.py --synth   (coach.synth: yaw 0-45, 6/10/30 fps)

For each trace the view is read at three moments: EARLY seconds after the first body is seen
(what the set-up talk uses), at the end of the trace (settled(): the view that held longest
with the whole body in frame, which analyze reports), and at every
re-estimate in between (share of the trace's time with the right side). Criteria (issue 10): side
right on >= 99 % of traces; yaw within 12 degrees of the truth bucket (yaw_0 0-8, yaw_15 8-22,
yaw_30 22-38, yaw_45 38-60) on >= 90 %. Prints overall figures and a per-tag table.
Tags are only read to score; the estimator never sees them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from coach.io.trace import Frame, read_trace  # noqa: E402
from coach.core.view import ViewEstimator  # noqa: E402
from coach.core.view_rules import judgeable_faults  # noqa: E402

BUCKETS = {"yaw_0": (0.0, 8.0), "yaw_15": (8.0, 22.0), "yaw_30": (22.0, 38.0), "yaw_45": (38.0, 60.0)}
TOLERANCE_DEG = 12.0


def yaw_ok(tag: str, yaw: float) -> bool:
    lo, hi = BUCKETS[tag]
    return lo - TOLERANCE_DEG <= yaw <= hi + TOLERANCE_DEG


def in_bucket(tag: str, yaw: float) -> bool:
    lo, hi = BUCKETS[tag]
    return lo <= yaw <= hi


def degrade(frames, keep_every: int, jitter: float, seed: int):
    """A harder copy of a trace for a stress run: fewer frames (6-10 fps from 30) and extra
    landmark jitter (fraction of the image), like the held-out suite describes."""
    rng = np.random.default_rng(seed)
    for i, f in enumerate(frames):
        if i % keep_every:
            continue
        if f.landmarks is None or jitter <= 0:
            yield f
            continue
        a = f.landmarks.copy()
        a[:, :2] += rng.normal(0.0, jitter, size=(a.shape[0], 2))
        yield Frame(f.t, a)


def run_trace(path: Path, early_s: float, keep_every: int = 1, jitter: float = 0.0) -> dict:
    meta, frames = read_trace(path)
    if keep_every > 1 or jitter > 0:
        frames = degrade(frames, keep_every, jitter, seed=len(path.name))
    est = ViewEstimator(meta)
    first_body = None
    early = None
    sides: list[tuple[float, str]] = []
    n = 0
    cpu = 0.0
    for f in frames:
        n += 1
        c0 = time.process_time()
        est.feed(f)
        cpu += time.process_time() - c0
        if first_body is None and f.landmarks is not None:
            first_body = f.t
        v = est.current()
        if v is not None:
            sides.append((f.t, v.side))
            if early is None and first_body is not None and f.t - first_body >= early_s:
                early = v
    final = est.settled()
    return {"early": early or final, "final": final, "sides": sides, "frames": n, "cpu": cpu}


def synth_table() -> int:
    """The lead's generator (coach.synth, another body model than the eval suite's) over every
    exercise, both sides, yaw 0-45 and 6/10/30 fps, with a label swap: what the held-out suite's
    wider yaw and lower frame rates do to the estimate."""
    from coach.synth import EXERCISES, make_trace

    print(f"{'fps':>4s} {'yaw':>4s} {'n':>3s} {'side ok':>8s} {'mean |err|':>10s} {'max |err|':>9s}")
    worst = 0.0
    for fps in (6, 10, 30):
        for yaw in (0, 15, 30, 45):
            errs, sides = [], []
            for k, ex in enumerate(EXERCISES):
                for view in ("left", "right"):
                    tr = make_trace(ex, reps=3, fps=fps, seed=k, view=view, yaw_deg=yaw,
                                    swap=(3.0, 4.5))
                    est = ViewEstimator(tr.meta)
                    for f in tr.frames:
                        est.feed(f)
                    v = est.settled()
                    sides.append(v is not None and v.side == view)
                    errs.append(abs(v.yaw_deg - yaw) if v is not None else 90.0)
            worst = max(worst, max(errs))
            print(f"{fps:4d} {yaw:4d} {len(errs):3d} {100.0 * sum(sides) / len(sides):7.1f}% "
                  f"{sum(errs) / len(errs):10.1f} {max(errs):9.1f}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suite", nargs="?", default="/work/shared/eval/dev")
    ap.add_argument("--synth", action="store_true",
                    help="instead: coach.synth traces at yaw 0-45 and 6/10/30 fps")
    ap.add_argument("--early", type=float, default=5.0, help="seconds after the first body (5)")
    ap.add_argument("--list", action="store_true", help="one line per trace")
    ap.add_argument("--keep-every", type=int, default=1,
                    help="stress: keep every Nth frame (5 turns 30 fps into 6 fps)")
    ap.add_argument("--jitter", type=float, default=0.0,
                    help="stress: extra landmark jitter, fraction of the image (e.g. 0.005)")
    args = ap.parse_args()
    if args.synth:
        return synth_table()
    suite = Path(args.suite)
    labels = json.loads((suite / "labels.json").read_text())
    rows = []
    t0 = time.perf_counter()
    frames = 0
    cpu = 0.0
    for tr in labels["traces"]:
        tags = tr["tags"]
        side_tag = next(t for t in tags if t.startswith("view_"))
        yaw_tag = next(t for t in tags if t in BUCKETS)
        res = run_trace(suite / tr["file"], args.early, args.keep_every, args.jitter)
        frames += res["frames"]
        cpu += res["cpu"]
        truth_side = side_tag.split("_")[1]
        row = {"file": tr["file"], "tags": tags, "truth_side": truth_side, "yaw_tag": yaw_tag}
        for when in ("early", "final"):
            v = res[when]
            row[f"{when}_side_ok"] = v is not None and v.side == truth_side
            row[f"{when}_yaw_ok"] = v is not None and yaw_ok(yaw_tag, v.yaw_deg)
            row[f"{when}_in_frame"] = v is not None and v.in_frame
            row[f"{when}_in_bucket"] = v is not None and in_bucket(yaw_tag, v.yaw_deg)
            row[f"{when}_yaw"] = None if v is None else v.yaw_deg
            row[f"{when}_side"] = None if v is None else v.side
        _, not_ok = judgeable_faults(tr["exercise"], res["final"])
        row["not_judgeable"] = sorted(not_ok)
        s = res["sides"]
        row["time_side_ok"] = (sum(1 for _, side in s if side == truth_side) / len(s)) if s else 0.0
        rows.append(row)
        if args.list:
            print(f"{tr['file']:40s} {side_tag:10s} {yaw_tag:6s} early {row['early_side']!s:5s} "
                  f"{row['early_yaw']!s:>5s}  final {row['final_side']!s:5s} {row['final_yaw']!s:>5s}"
                  f"  side-time {row['time_side_ok']:.2f}")
    elapsed = time.perf_counter() - t0

    def pct(rs: list[dict], key: str) -> str:
        return f"{100.0 * sum(r[key] for r in rs) / len(rs):5.1f}" if rs else "    -"

    n = len(rows)
    print(f"suite {suite} : {n} traces, {frames} frames, {frames / elapsed:.0f} frames/s "
          f"(reading included); ViewEstimator.feed {1e3 * cpu / max(frames, 1):.3f} ms CPU a frame")
    for when in ("early", "final"):
        label = f"after {args.early:g} s" if when == "early" else "end of trace"
        print(f"{label:13s}: side correct {pct(rows, when + '_side_ok')} %   "
              f"yaw within {TOLERANCE_DEG:g} deg of bucket {pct(rows, when + '_yaw_ok')} %   "
              f"yaw inside the bucket {pct(rows, when + '_in_bucket')} %")
    print(f"whole body in frame (settled view): {pct(rows, 'final_in_frame')} % of traces")
    blocked = [r for r in rows if r["not_judgeable"]]
    yaws = [r["final_yaw"] for r in rows if r["final_yaw"] is not None]
    print(f"largest settled yaw {max(yaws):.1f} deg; traces with a fault the view cannot judge: "
          f"{len(blocked)}" + (f" ({', '.join(r['file'] for r in blocked[:5])})" if blocked else ""))
    mean_time = 100.0 * sum(r["time_side_ok"] for r in rows) / n
    print(f"share of time (after the first estimate) with the right side: {mean_time:.1f} %")

    by_tag: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        for t in r["tags"]:
            by_tag[t].append(r)
    print()
    print(f"{'tag':22s} {'n':>3s} {'side@early':>10s} {'yaw@early':>9s} {'side@end':>9s} "
          f"{'yaw@end':>8s} {'median yaw@end':>14s}")
    for tag in sorted(by_tag):
        rs = by_tag[tag]
        yaws = sorted(r["final_yaw"] for r in rs if r["final_yaw"] is not None)
        med = f"{yaws[len(yaws) // 2]:.1f}" if yaws else "-"
        print(f"{tag:22s} {len(rs):3d} {pct(rs, 'early_side_ok'):>10s} {pct(rs, 'early_yaw_ok'):>9s} "
              f"{pct(rs, 'final_side_ok'):>9s} {pct(rs, 'final_yaw_ok'):>8s} {med:>14s}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # | head
        sys.exit(0)
