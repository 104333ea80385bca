"""Speech recognizers restricted to the command vocabulary, behind one small interface.

A recognizer decodes one utterance at a time (the listener finds where utterances start and end):
`start()`, `feed(samples)` as audio arrives (so decoding keeps pace with speech and the result is
ready soon after it ends), `finish() -> Hypothesis | None`.

A closed grammar always returns *some* command, so each recognizer also gives the listener a way
to reject: PocketSphinx decodes with "garbage" paths (common English words) competing with the
commands; Vosk reports "[unk]" and per-word confidences.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..vocabulary import Vocabulary, VocabError
from .audio import RATE
from .grammar import jsgf, phrase_list

GARBAGE = "<garbage>"   # the text a recognizer returns when the speech was not a command


class RecognizerError(Exception):
    """A recognizer that cannot start (model missing, grammar invalid): str() is one sentence."""


@dataclass(frozen=True)
class Hypothesis:
    text: str            # words heard, or GARBAGE
    confidence: float    # 0..1: how sure the recognizer is of `text`


class Recognizer(Protocol):
    name: str

    def start(self) -> None: ...

    def feed(self, samples: np.ndarray) -> None: ...

    def finish(self) -> Hypothesis | None: ...


class PocketSphinxRecognizer:
    """PocketSphinx 5 with its bundled US-English model and a JSGF grammar from the vocabulary."""

    name = "pocketsphinx"

    def __init__(self, vocab: Vocabulary, wake_word: str | None = None,
                 garbage_weight: float = 1e-3, model_dir: str | Path | None = None,
                 **decoder_options):
        import pocketsphinx

        hmm = str(model_dir) if model_dir else pocketsphinx.get_model_path("en-us/en-us")
        kwargs = {"hmm": hmm, "lm": None, "loglevel": "FATAL", **decoder_options}
        if model_dir:
            dic = Path(model_dir).parent / "cmudict-en-us.dict"
            if dic.exists():
                kwargs["dict"] = str(dic)
        try:
            self._decoder = pocketsphinx.Decoder(**kwargs)
        except Exception as e:
            raise RecognizerError(f"cannot load the PocketSphinx model {hmm} ({e})") from None
        d = self._decoder
        new = [(w, p) for w, p in vocab.pronunciations.items() if d.lookup_word(w) is None]
        for i, (word, phones) in enumerate(new):
            try:
                d.add_word(word, phones, i == len(new) - 1)   # rebuild the dictionary once
            except RuntimeError:
                raise VocabError(f"{vocab.source}: pronunciations.{word}: invalid phones '{phones}'") from None
        missing = sorted(w for w in vocab.words() if d.lookup_word(w) is None)
        if missing:
            raise VocabError(f"{vocab.source}: pronunciations: no pronunciation for "
                             f"{', '.join(missing)} (add them there in CMU phones)")
        garbage = [w for w in vocab.garbage_words
                   if w not in vocab.words() and d.lookup_word(w) is not None]
        self.grammar = command_grammar_with_garbage(vocab, wake_word, garbage, garbage_weight)
        try:
            d.add_jsgf_string("commands", self.grammar)
        except ValueError as e:
            raise RecognizerError(f"the command grammar did not load ({e})") from None
        d.activate_search("commands")
        self._garbage = set(garbage)
        self._started = False

    def start(self) -> None:
        self._decoder.start_utt()
        self._started = True

    def feed(self, samples: np.ndarray) -> None:
        self._decoder.process_raw(np.ascontiguousarray(samples, dtype=np.int16).tobytes(), False, False)

    def finish(self) -> Hypothesis | None:
        if not self._started:
            return None
        self._decoder.end_utt()
        self._started = False
        hyp = self._decoder.hyp()
        if hyp is None or not hyp.hypstr.strip():
            return None
        words = hyp.hypstr.split()
        if any(w in self._garbage for w in words):
            return Hypothesis(GARBAGE, 0.0)
        return Hypothesis(hyp.hypstr, 1.0)


def command_grammar_with_garbage(vocab: Vocabulary, wake_word: str | None, garbage: list[str],
                                 garbage_weight: float) -> str:
    """The command grammar plus a competing loop of common words (out-of-vocabulary speech)."""
    g = jsgf(vocab, wake_word)
    if not garbage:
        return g
    head, public = g.rsplit("public <utterance> = ", 1)
    body = public.rstrip().rstrip(";")
    return (head + f"<gword> = {' | '.join(sorted(garbage))};\n"
            + f"public <utterance> = /1/ ({body}) | /{garbage_weight:g}/ <gword>+;\n")


class VoskRecognizer:
    """Vosk (Kaldi) with a model directory the user supplies, restricted to a phrase list."""

    name = "vosk"

    def __init__(self, vocab: Vocabulary, model_dir: str | Path, wake_word: str | None = None,
                 model=None):
        import vosk

        vosk.SetLogLevel(-1)
        if model is None:
            if not Path(model_dir, "am").exists() and not Path(model_dir, "final.mdl").exists() \
                    and not Path(model_dir, "conf").exists():
                raise RecognizerError(f"{model_dir}: not a Vosk model directory")
            try:
                model = vosk.Model(str(model_dir))
            except Exception as e:
                raise RecognizerError(f"cannot load the Vosk model in {model_dir} ({e})") from None
        self.model = model
        phrases = phrase_list(vocab, wake_word)
        known = [p for p in phrases if all(model.find_word(w) >= 0 for w in p.split())]
        if not known:
            raise RecognizerError(f"{model_dir}: the model knows none of the words of {vocab.source}")
        self.phrases = known
        self._grammar = json.dumps(known + ["[unk]"], ensure_ascii=False)
        self._rec = None

    def start(self) -> None:
        import vosk

        self._rec = vosk.KaldiRecognizer(self.model, RATE, self._grammar)
        self._rec.SetWords(True)

    def feed(self, samples: np.ndarray) -> None:
        if self._rec is not None:
            self._rec.AcceptWaveform(np.ascontiguousarray(samples, dtype=np.int16).tobytes())

    def finish(self) -> Hypothesis | None:
        if self._rec is None:
            return None
        result = json.loads(self._rec.FinalResult())
        self._rec = None
        text = result.get("text", "").strip()
        if not text:
            return None
        words = result.get("result", [])
        if "[unk]" in text.split():
            return Hypothesis(GARBAGE, 0.0)
        conf = min((w.get("conf", 1.0) for w in words), default=1.0)
        return Hypothesis(text, float(conf))


def create_recognizer(language: str = "en", wake_word: str | None = None,
                      vosk_model: str | Path | None = None, vocab: Vocabulary | None = None):
    """A ready Listener for the runtime: PocketSphinx (or Vosk with `vosk_model`) on the
    language's vocabulary. `wake_word` None: no wake word needed (a quiet room).

    The Listener's `accept(chunk)` / `finish()` return the accepted utterances (with `.t` and
    `.text`); set `listener.speaking` or call `listener.gate(until_t)` while the coach talks."""
    from ..vocabulary import default_vocabulary
    from .listener import Listener

    vocab = vocab or default_vocabulary(language)
    if vosk_model:
        rec: Recognizer = VoskRecognizer(vocab, vosk_model, wake_word)
    else:
        rec = PocketSphinxRecognizer(vocab, wake_word)
    return Listener(rec, vocab, wake_word=wake_word, require_wake_word=wake_word is not None)
