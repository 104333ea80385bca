"""Hides the start-up chatter MediaPipe's C++ core writes straight to file descriptor 2
("INFO: Created TensorFlow Lite XNNPACK delegate", absl "W0000 ..." lines), which no environment
variable silences in 0.10.x and which would break "quiet when piped". Anything else written to
stderr meanwhile is passed on."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

_NATIVE_NOISE = re.compile(rb"^(INFO: |WARNING: All log messages before absl|[IWE]\d{4} \d\d:\d\d:\d\d)")


@contextlib.contextmanager
def native_stderr_filtered() -> Iterator[None]:
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real fd 2 (embedded, pytest capture)
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            kept = [line for line in sink.read().splitlines(keepends=True) if not _NATIVE_NOISE.match(line)]
            if kept:
                os.write(2, b"".join(kept))
