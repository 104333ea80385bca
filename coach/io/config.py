"""The station config (TOML): devices, voice, language, wake word, speech, cue and display settings.

Validated on load: an unknown section or key, or a value of the wrong kind, is one sentence that
names the file and the key (a typo in /etc/coach/config.toml must not silently do nothing).
See deploy/config.example.toml for every key with its default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from coach.core.datafile import read_toml
from coach.core.errors import CoachError
from coach.core.exercises import exercise_ids


class ConfigError(CoachError):
    """A config that cannot be used; str() names the file and the key."""


@dataclass(frozen=True)
class Config:
    camera: str | None = None          # index ("0"), device path, or a trace file
    microphone: str | None = None      # name or index; None = the default input; "none" = off
    speaker: str | None = None         # name or index; None = the default output; "none" = off
    language: str = "en"
    wake_word: str = "coach"
    wake_word_enabled: bool = True
    vosk_model: str | None = None
    vosk_lang: str | None = None       # or the installed Vosk model of this language ("en-us")
    word_loop: bool = False            # PocketSphinx: also refuse asides like "coach, call my mother" (CPU)
    recognizer: str | None = None      # fast | accurate | both (None: what suits the machine)
    whisper_threads: int = 1           # CPU threads Whisper may use
    speech_engine: str = "espeak"      # espeak | piper
    speech_rate_wpm: int = 170
    volume: float = 1.0
    count_every: int | None = None     # 1 = every rep, 5 = every fifth, 0 = no counts; None: cues/policy.toml's
    corrections: bool = True
    exercise: str | None = None
    plan: str | None = None
    log_dir: str | None = None
    pose_model: str | None = None
    display: bool = False              # serve the station display (coach.display)
    display_host: str = "127.0.0.1"    # who may open it: localhost only, unless an address is named
    display_port: int = 8080
    display_theme: str = "dark"        # dark | light


# section -> key -> (Config field, expected type(s), allowed values or None)
# text settings where "" means: the default
_EMPTY_IS_DEFAULT = ("camera", "microphone", "speaker", "vosk_model", "vosk_lang", "exercise", "plan", "log_dir",
                     "pose_model", "recognizer")

_SCHEMA: dict[str, dict[str, tuple[str, tuple[type, ...], tuple[Any, ...] | None]]] = {
    "devices": {"camera": ("camera", (str, int), None), "microphone": ("microphone", (str, int), None),
                "speaker": ("speaker", (str, int), None)},
    "voice": {"language": ("language", (str,), None), "wake_word": ("wake_word", (str,), None),
              "wake_word_enabled": ("wake_word_enabled", (bool,), None),
              "vosk_model": ("vosk_model", (str,), None), "vosk_lang": ("vosk_lang", (str,), None),
              "word_loop": ("word_loop", (bool,), None),
              "recognizer": ("recognizer", (str,), ("fast", "accurate", "both")),
              "whisper_threads": ("whisper_threads", (int,), None)},
    "speech": {"engine": ("speech_engine", (str,), ("espeak", "piper")),
               "rate_wpm": ("speech_rate_wpm", (int,), None), "volume": ("volume", (int, float), None)},
    "cues": {"count_every": ("count_every", (int,), None), "corrections": ("corrections", (bool,), None)},
    "session": {"exercise": ("exercise", (str,), None), "plan": ("plan", (str,), None),
                "log_dir": ("log_dir", (str,), None)},
    "pose": {"model": ("pose_model", (str,), None)},
    "display": {"enabled": ("display", (bool,), None), "host": ("display_host", (str,), None),
                "port": ("display_port", (int,), None), "theme": ("display_theme", (str,), ("dark", "light"))},
}


def default_config() -> Config:
    return Config()


def parse_config(data: dict[str, Any], source: str = "<config>") -> Config:
    values: dict[str, Any] = {}
    for section, table in data.items():
        if section not in _SCHEMA:
            raise ConfigError(f"{source}: unknown section [{section}] (expected one of "
                              f"{', '.join('[' + s + ']' for s in _SCHEMA)})")
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: [{section}] must be a table")
        for key, value in table.items():
            spec = _SCHEMA[section].get(key)
            if spec is None:
                raise ConfigError(f"{source}: unknown key {section}.{key} (expected one of "
                                  f"{', '.join(_SCHEMA[section])})")
            field, kinds, allowed = spec
            if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
                want = " or ".join(k.__name__.replace("str", "text").replace("int", "whole number")
                                   .replace("float", "number").replace("bool", "true/false") for k in kinds)
                raise ConfigError(f"{source}: {section}.{key} must be {want}, not {value!r}")
            if allowed is not None and value not in allowed and not (value == "" and field in _EMPTY_IS_DEFAULT):
                raise ConfigError(f"{source}: {section}.{key} must be one of {', '.join(allowed)}, not {value!r}")
            if isinstance(value, str) and value == "" and field in _EMPTY_IS_DEFAULT:
                value = None  # "" means: the default
            values[field] = str(value) if field in ("camera", "microphone", "speaker") and value is not None else value
    cfg = Config(**values)
    if cfg.count_every is not None and cfg.count_every < 0:
        raise ConfigError(f"{source}: cues.count_every must be 0 (off) or a positive number of reps")
    if cfg.speech_rate_wpm < 60 or cfg.speech_rate_wpm > 400:
        raise ConfigError(f"{source}: speech.rate_wpm must be between 60 and 400 words a minute")
    if not 0 <= cfg.volume <= 1:
        raise ConfigError(f"{source}: speech.volume must be between 0 and 1")
    if not 1 <= cfg.whisper_threads <= 8:
        raise ConfigError(f"{source}: voice.whisper_threads must be between 1 and 8")
    if not 0 <= cfg.display_port <= 65535:
        raise ConfigError(f"{source}: display.port must be between 0 and 65535")
    if not cfg.display_host:
        raise ConfigError(f"{source}: display.host must name an address, e.g. 127.0.0.1 or 0.0.0.0")
    if cfg.vosk_model and cfg.vosk_lang:
        raise ConfigError(f"{source}: voice.vosk_model and voice.vosk_lang both name a Vosk model; keep one")
    if cfg.exercise is not None:
        known = exercise_ids()
        if cfg.exercise not in known:
            raise ConfigError(f"{source}: session.exercise '{cfg.exercise}' is not one of {', '.join(known)}")
    base = os.path.dirname(os.path.abspath(source)) if os.path.exists(source) else ""
    if cfg.plan and base and not os.path.isabs(cfg.plan):  # a plan next to the config
        cfg = Config(**{**cfg.__dict__, "plan": os.path.join(base, cfg.plan)})
    return cfg


def load_config(path: str | os.PathLike[str]) -> Config:
    path = os.fspath(path)
    return parse_config(read_toml(path, ConfigError, "config file"), path)
