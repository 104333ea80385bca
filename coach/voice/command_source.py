"""What the runtime's voice thread asks of a recognizer: audio chunks in, commands (or "say that
again") out. The Listener (PocketSphinx or Vosk) in normal use; a WAV's script when no recognizer
can start (the demo on a machine without one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from coach.core import events as ev
from coach.core.commands import default_vocabulary, parse
from coach.core.errors import CoachError
from coach.core.vocabulary import Vocabulary
from coach.voice.audio import AudioChunk
from coach.voice.listener import Listener, to_event
from coach.voice.recognizers import Recognizer, VoskRecognizer, find_vosk_model, pocketsphinx_for


class CommandSource(Protocol):
    """Audio chunks in, what was said to the coach out: a command, or a "say that again"."""

    def accept(self, chunk: AudioChunk) -> list[ev.CommandHeard | ev.CommandRejected]: ...
    def finish(self) -> list[ev.CommandHeard | ev.CommandRejected]: ...


class ScriptRecognizer:
    """Stand-in when the speech recognizer cannot start: the WAV's script (a JSON list of
    {"t", "text"} next to the file, written by the script that made it) is "heard" when the
    audio reaches the end of each phrase."""

    def __init__(self, script: list[dict[str, Any]], language: str = "en"):
        vocab = default_vocabulary(language)
        self._parse = lambda text: parse(text, vocab)
        self._todo = sorted(((float(x["t"]), str(x["text"])) for x in script), reverse=True)

    def _event(self, t: float, text: str) -> ev.CommandHeard | ev.CommandRejected:
        command = self._parse(text)
        if command is None:
            return ev.CommandRejected(t, text, "not a command")
        return ev.CommandHeard(t, command, text)

    def accept(self, chunk: Any) -> list[ev.CommandHeard | ev.CommandRejected]:
        end = chunk.t + len(chunk.samples) / 16000
        out = []
        while self._todo and self._todo[-1][0] <= end:
            out.append(self._event(*self._todo.pop()))
        return out

    def finish(self) -> list[ev.CommandHeard | ev.CommandRejected]:
        out, self._todo = [self._event(*x) for x in reversed(self._todo)], []
        return out


class ListenerRecognizer:
    """coach.voice's Listener as the runtime's recognizer: its accepted commands, and its
    rejections of speech clearly meant for the coach; `gate` mutes it while the coach talks."""

    def __init__(self, listener: Listener):
        self.listener = listener

    def _events(self, heard: list[Any]) -> list[ev.CommandHeard | ev.CommandRejected]:
        return [e for h in heard if (e := to_event(h)) is not None]

    def accept(self, chunk: Any) -> list[ev.CommandHeard | ev.CommandRejected]:
        return self._events(self.listener.process(chunk))

    def finish(self) -> list[ev.CommandHeard | ev.CommandRejected]:
        return self._events(self.listener.flush())

    def gate(self, until_t: float) -> None:
        self.listener.gate(until_t)


def make_recognizer(language: str = "en", wake_word: str | None = None,
                    script: list[dict[str, Any]] | None = None,
                    vosk_model: str | None = None, word_loop: bool = False,
                    vosk_lang: str | None = None) -> tuple[CommandSource | None, str]:
    """The speech recognizer of coach.voice (PocketSphinx, or Vosk with a model directory or the
    installed model of a language), else the WAV's script when one is given and the recognizer
    cannot start."""
    try:
        listener = create_recognizer(language, wake_word, vosk_model, word_loop=word_loop, vosk_lang=vosk_lang)
        return ListenerRecognizer(listener), "Vosk" if vosk_model or vosk_lang else "PocketSphinx"
    except CoachError as e:  # a broken or missing model, grammar or vocabulary: say it, fall back below
        if script is None:
            return None, f"the speech recognizer failed to start ({e})"
    return ScriptRecognizer(script, language), "the WAV's script (the speech recognizer could not start)"


def create_recognizer(language: str = "en", wake_word: str | None = None,
                      vosk_model: str | Path | None = None, vocab: Vocabulary | None = None,
                      word_loop: bool = False, vosk_lang: str | None = None):
    """A ready Listener for the runtime: PocketSphinx (or Vosk with `vosk_model`, or the
    installed model of `vosk_lang`) on the language's vocabulary. `wake_word` None: no wake word
    needed (a quiet room). `word_loop`: PocketSphinx also refuses asides said after the wake word
    (see WORD_LOOP_CENTER; CPU).

    The Listener's `accept(chunk)` / `finish()` return the accepted utterances (with `.t` and
    `.text`); set `listener.speaking` or call `listener.gate(until_t)` while the coach talks."""
    vocab = vocab or default_vocabulary(language)
    if vosk_lang and not vosk_model:
        vosk_model = find_vosk_model(vosk_lang)
    if vosk_model:
        rec: Recognizer = VoskRecognizer(vocab, vosk_model, wake_word)
    else:
        rec = pocketsphinx_for(vocab, wake_word, require_wake_word=wake_word is not None, word_loop=word_loop)
    return Listener(rec, vocab, wake_word=wake_word, require_wake_word=wake_word is not None)
