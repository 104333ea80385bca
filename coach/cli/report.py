"""`coach report`: a session's summary in text and words, and its hip flexion plot."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from coach.core.errors import CliError


def add_to(sub: Any) -> None:
    p = sub.add_parser("report", help="a session's summary (text, words) and its hip flexion plot (PNG)")
    p.add_argument("session", help="a session id (or a unique prefix, or 'last') or a log file path")
    p.add_argument("--log-dir", help="where session logs are")
    p.add_argument("--out", help="where to write the report (default: next to the log)")
    p.add_argument("--html", action="store_true",
                   help="also write <session>.html: one self-contained page (sets, reps, plot), no network needed")
    p.add_argument("--json", action="store_true", help="JSON on stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from coach.io.log import LogError, default_log_dir, find_session, load_session
    from coach.io.report import join_words, spoken_summary, text_report, write_report
    try:
        path = find_session(args.session, default_log_dir(args.log_dir))
        data = load_session(path)
    except LogError as e:
        raise CliError(str(e)) from None
    out = args.out or os.path.dirname(os.path.abspath(path))
    try:
        txt, png = write_report(data, out)
    except OSError as e:
        raise CliError(f"{out}: cannot write the report ({e.strerror or e})") from None
    page = None
    if args.html:
        from coach.io.report_html import write_session_html
        try:
            page = write_session_html(data, out)
        except OSError as e:
            raise CliError(f"{out}: cannot write the HTML report ({e.strerror or e})") from None
    words = spoken_summary(data)
    if args.json:
        doc: dict[str, Any] = {"session": data.session_id, "report": txt, "plot": png, "summary": words,
                               "sets": len(data.sets), "reps": data.total_reps, "faults": data.fault_counts()}
        if page:
            doc["html"] = page
        print(json.dumps(doc))
        return 0
    print(text_report(data))
    print("In words: " + words)
    print(f"\nWrote {join_words([txt, png] + ([page] if page else []))}", file=sys.stderr)
    return 0
