"""The one entry point: `coach SUBCOMMAND ...`.

Each subcommand lives in its own module with `add_to(subparsers)`; it sets `run(args) -> int`.
Heavy libraries (MediaPipe, recognizers, TTS) are imported inside `run`, so `coach analyze` on a
trace starts fast. Errors the user can fix raise a CoachError: one sentence on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import sys

from coach.cli import analyze, check_camera, demo, history, listen, live, pose, report, speak
from coach.core.errors import CoachError

SUBCOMMANDS = (analyze, pose, listen, speak, demo, live, history, report, check_camera)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coach", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.add_to(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.run(args) or 0)
    except CoachError as e:
        print(f"coach: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("coach: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
