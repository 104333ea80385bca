"""Reading the TOML data files coaches edit (exercises, plans, config, view rules, vocabularies).

One place says what can go wrong with a file, in one sentence that names it; each caller passes
the error type its own module raises, so a broken file is reported as that module's error.
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any


def read_toml(path: str | os.PathLike[str], error: type[Exception], what: str = "file") -> dict[str, Any]:
    """The parsed file, or `error("<path>: <what went wrong>")`."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            return tomllib.load(fh)
    except OSError as e:
        raise error(unreadable(name, e, what, missing=what)) from None
    except UnicodeDecodeError:
        raise error(f"{name}: not valid TOML (not UTF-8 text)") from None
    except tomllib.TOMLDecodeError as e:
        raise error(f"{name}: not valid TOML ({e})") from None


def unreadable(name: str, e: OSError, what: str, missing: str = "file") -> str:
    """The one sentence for a file that cannot be opened (every reader of a user's file says it
    the same way)."""
    if isinstance(e, FileNotFoundError):
        return f"{name}: no such {missing}"
    if isinstance(e, IsADirectoryError):
        return f"{name}: is a directory, not a {what}"
    return f"{name}: cannot be read ({e.strerror or e})"


def shipped(*parts: str) -> Path:
    """A data file or folder that ships inside the `coach` package (exercises, vocabularies, demo)."""
    return Path(str(resources.files("coach"))).joinpath(*parts)


CUES_DIR_ENV = "COACH_CUES_DIR"


def cues_root() -> Path:
    """The cue library folder (policy.toml, one folder per language).

    It lives at the top of the repository, outside the `coach` package; pyproject.toml installs it
    as `coach/cues/`. So: that folder in an installed copy (`pip install .`), else the repository's
    `cues/` next to `coach/` when coach runs from its source tree (`pip install -e .`, tests).
    Neither there: the installed place, so the error names where the library should be.
    $COACH_CUES_DIR, when set, names a station's own copy (texts and policy.toml) instead.
    """
    own = os.environ.get(CUES_DIR_ENV)
    if own:  # a station's own copy of the cue library, edited by its coach
        return Path(own)
    installed = shipped("cues")
    if installed.is_dir():
        return installed
    checkout = shipped().parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "cues").is_dir():
        return checkout / "cues"
    return installed
