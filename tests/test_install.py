"""What a non-editable install gets: the package as built for a wheel, with all its data.

A source checkout finds everything beside the code, so only a build shows a data file, a
language folder of cues/ or a subpackage that pyproject.toml leaves out. Offline: the build uses
the setuptools in this environment. A real wheel needs its bdist_wheel command (setuptools >= 70.1,
or the `wheel` package); without it, setuptools' build_py makes the same package tree that a
wheel packs (install_lib copies exactly that tree into the wheel).
"""

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _can_build_wheel() -> bool:
    return any(importlib.util.find_spec(m) is not None for m in ("setuptools.command.bdist_wheel", "wheel"))


def _built_files(src: Path, out: Path) -> set[str]:
    """Paths (as in site-packages) of everything the build of `src` installs."""
    if _can_build_wheel():
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                        "--no-index", "-w", str(out), str(src)], check=True, capture_output=True, timeout=120)
        (wheel,) = out.glob("coach-*.whl")
        with zipfile.ZipFile(wheel) as z:
            return set(z.namelist())
    subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
                    "--build-lib", str(out)], cwd=src, check=True, capture_output=True, timeout=120)
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def test_build_ships_code_cues_and_data(tmp_path: Path):
    # A clean copy: no stale build/ or egg-info, and nothing written into the checkout.
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"))
    out = tmp_path / "out"
    files = _built_files(src, out)

    # The cue library from the top-level cues/ folder goes to coach/cues/ (every language).
    cues = {"coach/cues/" + p.relative_to(REPO / "cues").as_posix()
            for p in (REPO / "cues").rglob("*") if p.suffix in (".toml", ".md")}
    data = {p.relative_to(REPO).as_posix() for pattern in
            ("coach/exercises/*.toml", "coach/vocab/*.toml", "coach/view_rules.toml", "coach/data/*")
            for p in REPO.glob(pattern)}
    code = {p.relative_to(REPO).as_posix() for p in (REPO / "coach").rglob("*.py")}
    named = {"coach/cues/policy.toml", "coach/cues/en/faults.toml", "coach/cues/en/system.toml",
             "coach/exercises/deadlift.toml", "coach/vocab/en.toml", "coach/view_rules.toml",
             "coach/data/demo_trace.jsonl.gz", "coach/data/demo_commands.wav.gz",
             "coach/data/demo_commands.json", "coach/cli/main.py", "coach/core/datafile.py"}
    assert named - (cues | data | code) == set(), "moved in the source tree: update this test"
    missing = (named | cues | data | code) - files
    assert missing == set(), "left out of the build: see [tool.setuptools] in pyproject.toml"
    # and nothing else at the top of site-packages (no top-level cues/, no stray coach-demo-out/)
    tops = {f.split("/")[0] for f in files}
    assert {t for t in tops if t != "coach" and not (t.startswith("coach-") and t.endswith(".dist-info"))} == set()
