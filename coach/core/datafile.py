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
    except FileNotFoundError:
        raise error(f"{name}: no such {what}") from None
    except IsADirectoryError:
        raise error(f"{name}: is a directory, not a {what}") from None
    except OSError as e:
        raise error(f"{name}: cannot be read ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise error(f"{name}: not valid TOML (not UTF-8 text)") from None
    except tomllib.TOMLDecodeError as e:
        raise error(f"{name}: not valid TOML ({e})") from None


def shipped(*parts: str) -> Path:
    """A data file or folder that ships inside the `coach` package (exercises, vocabularies, demo)."""
    return Path(str(resources.files("coach"))).joinpath(*parts)
