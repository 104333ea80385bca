"""Speech recognizers restricted to the command vocabulary, behind one small interface.

A recognizer decodes one utterance at a time (the listener finds where utterances start and end):
`start()`, `feed(samples)` as audio arrives (so decoding keeps pace with speech and the result is
ready soon after it ends), `partial() -> (words so far, seconds since the last of them ended)`
(for ending an utterance as soon as it is a whole command), `finish() -> Hypothesis | None`.

A closed grammar always returns *some* command, so each recognizer also gives the listener a way
to reject: PocketSphinx scores the grammar's best path against a free phone loop over the same
audio (a confidence); Vosk reports "[unk]" and per-word confidences.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from coach.core.commands import parse, split_wake_word, strip_fillers
from coach.core.errors import CoachError
from coach.core.vocabulary import VocabError, Vocabulary
from coach.voice.audio import RATE
from coach.voice.grammar import jsgf, phrase_list
from coach.voice.own_speech import coach_texts, own_sentences

GARBAGE = "<garbage>"   # the text a recognizer returns when the speech was not a command


class RecognizerError(CoachError):
    """A recognizer that cannot start (model missing, grammar invalid): str() is one sentence."""


@dataclass(frozen=True)
class Hypothesis:
    text: str            # words heard, or GARBAGE
    confidence: float    # 0..1: how sure the recognizer is of `text`


class Recognizer(Protocol):
    name: str

    def start(self) -> None: ...

    def feed(self, samples: np.ndarray) -> None: ...

    def partial(self) -> tuple[str, float]: ...

    def finish(self) -> Hypothesis | None: ...


class NoRecognizer:
    """No first stage (mode "accurate": Whisper hears every utterance the endpointer finds)."""

    name = "none"

    def start(self) -> None:
        pass

    def feed(self, samples: np.ndarray) -> None:
        pass

    def partial(self) -> tuple[str, float]:
        return "", 0.0

    def finish(self) -> Hypothesis | None:
        return None


# Rejection by the phone loop, two signs that speech was not a command:
# - margin: the grammar path's score minus the phone loop's, per 10 ms frame of the words
#   (PocketSphinx's log units; per frame of speech, so silence around a command does not dilute
#   it): commands said clearly sit near 0, other speech and noise well below;
# - phone ratio: phones the loop found / phones of the hypothesis: a sentence squeezed into a
#   short command has far more phones than the command (commands measured <= ~1.5), and a
#   burst of noise stretched into "coach go on" far fewer (commands measured >= ~0.4).
# Chosen on three of the five synthetic voices (clean and 10 dB SNR) against real
# out-of-vocabulary speech; checked on five other voices.
CONFIDENCE_CENTER = -28.0
CONFIDENCE_SCALE = 5.0
MAX_PHONE_RATIO = 1.8
MIN_PHONE_RATIO = 0.35


def _spoken_phones(decoder) -> int:
    return sum(1 for seg in decoder.seg() if seg.word not in ("SIL", "<s>", "</s>") and not seg.word.startswith("+"))


def _log_score(log, score: float) -> float:
    # the Python binding hands scores back as probabilities; logmath.log undoes it
    return float(log(score)) if score > 0 else -1e9


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def grammar_confidence(margin: float, phone_ratio: float = 1.0, center: float = CONFIDENCE_CENTER,
                       scale: float = CONFIDENCE_SCALE, max_ratio: float = MAX_PHONE_RATIO,
                       min_ratio: float = MIN_PHONE_RATIO) -> float:
    """0..1, below 0.5 when any sign says "not a command" (margin under `center`, or the
    phones heard outside `min_ratio`..`max_ratio` times the hypothesis' phones)."""
    return min(_sigmoid((margin - center) / scale), _sigmoid((max_ratio - phone_ratio) / 0.1),
               _sigmoid((phone_ratio - min_ratio) / 0.05))


# Rejection by a word loop (optional: `word_loop=True`): a third decoder hears any sequence of
# the vocabulary's words and the common words (`garbage_words`) over the same audio. A command
# said as such scores about as well with the command grammar (fixed word order) as with the free
# loop, while "coach, call my mother" fits the loop far better than its forced reading "coach
# volume up"; the phone loop cannot tell them apart (both read as speech). Per 10 ms frame of the
# utterance, on 3 of the 5 synthetic voices: commands said right scored >= -1.3 clean (p10 -2 at
# 10 dB SNR); asides after the wake word a median of -5.6; wrong readings of commands mostly
# below -2 too (a miss instead of a wrong command). Measured (bench_voice.py --addressed): asides
# taken for commands 27 -> 11 of 40 clean and 28 -> 7 at 10 dB; commands at 10 dB 81 -> 71 %
# (wrong ones 13 -> 7); CPU 15 -> 53 % of a core while commands are spoken, too much for a
# Raspberry Pi 4, hence off by default.
WORD_LOOP_CENTER = -3.0
WORD_LOOP_SCALE = 0.5


def word_loop_confidence(margin: float) -> float:
    """0..1 from the grammar's score minus the word loop's, per frame (below 0.5 under the center)."""
    return _sigmoid((margin - WORD_LOOP_CENTER) / WORD_LOOP_SCALE)


# Without the wake word nothing tells the coach that speech was meant for it: talk nearby read as
# 37 commands in 5.2 min of real speech with the phone-loop check alone, 0 with the garbage loop
# as well (at a cost: clean commands 85 -> 69 % on espeak voices; Piper's 35/35 either way).
QUIET_ROOM_GARBAGE_WEIGHT = 1e-3

# Scoring settings both decoders share, so that their scores compare: topn 8 (the model's default
# is 4) scores more Gaussians per frame: command accuracy at 5 dB SNR 54 -> 68 % in an A/B run of
# 176 commands (at 10 dB within run-to-run noise), for ~15 % more CPU.
ACOUSTIC_OPTIONS = {"topn": 8}


class PocketSphinxRecognizer:
    """PocketSphinx 5 with its bundled US-English model and a JSGF grammar from the vocabulary.

    Rejection: a second decoder runs a free phone loop (PocketSphinx's `allphone` search) over
    the same audio; `grammar_confidence` compares the two (see above).

    Self-speech: `own_speech`, the texts the coach says, become sentences of their own in the
    grammar (coach.voice.own_speech); when the decoder takes one, the utterance is GARBAGE, so
    the coach's voice that the gate missed is dropped without a "say that again".

    A garbage loop of common words inside the grammar (`garbage_weight` > 0) is the older way:
    measured, it swallowed most commands at 10 dB SNR (gym noise fits short words better than
    the commands), so it is off by default.
    """

    name = "pocketsphinx"

    def __init__(self, vocab: Vocabulary, wake_word: str | None = None,
                 garbage_weight: float = 0.0, model_dir: str | Path | None = None,
                 confidence_center: float = CONFIDENCE_CENTER, confidence_scale: float = CONFIDENCE_SCALE,
                 phone_loop: bool = True, word_loop: bool = False, own_speech: Iterable[str] = (),
                 **decoder_options):
        import pocketsphinx

        hmm = str(model_dir) if model_dir else pocketsphinx.get_model_path("en-us/en-us")
        # Wider beams than the old 1e-40: with no garbage loop the search is cheap, and narrow
        # beams lost the whole path ("no hypothesis") on voices unlike the model's training data.
        # fillprob: noise before and after a command goes to the model's noise filler rather
        # than into words (gym noise had become "coach go on hey"; the default is 1e-8).
        # bestpath off: the final lattice pass cost ~5 s an utterance on a loaded 2-core machine
        # and changed no result on the demo's commands.
        # Not silprob 0.1: +5-14 points at 10 dB SNR, but pauses anywhere let real speech pass
        # for "coach <command>" (false accepts with the wake word 0 -> 1-2 per run).
        kwargs = {"hmm": hmm, "lm": None, "loglevel": "FATAL", "beam": 1e-60, "wbeam": 1e-40,
                  "pbeam": 1e-60, "bestpath": False, "fillprob": 1e-2, **ACOUSTIC_OPTIONS, **decoder_options}
        if model_dir:
            dic = Path(model_dir).parent / "cmudict-en-us.dict"
            if dic.exists():
                kwargs["dict"] = str(dic)
        try:
            self._decoder = pocketsphinx.Decoder(**kwargs)
        except (RuntimeError, KeyError, ValueError) as e:  # a bad model; an unknown or bad option
            raise RecognizerError(f"cannot load the PocketSphinx model {hmm} ({e})") from None
        d = self._decoder
        _add_pronunciations(d, vocab)
        words = vocab.words() | set((wake_word or "").split())
        missing = sorted(w for w in words if d.lookup_word(w) is None)
        if missing:
            raise VocabError(f"{vocab.source}: pronunciations: no pronunciation for "
                             f"{', '.join(missing)} (add them there in CMU phones)")
        garbage = [w for w in vocab.garbage_words
                   if w not in vocab.words() and d.lookup_word(w) is not None] if garbage_weight > 0 else []
        self.own = own_sentences(own_speech, vocab, lambda w: d.lookup_word(w) is not None)
        self.grammar = command_grammar_with_garbage(vocab, wake_word, garbage, garbage_weight, self.own)
        try:
            d.add_jsgf_string("commands", self.grammar)
        except ValueError as e:
            raise RecognizerError(f"the command grammar did not load ({e})") from None
        d.activate_search("commands")
        self._garbage = set(garbage)
        self._vocab = vocab
        self._center, self._scale = confidence_center, confidence_scale
        self._phones = _phone_loop(pocketsphinx, hmm, model_dir, decoder_options) if phone_loop else None
        self._words = self._word_loop(pocketsphinx, kwargs, vocab) if word_loop else None
        self._started = False
        self._frames = 0     # 10 ms frames fed in this utterance
        self.last_scores: tuple[float, ...] | None = None   # phone margin, phone ratio[, word margin]

    @staticmethod
    def _word_loop(pocketsphinx, kwargs: dict, vocab: Vocabulary):
        """The word-loop decoder: the grammar decoder's settings, any sequence of known words."""
        d = pocketsphinx.Decoder(**kwargs)
        _add_pronunciations(d, vocab)
        words = sorted(w for w in (vocab.words() | set(vocab.garbage_words)) if d.lookup_word(w) is not None
                       and w.replace("'", "").isalpha())
        d.add_jsgf_string("loop", "#JSGF V1.0;\ngrammar loop;\npublic <loop> = (" + " | ".join(words) + ")+;\n")
        d.activate_search("loop")
        return d

    def start(self) -> None:
        self._decoder.start_utt()
        if self._words is not None:
            self._words.start_utt()
        if self._phones is not None:
            self._phones.start_utt()
        self._started = True
        self._frames = 0

    def feed(self, samples: np.ndarray) -> None:
        data = np.ascontiguousarray(samples, dtype=np.int16).tobytes()
        self._frames += len(samples) // 160
        self._decoder.process_raw(data, False, False)
        if self._words is not None:
            self._words.process_raw(data, False, False)
        if self._phones is not None:
            self._phones.process_raw(data, False, False)

    def partial(self) -> tuple[str, float]:
        hyp = self._decoder.hyp() if self._started else None
        if hyp is None or not hyp.hypstr:
            return "", 0.0
        last = max((seg.end_frame for seg in self._decoder.seg() if not seg.word.startswith(("<", "[", "+", "("))),
                   default=self._frames)
        return hyp.hypstr, (self._frames - 1 - last) / 100.0   # 100 frames a second

    def finish(self) -> Hypothesis | None:
        if not self._started:
            return None
        self._decoder.end_utt()
        if self._words is not None:
            self._words.end_utt()
        self._started = False
        hyp = self._decoder.hyp()
        phones = None
        if self._phones is not None:
            self._phones.end_utt()
            phones = self._phones.hyp()
        if hyp is None or not hyp.hypstr.strip():
            return None
        words = hyp.hypstr.split()
        if any(w in self._garbage for w in words) or self._own_speech(words):
            return Hypothesis(GARBAGE, 0.0)
        if phones is None:
            return Hypothesis(hyp.hypstr, 1.0)
        log = self._decoder.get_logmath().log
        n_phones, frames = self._hyp_words()
        margin = (_log_score(log, hyp.score) - _log_score(log, phones.score)) / max(1, frames)
        ratio = _spoken_phones(self._phones) / max(1, n_phones)
        confidence = grammar_confidence(margin, ratio, self._center, self._scale)
        self.last_scores = (margin, ratio)   # for diagnosis and the bench
        words_hyp = self._words.hyp() if self._words is not None else None
        if words_hyp is not None:
            words_margin = (_log_score(log, hyp.score) - _log_score(log, words_hyp.score)) / max(1, self._frames)
            confidence = min(confidence, word_loop_confidence(words_margin))
            self.last_scores = (margin, ratio, words_margin)
        return Hypothesis(hyp.hypstr, confidence)

    def _own_speech(self, words: list[str]) -> bool:
        """The decoder took the coach's own-sentence path: words that are neither a command nor
        the wake word alone."""
        if not self.own:
            return False
        _, rest = split_wake_word(tuple(words), self._vocab)
        return bool(strip_fillers(rest, self._vocab)) and parse(tuple(words), self._vocab) is None

    def _hyp_words(self) -> tuple[int, int]:
        """Phones and frames of the hypothesis' words (silence and noise fillers left out)."""
        n = frames = 0
        for seg in self._decoder.seg():
            if seg.word.startswith(("<", "[", "+", "(")):   # silence, fillers, null transitions
                continue
            phones = self._decoder.lookup_word(seg.word)
            n += len(phones.split()) if phones else 0
            frames += seg.end_frame - seg.start_frame + 1
        return n, frames


def _add_pronunciations(decoder, vocab: Vocabulary) -> None:
    """The vocabulary's words the model's dictionary lacks (CMU phones)."""
    new = [(w, p) for w, p in vocab.pronunciations.items() if decoder.lookup_word(w) is None]
    for i, (word, phones) in enumerate(new):
        try:
            decoder.add_word(word, phones, i == len(new) - 1)   # rebuild the dictionary once
        except RuntimeError:
            raise VocabError(f"{vocab.source}: pronunciations.{word}: invalid phones '{phones}'") from None


def pocketsphinx_for(vocab: Vocabulary, wake_word: str | None, require_wake_word: bool,
                     own_speech: Iterable[str] | None = None, **decoder_options) -> PocketSphinxRecognizer:
    """PocketSphinx as a session uses it: the phone-loop check and the coach's own sentences as
    paths of their own (`own_speech`; by default every text of the language's cue library)
    always; without a required wake word nothing else says that speech was meant for the coach,
    so the garbage loop as well."""
    if own_speech is None:
        from coach.core.cues import load_cues_or_builtin
        own_speech = coach_texts(load_cues_or_builtin(vocab.language), vocab)
    weight = 0.0 if require_wake_word and wake_word else QUIET_ROOM_GARBAGE_WEIGHT
    return PocketSphinxRecognizer(vocab, wake_word, garbage_weight=weight, own_speech=own_speech,
                                  **decoder_options)


def _phone_loop(pocketsphinx, hmm: str, model_dir, decoder_options: dict):
    """The rejection decoder: the same acoustic model, any phone sequence (None: no phone model)."""
    if model_dir:
        found = sorted(Path(model_dir).parent.glob("*-phone.lm.bin"))
        phone_lm = str(found[0]) if found else None
    else:
        phone_lm = pocketsphinx.get_model_path("en-us/en-us-phone.lm.bin")
    if not phone_lm or not Path(phone_lm).exists():
        return None
    opts = {k: v for k, v in decoder_options.items() if k not in ("jsgf", "fsg", "lm", "dict", "bestpath")}
    return pocketsphinx.Decoder(**{"hmm": hmm, "lm": None, "allphone": phone_lm, "loglevel": "FATAL",
                                   "beam": 1e-60, "pbeam": 1e-60, **ACOUSTIC_OPTIONS, **opts})


def command_grammar_with_garbage(vocab: Vocabulary, wake_word: str | None, garbage: list[str],
                                 garbage_weight: float, own: Sequence[tuple[str, ...]] = ()) -> str:
    """The command grammar plus a competing loop of common words (out-of-vocabulary speech)."""
    g = jsgf(vocab, wake_word, own)
    if not garbage:
        return g
    head, public = g.rsplit("public <utterance> = ", 1)
    body = public.rstrip().rstrip(";")
    return (head + f"<gword> = {' | '.join(sorted(garbage))};\n"
            + f"public <utterance> = /1/ ({body}) | /{garbage_weight:g}/ <gword>+;\n")


class VoskRecognizer:
    """Vosk (Kaldi) with a model directory the user supplies, restricted to a phrase list.

    Out-of-vocabulary speech: "[unk]" when the model has it (the small Korean model has not);
    otherwise the listener's parse rejects it, since Vosk strings phrases together and a sentence
    read aloud becomes a run of commands that is no single command. `garbage_words` adds the
    vocabulary's common non-command words as competing phrases: measured, it swallowed commands
    too (Vosk's phrase list has no weights), so it is off by default."""

    name = "vosk"

    def __init__(self, vocab: Vocabulary, model_dir: str | Path | None = None,
                 wake_word: str | None = None, model=None, garbage_words: bool = False):
        import vosk

        vosk.SetLogLevel(-1)
        self.model = model if model is not None else load_vosk_model(model_dir)
        find = self.model.vosk_model_find_word
        phrases = phrase_list(vocab, wake_word)
        known = [p for p in phrases if all(find(w) >= 0 for w in p.split())]
        if not known:
            raise RecognizerError(f"{model_dir}: the Vosk model knows none of the words of {vocab.source}")
        self.phrases = known
        self._garbage = {w for w in vocab.garbage_words
                         if garbage_words and w not in vocab.words() and find(w) >= 0}
        extra = sorted(self._garbage) + (["[unk]"] if find("[unk]") >= 0 else [])
        self._grammar = json.dumps(known + extra, ensure_ascii=False)
        self._rec: Any = None   # a vosk.KaldiRecognizer while listening (vosk has no type stubs)
        self._fed_s = 0.0

    def start(self) -> None:
        import vosk

        self._rec = vosk.KaldiRecognizer(self.model, RATE, self._grammar)
        self._rec.SetWords(True)
        self._rec.SetPartialWords(True)
        self._fed_s = 0.0

    def feed(self, samples: np.ndarray) -> None:
        if self._rec is not None:
            self._rec.AcceptWaveform(np.ascontiguousarray(samples, dtype=np.int16).tobytes())
            self._fed_s += len(samples) / RATE

    def partial(self) -> tuple[str, float]:
        if self._rec is None:
            return "", 0.0
        result = json.loads(self._rec.PartialResult())
        words = result.get("partial_result") or []
        return result.get("partial", ""), self._fed_s - float(words[-1]["end"]) if words else 0.0

    def finish(self) -> Hypothesis | None:
        if self._rec is None:
            return None
        result = json.loads(self._rec.FinalResult())
        self._rec = None
        text = result.get("text", "").strip()
        if not text:
            return None
        words = text.split()
        if "[unk]" in words or any(w in self._garbage for w in words):
            return Hypothesis(GARBAGE, 0.0)
        confs = [float(w.get("conf", 1.0)) for w in result.get("result", [])]
        return Hypothesis(text, sum(confs) / len(confs) if confs else 1.0)


_VOSK_MODELS: dict[str, object] = {}


def load_vosk_model(model_dir: str | Path | None):
    """A Vosk model, loaded once per process (the small Korean one takes a second or more)."""
    import vosk

    if model_dir is None:
        raise RecognizerError("no Vosk model directory given")
    key = str(Path(model_dir).resolve())
    if key not in _VOSK_MODELS:
        if not Path(model_dir).is_dir():
            raise RecognizerError(f"{model_dir}: no such Vosk model directory")
        if not any(Path(model_dir, p).exists() for p in ("am", "final.mdl", "conf", "graph")):
            raise RecognizerError(f"{model_dir}: not a Vosk model directory (no am/, conf/ or graph/)")
        vosk.SetLogLevel(-1)
        try:
            _VOSK_MODELS[key] = vosk.Model(str(model_dir))
        except Exception as e:  # noqa: BLE001 - vosk raises a bare Exception("Failed to create a model")
            raise RecognizerError(f"cannot load the Vosk model in {model_dir} ({e})") from None
    return _VOSK_MODELS[key]


def vosk_model_dirs() -> list[Path]:
    """Where Vosk itself looks for models by language: $VOSK_MODEL_PATH, /usr/share/vosk, ~/.cache/vosk."""
    dirs = [os.environ.get("VOSK_MODEL_PATH"), "/usr/share/vosk",
            Path.home() / "AppData/Local/vosk" if os.name == "nt" else None, Path.home() / ".cache/vosk"]
    return [Path(d) for d in dirs if d]


def find_vosk_model(lang: str) -> Path:
    """The installed Vosk model for `lang` ("en-us", "de", "ko"), found without the network.

    Vosk's own `Model(lang=...)` looks in the same places with the same name rule, but when it
    finds nothing it downloads, and the coach never downloads at run time: here it says how to
    fetch a model once instead. Small models first (they accept a grammar and suit a Pi)."""
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z]{2,4})?", lang):
        raise RecognizerError(f"'{lang}' is not a Vosk language code (like en-us, de or ko)")
    name = re.compile(rf"vosk-model(-small)?-{re.escape(lang)}(-|$)")
    dirs = vosk_model_dirs()
    found = [p for d in dirs if d.is_dir() for p in sorted(d.iterdir()) if p.is_dir() and name.match(p.name)]
    if not found:
        where = ", ".join(str(d) for d in dirs)
        raise RecognizerError(f"no Vosk model for '{lang}' is installed (looked in {where}); on a connected "
                              f"machine, python -c \"import vosk; vosk.Model(lang='{lang}')\" fetches one into "
                              f"~/.cache/vosk once, or give a model directory")
    return min(found, key=lambda p: ("-small-" not in p.name, p.name))
