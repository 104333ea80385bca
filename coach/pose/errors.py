"""The one error the pose adapters raise: str() is one sentence the user can act on."""

from __future__ import annotations

from coach.io.trace import TraceError


class PoseSourceError(TraceError):
    """A video, camera, image folder, trace or model that cannot be used (missing, corrupt, no
    person). A TraceError, so code that reads "a trace or a video" catches both with one clause."""
