"""The speech engines there are (espeak-ng, Piper), and the one a config names."""

from __future__ import annotations

from coach.speech.engine import SpeechConfig, SpeechEngine
from coach.speech.espeak_engine import EspeakEngine
from coach.speech.piper_engine import PiperEngine


def make_engine(config: SpeechConfig) -> SpeechEngine:
    """The engine the config names. Raises TtsError with one clear sentence if it can't run."""
    if config.engine == "piper":
        return PiperEngine(config.voice or None, config.rate_wpm)
    return EspeakEngine(config.voice or "en-us", config.rate_wpm)
