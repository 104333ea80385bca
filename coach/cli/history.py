"""`coach history`: past sessions and their totals."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any, TypedDict

from coach.core.errors import CliError

if TYPE_CHECKING:
    from coach.io.log import LoggedSession


class _Row(TypedDict):
    """One session's line (and, as is, its JSON object)."""
    session: str
    started: Any   # as the log has it (an ISO time, or absent)
    mode: Any
    sets: int
    reps: int
    faulty_reps: int  # reps with at least one fault
    faults: dict[str, int]  # fault id -> the reps it was found on
    exercises: list[str]
    duration_s: float
    closed: bool
    path: str


def add_to(sub: Any) -> None:
    p = sub.add_parser("history", help="past sessions and their totals")
    p.add_argument("--log-dir", help="where session logs are")
    p.add_argument("--json", action="store_true", help="JSON on stdout")
    p.add_argument("--html", metavar="FILE", help="also write the history as one self-contained HTML page to FILE")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from coach.io.log import LogError, default_log_dir, load_session, session_paths
    from coach.io.report import plural
    directory = default_log_dir(args.log_dir)
    rows: list[_Row] = []
    loaded: list[LoggedSession] = []
    skipped: list[str] = []
    for path in session_paths(directory):
        try:
            d = load_session(path)
        except LogError:  # another program's .jsonl in the folder: not a session, not an error
            skipped.append(path)
            continue
        loaded.append(d)
        rows.append({"session": d.session_id, "started": d.info.get("started"), "mode": d.info.get("mode"),
                     "sets": len(d.sets), "reps": d.total_reps, "faulty_reps": d.faulty_reps,
                     "faults": d.fault_counts(), "exercises": sorted({s.exercise for s in d.sets}),
                     "duration_s": round(d.duration_s, 1), "closed": d.finished, "path": path})
    if skipped:
        print(f"coach: skipped {plural(len(skipped), 'file')} in {directory} that "
              f"{'is' if len(skipped) == 1 else 'are'} not a session log: "
              f"{', '.join(os.path.basename(p) for p in skipped)}", file=sys.stderr)
    if args.html:
        _write_html(args.html, loaded)
    if args.json:
        print(json.dumps({"log_dir": directory, "sessions": rows}, indent=2))
        return 0
    if not rows:
        print(f"No sessions in {directory}.", file=sys.stderr)
        return 0
    for r in rows:
        exercises = ", ".join(e.replace("_", " ") for e in r["exercises"]) or "-"
        print(f"{r['session']:<22} {plural(r['sets'], 'set'):>8} {plural(r['reps'], 'rep'):>9}  "
              f"{r['faulty_reps']:3d} with faults  {r['duration_s'] / 60:5.1f} min  {exercises}"
              f"{'' if r['closed'] else '  (not closed: recovered)'}")
    total_reps = sum(r["reps"] for r in rows)
    print(f"{plural(len(rows), 'session')}, {plural(sum(r['sets'] for r in rows), 'set')}, "
          f"{plural(total_reps, 'rep')} ({sum(r['faulty_reps'] for r in rows)} with faults) in {directory}")
    return 0


def _write_html(path: str, sessions: list[LoggedSession]) -> None:
    """The history page (coach.io.report_html) to `path`; CliError (one sentence) if it cannot be."""
    from coach.io.report_html import history_html
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(history_html(sessions))
    except OSError as e:
        raise CliError(f"{path}: cannot write the history page ({e.strerror or e})") from None
    print(f"Wrote {path}", file=sys.stderr)
