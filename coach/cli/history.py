"""`coach history`: past sessions and their totals."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TypedDict


class _Row(TypedDict):
    """One session's line (and, as is, its JSON object)."""
    session: str
    started: Any   # as the log has it (an ISO time, or absent)
    mode: Any
    sets: int
    reps: int
    faults: dict[str, int]
    exercises: list[str]
    duration_s: float
    closed: bool
    path: str


def add_to(sub: Any) -> None:
    p = sub.add_parser("history", help="past sessions and their totals")
    p.add_argument("--log-dir", help="where session logs are")
    p.add_argument("--json", action="store_true", help="JSON on stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from coach.io.log import default_log_dir, load_session, session_paths
    directory = default_log_dir(args.log_dir)
    rows: list[_Row] = []
    for path in session_paths(directory):
        d = load_session(path)
        rows.append({"session": d.session_id, "started": d.info.get("started"), "mode": d.info.get("mode"),
                     "sets": len(d.sets), "reps": d.total_reps, "faults": d.fault_counts(),
                     "exercises": sorted({s.exercise for s in d.sets}),
                     "duration_s": round(d.duration_s, 1), "closed": d.finished, "path": path})
    if args.json:
        print(json.dumps({"log_dir": directory, "sessions": rows}, indent=2))
        return 0
    if not rows:
        print(f"No sessions in {directory}.", file=sys.stderr)
        return 0
    for r in rows:
        faults = sum(r["faults"].values())
        print(f"{r['session']:<22} {r['sets']:2d} sets {r['reps']:4d} reps  {faults:3d} faulty  "
              f"{r['duration_s'] / 60:5.1f} min  {', '.join(r['exercises']) or '-'}"
              f"{'' if r['closed'] else '  (not closed: recovered)'}")
    total_reps = sum(r["reps"] for r in rows)
    print(f"{len(rows)} sessions, {sum(r['sets'] for r in rows)} sets, {total_reps} reps in {directory}")
    return 0
