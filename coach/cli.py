"""The one entry point: `coach SUBCOMMAND ...`.

Each subcommand lives in its own module with `add_to(subparsers)`; it sets `run(args) -> int`.
Heavy libraries (MediaPipe, recognizers, TTS) are imported inside `run`, so `coach analyze` on a
trace starts fast. Errors the user can fix raise CliError: one sentence on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMAND_MODULES = (
    "coach.cli_analyze",
    "coach.cli_pose",
    "coach.cli_listen",
    "coach.cli_speak",
    "coach.cli_session",
    "coach.cli_view",
)


class CliError(Exception):
    """A problem with the user's input or machine: printed as one sentence, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coach", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:  # that part of the product is not built yet
                continue
            raise
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
    except CliError as e:
        print(f"coach: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("coach: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
