"""A real headless browser for the tests: Debian's chromium (/usr/bin/chromium, installed by
scripts/setup.sh --test) driven by Playwright, which is told where it is and never downloads one.

The flags are the ones this closed network needs: without the background-networking ones,
chromium keeps trying to reach Google's hosts, which would also count as network requests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator

CHROMIUM = os.environ.get("COACH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--mute-audio"]


@contextlib.contextmanager
def chromium() -> Iterator:
    """A Playwright Browser on the system chromium; closed on exit."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()
