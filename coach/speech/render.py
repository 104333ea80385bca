"""One call from analysis events to a WAV of the coach's voice (for the CLI and the demo)."""

from __future__ import annotations

import os
from collections.abc import Iterable

from coach.core.cue_policy import cues_for
from coach.core.cues import CueLibrary, load_cues_or_builtin
from coach.core.errors import CoachError
from coach.core.events import Cue, CueSpoken
from coach.core.policy_config import PolicyConfig, load_policy_config
from coach.speech.cache import AudioCache
from coach.speech.engine import SpeechConfig
from coach.speech.engines import make_engine
from coach.speech.wav_sink import WavSink


def speak_events_to_wav(events: Iterable[object], path: str | os.PathLike[str], *,
                        exercise: str | None = None, speech: SpeechConfig | None = None,
                        library: CueLibrary | None = None, policy: PolicyConfig | None = None,
                        duration: float | None = None) -> list[CueSpoken]:
    """Run the cue policy over `events` and render what it says into `path`.

    Returns the cues actually spoken (with their start times); pre-empted cues are cut and
    stale ones dropped exactly as the live speaker would. Raises a CoachError (TtsError,
    CueError, PolicyConfigError)."""
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


def format_spoken(spoken: list[CueSpoken]) -> list[str]:
    """One line per spoken cue: time, kind, text."""
    return [f"{s.t:8.2f}s  {s.cue.kind:<10} {s.cue.text}" for s in spoken]


def speak_to_for_cli(events: list, path: str, exercise: str, *, engine: str = "espeak",
                     as_json: bool = False) -> None:
    """`coach analyze ... --speak-to PATH`: write the WAV and print the spoken lines (stderr when
    stdout carries JSON). Problems raise coach.cli.CliError (one sentence, exit 2)."""
    import sys

    from coach.core.errors import CliError

    try:
        spoken = speak_events_to_wav(events, path, exercise=exercise, speech=SpeechConfig(engine=engine))
    except CoachError as e:  # the speech engine, a cue file or the policy file
        raise CliError(str(e)) from None
    except OSError as e:
        raise CliError(f"{path}: cannot write the speech WAV ({e.strerror or e})") from None
    stream = sys.stderr if as_json else sys.stdout
    print(f"spoken cues ({len(spoken)}) -> {path}", file=stream)
    for line in format_spoken(spoken):
        print(line, file=stream)
