"""Opening the session's devices: what is missing is said, and the session goes on with the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coach.core.errors import DeviceMissing
from coach.core.policy_config import PolicyConfig
from coach.pose.cameras import LiveCamera, TraceCamera
from coach.speech.sinks import LiveSpeaker, WavSpeaker, default_voice
from coach.voice.command_source import make_recognizer
from coach.voice.mics import LiveMic, WavMic


@dataclass
class Devices:
    camera: Any = None
    mic: Any = None
    recognizer: Any = None
    speaker: Any = None
    messages: list[str] = field(default_factory=list)
    recognizer_kind: str = ""


def _is_trace(path: str) -> bool:
    return path.endswith((".jsonl", ".jsonl.gz"))


def open_devices(camera: str | None = None, mic: str | None = None, speaker: str | None = None, *,
                 language: str = "en", wake_word: str | None = "coach", vosk_model: str | None = None,
                 word_loop: bool = False, vosk_lang: str | None = None, recognizer: str | None = None,
                 whisper_threads: int = 1, speech_engine: str = "espeak",
                 speech_rate_wpm: int | None = None,
                 volume: float = 1.0, pose_model: str | None = None,
                 script: list[dict[str, Any]] | None = None, policy: PolicyConfig | None = None) -> Devices:
    """Camera: an index or device ("0", "/dev/video0") or a landmark trace. Microphone: a name or
    index (None: the default input) or a .wav file. Speaker: a name or index (None: the default
    output) or a .wav file to write. "none" turns a device off. A device that cannot be used
    becomes a message (spoken at the start, or printed) and None."""
    d = Devices()
    if camera is None or str(camera).lower() != "none":
        cam = "0" if camera is None else str(camera)
        try:
            d.camera = (TraceCamera(cam) if _is_trace(cam)
                        else LiveCamera(int(cam) if cam.isdigit() else cam, pose_model))
        except DeviceMissing as e:
            d.messages.append(f"I can't see a camera{_because(e, 'no camera found')}, so I can't count reps. "
                              "Voice commands still work.")
    if mic is None or str(mic).lower() != "none":
        try:
            if mic and str(mic).endswith(".wav"):
                d.mic = WavMic(str(mic))
            else:
                d.mic = LiveMic(int(mic) if mic and str(mic).isdigit() else mic,
                                getattr(d.camera, "t0_monotonic", None))
            d.recognizer, d.recognizer_kind = make_recognizer(language, wake_word, script, vosk_model, word_loop,
                                                               vosk_lang, recognizer, whisper_threads,
                                                               synchronous=isinstance(d.mic, WavMic))
            if d.recognizer is not None and d.recognizer.warning:
                d.messages.append(d.recognizer.warning)
            if d.recognizer is None:
                d.mic = None
                # the reason: none installed, or a broken model or grammar (a Vosk model not found)
                d.messages.append(f"Voice commands are off: {d.recognizer_kind}.")
        except DeviceMissing as e:
            d.mic = None
            d.messages.append(f"No microphone found{_because(e, 'no microphone found')}. "
                              "Voice commands are off; the coach keeps counting.")
    if speaker is None or str(speaker).lower() != "none":
        try:
            if speaker and str(speaker).endswith(".wav"):
                d.speaker = WavSpeaker(str(speaker), default_voice(speech_engine, speech_rate_wpm, volume), policy)
            else:
                d.speaker = LiveSpeaker(int(speaker) if speaker and str(speaker).isdigit() else speaker,
                                        speech_engine, speech_rate_wpm, volume, policy)
        except DeviceMissing as e:
            d.messages.append(f"No speaker found{_because(e, 'no speaker found')}. Cues will be printed instead.")
    return d


def _because(e: Exception, said: str) -> str:
    """The device error as the reason in a sentence that already says `said`: " (no audio input
    device)". An error that starts with the same words ("no microphone found (no audio input
    device)") gives only what it adds; "" when it adds nothing."""
    text = str(e).strip().rstrip(".").strip()
    if text.lower().startswith(said.lower()):
        text = text[len(said):].strip().lstrip(":;,-").strip()
        if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
            text = text[1:-1].strip()
    if not text:
        return ""
    return f": {text}" if "(" in text else f" ({text})"
