"""The static gate over coach/: the linter, the type checker and the import graph (settings and
every ignored rule with its reason in pyproject.toml). A failure prints what they found."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing_in_coach():
    r = run(str(BIN / "ruff"), "check", "--no-cache", "coach")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_finds_nothing_in_coach():
    r = run(str(BIN / "mypy"), "--no-incremental")
    assert r.returncode == 0, r.stdout + r.stderr


def test_no_module_imports_itself_through_others():
    r = run(sys.executable, "scripts/import_cycles.py")
    assert r.returncode == 0, r.stdout + r.stderr
