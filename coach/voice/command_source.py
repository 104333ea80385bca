"""What the runtime's voice thread asks of a recognizer: audio chunks in, commands (or "say that
again") out. The Listener (PocketSphinx or Vosk) in normal use; a WAV's script when no recognizer
can start (the demo on a machine without one)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from coach.core import events as ev
from coach.core.command_match import every_sentence, first_words, nearest_sentences
from coach.core.commands import Command, default_vocabulary, parse
from coach.core.errors import CoachError
from coach.core.vocabulary import Vocabulary, expand
from coach.voice.audio import AudioChunk
from coach.voice.listener import Listener, to_event
from coach.voice.pronounce import cmu_pronouncer
from coach.voice.recognizers import (
    NoRecognizer,
    Recognizer,
    RecognizerError,
    VoskRecognizer,
    find_vosk_model,
    pocketsphinx_for,
)
from coach.voice.whisper_model import WhisperModelMissing, model_dir
from coach.voice.whisper_stage import Judge
from coach.voice.whisper_worker import WhisperWorker

log = logging.getLogger(__name__)

RECOGNIZER_MODES = ("fast", "accurate", "both")
# Whisper's threads: one leaves the other core of a two-core machine to pose and analysis
WHISPER_THREADS = 1
# Command sentences Whisper scores per text (its own and the first recognizer's): the nearest by
# sound; each costs about 10 ms of CPU here.
CANDIDATES_PER_TEXT = 8
# ... and of the commands that begin with the word Whisper expects first, this many (the nearest):
# more split the probability among near-alike sentences (docs/voice.md).
FIRST_WORD_COMMANDS = 2


class CommandSource(Protocol):
    """Audio chunks in, what was said to the coach out: a command, or a "say that again"."""

    warning: str   # a sentence for the lifter when it works with less than was asked ("" if not)

    def accept(self, chunk: AudioChunk) -> list[ev.CommandHeard | ev.CommandRejected]: ...
    def finish(self) -> list[ev.CommandHeard | ev.CommandRejected]: ...


class ScriptRecognizer:
    """Stand-in when the speech recognizer cannot start: the WAV's script (a JSON list of
    {"t", "text"} next to the file, written by the script that made it) is "heard" when the
    audio reaches the end of each phrase."""

    warning = ""

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
        self.warning = (f"Voice commands use the fast recognizer alone: {listener.second_missing}."
                        if listener.second_missing else "")

    def _events(self, heard: list[Any]) -> list[ev.CommandHeard | ev.CommandRejected]:
        return [e for h in heard if (e := to_event(h)) is not None]

    def accept(self, chunk: Any) -> list[ev.CommandHeard | ev.CommandRejected]:
        return self._events(self.listener.process(chunk))

    def finish(self) -> list[ev.CommandHeard | ev.CommandRejected]:
        return self._events(self.listener.flush())

    def gate(self, until_t: float) -> None:
        self.listener.gate(until_t)


def machine_mode() -> str:
    """The recognizer mode that suits this machine: "fast" on a Raspberry Pi 4 or smaller (Whisper
    base takes ~1.5 s of a Pi 4 core per command even with the short context, while pose needs
    all four cores), else "both"."""
    try:
        with open("/proc/device-tree/model", encoding="utf-8", errors="replace") as f:
            return mode_for_board(f.read())
    except OSError:   # not a single-board computer
        return "both"


def mode_for_board(model: str) -> str:
    """The mode for a board named as in /proc/device-tree/model ("Raspberry Pi 4 Model B Rev 1.4")."""
    slow = ("Raspberry Pi 4", "Raspberry Pi 3", "Raspberry Pi 2", "Raspberry Pi Zero", "Raspberry Pi Model")
    return "fast" if any(m in model for m in slow) else "both"


def whisper_prompt(vocab: Vocabulary) -> str:
    """Whisper's initial prompt, from the vocabulary: the wake word, then each command's first
    phrasing that needs no slot (its shortest form), then the exercises' names. It steers Whisper's spelling towards the
    commands ("RDL", "kettlebell") without listing whole sentences, which it then "heard" in noise."""
    phrases: list[str] = []
    for spec in vocab.commands:
        for seq in spec.phrasings:   # the first phrasing that has a form without a slot
            plain = [" ".join(e) for e in expand(seq) if not any(t.startswith("{") for t in e)]
            if plain:
                p = min(plain, key=len)
                if p not in phrases:
                    phrases.append(p)
                break
    phrases += [forms[0] for forms in vocab.exercises.values() if forms]
    wake = vocab.wake_words[0].capitalize() + ", " if vocab.wake_words else ""
    return wake + ", ".join(phrases) + "."


def whisper_worker(vocab: Vocabulary, threads: int = WHISPER_THREADS, synchronous: bool = False,
                   judge: bool = True) -> WhisperWorker:
    """Whisper base in its worker, on the installed model (WhisperModelMissing: not installed),
    with Moonshine as a second judge when it is installed (`judge`) and Whisper alone when not."""
    from coach.voice.whisper_stage import WhisperTranscriber

    directory, prompt = model_dir(), whisper_prompt(vocab)
    wake = vocab.wake_words[0] if vocab.wake_words else ""

    def load() -> WhisperTranscriber:   # in the worker's thread, at its priority
        return WhisperTranscriber(directory, prompt, threads, wake_word=wake, judge=second_judge() if judge else None)

    return WhisperWorker(load, synchronous=synchronous, propose=Proposer(vocab))


def second_judge() -> Judge | None:
    """Moonshine, Whisper's second judge, or None (logged) when it is not installed: Whisper
    then judges alone, a little less often right in noise (docs/voice.md)."""
    from coach.voice.moonshine_judge import MoonshineJudge, MoonshineMissing

    try:
        return MoonshineJudge()
    except MoonshineMissing as e:
        log.info("%s; Whisper judges alone", e)
        return None


class Proposer:
    """What Whisper scores for an utterance (coach.voice.whisper_stage.Propose): the command
    sentences nearest by sound to what it and the first recognizer wrote; nothing when both wrote
    the same command word for word (nothing to choose between: the two answers agree, and
    scoring would only cost time). And those that begin with the word Whisper expects first;
    every sentence, for Whisper to walk."""

    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab
        self.pronounce = cmu_pronouncer()
        self.first_words = first_words(vocab)

    @property
    def sentences(self) -> Mapping[str, Command]:
        # worked out on first use (about a second here): by Whisper's worker as it loads
        return every_sentence(self.vocab)

    def __call__(self, texts: list[str]) -> list[tuple[str, Command]]:
        said = {parse(t, self.vocab) for t in texts}
        if len(texts) > 1 and len(said) == 1 and None not in said:
            return []
        return nearest_sentences(texts, self.vocab, self.pronounce, CANDIDATES_PER_TEXT)

    def beginning(self, words: frozenset[str], texts: list[str]) -> list[tuple[str, Command]]:
        """The nearest sentence of each of the FIRST_WORD_COMMANDS nearest commands that begin
        with one of `words`."""
        out: dict[Command, str] = {}
        for sentence, command in nearest_sentences(texts, self.vocab, self.pronounce,
                                                   2 * FIRST_WORD_COMMANDS, beginning=words):
            if len(out) < FIRST_WORD_COMMANDS:
                out.setdefault(command, sentence)
        return [(s, c) for c, s in out.items()]


def second_stage(vocab: Vocabulary, mode: str, threads: int = WHISPER_THREADS, synchronous: bool = False,
                 other_model: bool = False) -> tuple[WhisperWorker | None, str]:
    """Whisper for `mode` ("accurate" or "both"; None for "fast"), or None and why it cannot be
    had (not installed; a vocabulary in another language; `other_model`: a Vosk model chosen)."""
    if mode == "fast":
        return None, ""
    if vocab.language != "en" or other_model:
        return None, "Whisper hears English commands only"
    try:
        return whisper_worker(vocab, threads, synchronous), ""
    except WhisperModelMissing as e:
        return None, str(e)


def make_recognizer(language: str = "en", wake_word: str | None = None,
                    script: list[dict[str, Any]] | None = None,
                    vosk_model: str | None = None, word_loop: bool = False,
                    vosk_lang: str | None = None, mode: str | None = None,
                    whisper_threads: int = WHISPER_THREADS, synchronous: bool = False
                    ) -> tuple[CommandSource | None, str]:
    """The speech recognizer of coach.voice (PocketSphinx, or Vosk with a model directory or the
    installed model of a language; Whisper behind or instead of it by `mode`), else the WAV's
    script when one is given and the recognizer cannot start; the second string names it.
    `synchronous`: Whisper decodes in the caller's thread (a recording replayed faster than real
    time: its answers then come in order, at the audio time they would come live)."""
    try:
        listener = create_recognizer(language, wake_word, vosk_model, word_loop=word_loop, vosk_lang=vosk_lang,
                                     mode=mode, whisper_threads=whisper_threads, synchronous=synchronous)
        kind = "Vosk" if vosk_model or vosk_lang else "PocketSphinx"
        kind = {"both": f"{kind} and Whisper", "accurate": "Whisper"}.get(listener.mode, kind)
        return ListenerRecognizer(listener), kind
    except CoachError as e:  # a broken or missing model, grammar or vocabulary: say it, fall back below
        if script is None:
            return None, f"the speech recognizer failed to start ({e})"
    return ScriptRecognizer(script, language), "the WAV's script (the speech recognizer could not start)"


def create_recognizer(language: str = "en", wake_word: str | None = None,
                      vosk_model: str | Path | None = None, vocab: Vocabulary | None = None,
                      word_loop: bool = False, vosk_lang: str | None = None, mode: str | None = None,
                      whisper_threads: int = WHISPER_THREADS, synchronous: bool = False,
                      require_wake_word: bool | None = None) -> Listener:
    """A ready Listener for the runtime: PocketSphinx (or Vosk with `vosk_model`, or the
    installed model of `vosk_lang`) on the language's vocabulary. `wake_word` None: no wake word
    needed (a quiet room); `require_wake_word` False: the wake word is heard but not needed.
    `word_loop`: PocketSphinx also refuses asides said after the wake word (see WORD_LOOP_CENTER;
    CPU).

    The Listener's `accept(chunk)` / `finish()` return the accepted utterances (with `.t` and
    `.text`); set `listener.speaking` or call `listener.gate(until_t)` while the coach talks."""
    vocab = vocab or default_vocabulary(language)
    required = wake_word is not None if require_wake_word is None else require_wake_word and wake_word is not None
    mode = mode or machine_mode()
    if mode not in RECOGNIZER_MODES:
        raise RecognizerError(f"the recognizer mode must be one of {', '.join(RECOGNIZER_MODES)}, not '{mode}'")
    second, missing = second_stage(vocab, mode, whisper_threads, synchronous, bool(vosk_model or vosk_lang))
    if second is None:
        mode = "fast"
    if vosk_lang and not vosk_model:
        vosk_model = find_vosk_model(vosk_lang)
    if mode == "accurate":
        rec: Recognizer = NoRecognizer()
    elif vosk_model:
        rec = VoskRecognizer(vocab, vosk_model, wake_word)
    else:
        rec = pocketsphinx_for(vocab, wake_word, require_wake_word=required, word_loop=word_loop)
    listener = Listener(rec, vocab, wake_word=wake_word, require_wake_word=required, second=second, mode=mode)
    listener.second_missing = missing
    return listener
