"""One call from analysis events to a WAV of the coach's voice (for the CLI and the demo)."""

from __future__ import annotations

import os
from typing import Iterable

from ..cue_policy import PolicyConfig, cues_for
from ..cues import CueLibrary, load_cues_or_builtin, load_policy_config
from ..events import Cue, CueSpoken
from .cache import AudioCache
from .engine import SpeechConfig, make_engine
from .wav_sink import WavSink


def speak_events_to_wav(events: Iterable[object], path: str | os.PathLike[str], *,
                        exercise: str | None = None, speech: SpeechConfig | None = None,
                        library: CueLibrary | None = None, policy: PolicyConfig | None = None,
                        duration: float | None = None) -> list[CueSpoken]:
    """Run the cue policy over `events` and render what it says into `path`.

    Returns the cues actually spoken (with their start times); pre-empted cues are cut and
    stale ones dropped exactly as the live speaker would. Raises TtsError, CueError."""
    library = library or load_cues_or_builtin()
    policy = policy or load_policy_config()
    events = list(events)
    if duration is None:
        duration = max((getattr(e, "t", 0.0) for e in events), default=0.0)
    cues: list[Cue] = cues_for(events, library, policy, exercise)
    sink = WavSink(path, AudioCache(make_engine(speech or SpeechConfig())), policy,
                   volume=(speech or SpeechConfig()).volume)
    for cue in cues:
        sink.add(cue)
    return sink.close(duration)
