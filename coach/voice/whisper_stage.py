"""Whisper base (CTranslate2, int8) as the coach's second, stronger ear: one utterance of audio in,
the words it heard out, with how sure it was.

Used through faster-whisper's pieces (its feature extractor, tokenizer and the Silero voice
detector it bundles) on a model directory installed with the coach (coach.voice.whisper_model);
nothing is fetched at run time.

Short context: Whisper was trained on 30 s windows, and faster-whisper pads every clip to one,
so a 2 s command costs the encoder a whole 30 s (0.8 s wall and 1.3 CPU-s here). The encoder
takes shorter inputs (its positions are fixed, the first ones are used); a command with 3 s of
silence after it costs 0.2-0.4 CPU-s, and was heard as well (docs/voice.md). Without the long
silent tail the decoder may not see the end and go round in a loop, so the text is cut where it
starts again. `context="full"` keeps faster-whisper's 30 s window.

Scoring: given a proposer (what was written -> candidate command sentences; the sentence the
decoder itself writes when it may write only command sentences, and the nearest few that begin
with its first word), the same
encoded audio also scores each candidate, "Coach, undo rep.", by the log-probability of its
tokens with the decoder forced through them, and of the transcript ending there (for the few
that can win), and the same tokens on silence (its prior: what Whisper would write hearing
nothing); coach.core.command_scores chooses among them. The audio is heard twice for that, as
said and 7 % slower (a second rendition, `slowed`), and each score is the mean of the two: one
encoding of a noisy utterance gives evidence that varies with the rendition, and the mean is
steadier (docs/voice.md). A second judge (`judge`: Moonshine base, coach.voice.moonshine_judge),
when installed, scores the best JUDGED of them again, and the two judges' scores are averaged.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from coach.core.command_scores import ScoredSentence, averaged, second_opinion
from coach.core.commands import Command
from coach.voice.audio import RATE

CONTEXT_PAD_S = 3.0      # silence after the speech in the short context: where the decoder sees the end
MAX_NEW_TOKENS = 24      # the longest command is about 12 tokens; room for a wake word and a filler
FULL_FRAMES = 3000       # Whisper's 30 s window, in 10 ms frames
# Silero's settings for a command: one short burst of speech is enough, and no long pause inside.
VAD_THRESHOLD = 0.5
VAD_MIN_SPEECH_MS = 150
MAX_NO_SPEECH_TO_SCORE = 0.6   # Whisper heard no speech: nothing to score
# Candidates scored at once: all 17 at once made `coach listen` peak at 534 MB, 4 at once at
# ~440 MB, no slower.
SCORE_BATCH = 4
# The end of the transcript is scored after the best few candidates only (and Whisper's own text),
# one batch: on the bench's utterances (960 commands, replayed) every choice was the same as
# with all of them scored (up to 18 sentences, five batches).
ENDS_SCORED = 3
# Each sentence's prior (coach.core.command_scores) is its score on this much silence (with the
# short context's pads), worked out once per sentence and kept: a session says the same few
# commands again and again. Whisper's own text is scored on it every time.
PRIOR_SILENCE_S = 1.5
PRIORS_KEPT = 4096
# The second rendition the candidates are scored on: the utterance played this much slower (and
# lower). Shifted by 5 ms instead, nothing changed (docs/voice.md).
SLOWED = 1 / 0.93
# The candidates the second judge scores again: the best few by Whisper's scores (the rest take
# its least score among them, command_scores.second_opinion). All of them, on the development
# set: the same 499 of 576 right (at a weight of 0.5), for twice the cost.
JUDGED = 4
_SENTENCE = -1   # in the sentences' token tree: the sentence that ends here (no token is negative)


@dataclass(frozen=True)
class Transcript:
    text: str
    logprob: float      # mean log-probability of the text's tokens (0: certain; below -1: a guess)
    no_speech: float    # Whisper's own probability that there was no speech at all
    speech_s: float     # speech the voice detector found (0: none, and Whisper was not run)
    cpu_s: float        # CPU time this transcription took (this thread and Whisper's)
    scored: tuple[ScoredSentence, ...] = ()   # the candidate commands, scored against the audio
    free_logprob: float | None = None   # the transcript itself, scored the same way
    wake_logprob: float | None = None   # of the wake word as the first word (log-probability)
    free_prior: float = 0.0   # the transcript's score on silence (its prior)
    # how much better the best candidate (or, when there were none, the first recognizer's
    # text) fits with the wake word before it than without it ("Coach, pause." against "Pause.",
    # nats): about 0 when the name was said, however muffled; some -15 when it was not
    name_gain: float | None = None


def _repeated_cut(text: str) -> str:
    """The text up to where it starts going round in a loop: "Coach, how many. Coach, how many.
    Coach" and "coach and the set, go, and the set, go, and" -> "Coach, how many." and "coach and
    the set, go," (the words from there on repeat the block before them to the end; the last
    word may be cut short by the token cap)."""
    words = text.split()
    keys = [re.sub(r"[^\w']", "", w.lower()) for w in words]
    n = len(keys)

    def loops(i: int, k: int) -> bool:
        for j in range(i, n):
            want = keys[i - k + (j - i) % k]
            if keys[j] != want and not (j == n - 1 and keys[j] and want.startswith(keys[j])):
                return False
        return True

    for i in range(1, n):
        for k in range(1, i + 1):
            if loops(i, k):
                return " ".join(words[:i])
    return text.strip()


def _phrases(text: str) -> list[str]:
    """The text's comma-separated phrases, lowercased, without punctuation."""
    return [" ".join(re.findall(r"[\w']+", p.lower())) for p in re.split(r"[,.;:!?]", text)]


def _listed(prompt: str, wake_word: str = "") -> dict[str, int]:
    """The prompt's phrases and where each first comes in it, the wake word (which heads it) left out."""
    return {p: i for i, p in reversed(list(enumerate(_phrases(prompt)))) if p and p != wake_word.lower()}


def _recital_cut(text: str, listed: Mapping[str, int]) -> str:
    """The text up to where it starts reciting the prompt (`listed`: its phrases, `_listed`): in
    noise the decoder writes the command it heard and then goes on through the prompt's list
    from there ("Coach, next set, pause, resume, repeat, go," for "coach, next set"; the prompt
    lists "next set, end set, pause, resume, repeat"). A recital: a phrase followed by two more
    that each come at most two places later in the prompt; the text is cut after its first
    phrase."""
    parts = text.split(",")
    at = [listed.get(p) for p in _phrases(text)]
    for i in range(len(at) - 2):
        a, b, c = at[i:i + 3]
        if a is not None and b is not None and c is not None and 0 < b - a <= 2 and 0 < c - b <= 2:
            return ",".join(parts[:i + 1]).strip() + ","
    return text


def repaired_tokenizer(tok):
    """The model's tokenizer with GPT-2's first merge ("Ġ t") put back when it is missing.

    The packaged tokenizer.json has 49,999 of Whisper's 50,000 merges: the first line of the
    merges file was lost in a conversion. Without that merge every word that starts with a "t"
    after a space ("to", "the", "that", "target", "thanks") becomes a lone space and the rest
    ([220, 6780] for " that", not [300]), token sequences Whisper never saw in training: the
    prompt that lists the commands reads as noise to it, and a command scored in those tokens
    looks improbable. Returns `tok` itself when nothing is missing."""
    import json

    import tokenizers

    spec = json.loads(tok.to_str())
    model = spec.get("model", {})
    merges, vocab = model.get("merges", []), model.get("vocab", {})
    first = "Ġ t" if not merges or isinstance(merges[0], str) else ["Ġ", "t"]
    if "Ġt" not in vocab or first in merges:
        return tok
    model["merges"] = [first] + merges
    return tokenizers.Tokenizer.from_str(json.dumps(spec))


class Propose(Protocol):
    """Candidate command sentences, and their commands, for an utterance."""

    first_words: frozenset[str]   # the words the sentences begin with (empty: none proposed by it)

    @property
    def sentences(self) -> Mapping[str, Command]:
        """Every sentence, numbers filled, for the decoder to walk (empty: no walk)."""

    def __call__(self, texts: list[str]) -> list[tuple[str, Command]]:
        """The sentences nearest to what the first recognizer and Whisper wrote (`texts`)."""

    def beginning(self, words: frozenset[str], texts: list[str]) -> list[tuple[str, Command]]:
        """A few sentences that begin with one of `words`, the nearest to `texts` first."""


class Judge(Protocol):
    """A second model that scores sentences against the same audio (coach.voice.moonshine_judge)."""

    def encode(self, audio: np.ndarray) -> np.ndarray: ...
    def scores(self, encoded: np.ndarray, texts: Sequence[str]) -> list[float]: ...
    def priors(self, texts: Sequence[str]) -> list[float]: ...


class Transcriber(Protocol):
    def prepare(self, propose: Propose) -> None: ...

    def transcribe(self, samples: np.ndarray, vad: bool = True, propose: Propose | None = None,
                   hints: Sequence[str] = ()) -> Transcript: ...


def slowed(audio: np.ndarray, factor: float = SLOWED) -> np.ndarray:
    """`audio` played `factor` times as long (and as much lower), like a tape run slow:
    linear interpolation between its samples."""
    n = int(len(audio) * factor)
    if not n:
        return np.zeros(0, np.float32)
    return np.interp(np.arange(n) / factor, np.arange(len(audio)), audio).astype(np.float32)


def _mean(values: Sequence[np.ndarray]) -> np.ndarray:
    """One text's values (log-probabilities), element by element, averaged over the renditions
    it was scored on; the values themselves when there was one."""
    return values[0] if len(values) == 1 else np.mean(np.vstack(values), axis=0)


class WhisperTranscriber:
    """One loaded Whisper model; `transcribe()` is not thread-safe (one worker owns it)."""

    def __init__(self, model_dir: str | Path, prompt: str = "", threads: int = 1, context: str = "short",
                 wake_word: str = "", judge: Judge | None = None):
        from faster_whisper import WhisperModel

        if context not in ("short", "full"):
            raise ValueError(f"context must be short or full, not {context!r}")
        self.model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads,
                                  local_files_only=True)
        self.context = context
        tok = self.model.hf_tokenizer = repaired_tokenizer(self.model.hf_tokenizer)   # one copy kept
        special = [tok.token_to_id(t) for t in ("<|startoftranscript|>", "<|en|>", "<|transcribe|>",
                                                "<|notimestamps|>")]
        prompt_ids = tok.encode(" " + prompt.strip(), add_special_tokens=False).ids if prompt.strip() else []
        # Whisper's window holds 448 tokens; the prompt may use at most half of it
        prompt_ids = prompt_ids[-223:]
        self._prompt = ([tok.token_to_id("<|startofprev|>")] + prompt_ids if prompt_ids else []) + special
        self._listed = _listed(prompt, wake_word)   # for _recital_cut, worked out once
        self._start = special    # scoring needs no prompt: the candidates are the vocabulary
        self._tok = tok
        self._end = tok.token_to_id("<|endoftext|>")
        self.wake_word = wake_word
        self.judge = judge
        self._silence = None   # encoded on first use
        self._kept_priors: dict[tuple[int, ...], float] = {}
        # the tokens before a sentence's first word, as _render writes them: " Coach,"
        self._lead = tok.encode(f" {wake_word.capitalize()},", add_special_tokens=False).ids if wake_word else []
        self._first_tokens_of: tuple[frozenset[str], dict[str, int]] = (frozenset(), {})
        self._trie_of: tuple[Mapping[str, Command] | None, dict] = (None, {})

    def speech_seconds(self, audio: np.ndarray) -> float:
        """Seconds of speech Silero finds in `audio` (float32, 16 kHz)."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        spans = get_speech_timestamps(audio, VadOptions(threshold=VAD_THRESHOLD,
                                                        min_speech_duration_ms=VAD_MIN_SPEECH_MS,
                                                        min_silence_duration_ms=300, speech_pad_ms=100))
        return sum(s["end"] - s["start"] for s in spans) / RATE

    def encode(self, audio: np.ndarray):
        """The encoder's output for `audio` (float32, 16 kHz), in the short context: 0.2 s of
        silence before it, CONTEXT_PAD_S after (`context="full"`: the 30 s window)."""
        import ctranslate2

        pad = np.zeros(int(CONTEXT_PAD_S * RATE), np.float32)
        features = self.model.feature_extractor(np.concatenate([pad[:RATE // 5], audio, pad]))
        frames = features.shape[-1]
        if self.context == "full" or frames >= FULL_FRAMES:
            features = features[:, :FULL_FRAMES]
            features = np.pad(features, ((0, 0), (0, FULL_FRAMES - features.shape[-1])))
        elif frames % 2:   # the encoder halves the frames
            features = np.pad(features, ((0, 0), (0, 1)))
        return self.model.model.encode(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None], dtype=np.float32)))

    def transcribe(self, samples: np.ndarray, vad: bool = True, propose: Propose | None = None,
                   hints: Sequence[str] = ()) -> Transcript:
        """What was said in `samples` (int16 or float32, 16 kHz, one utterance). With `propose`,
        also the candidate commands it proposes for the transcript and `hints` (what the first
        recognizer heard), each scored against the audio."""
        cpu0 = time.process_time()
        audio = samples.astype(np.float32)
        if samples.dtype == np.int16:
            audio /= 32768.0
        speech_s = self.speech_seconds(audio) if vad else len(audio) / RATE
        if speech_s <= 0:
            return Transcript("", 0.0, 1.0, 0.0, time.process_time() - cpu0)
        encoded = self.encode(audio)
        result = self.model.model.generate(
            encoded, [self._prompt], beam_size=1, max_length=len(self._prompt) + MAX_NEW_TOKENS,
            return_scores=True, return_no_speech_prob=True, suppress_blank=True)[0]
        text = _recital_cut(_repeated_cut(self._tok.decode(result.sequences_ids[0])), self._listed)
        scored: tuple[ScoredSentence, ...] = ()
        free = wake = name_gain = None
        free_prior = 0.0
        if propose is not None and text.strip() and result.no_speech_prob <= MAX_NO_SPEECH_TO_SCORE:
            candidates = propose([text, *hints])
            if candidates:
                heard = (encoded, self.encode(slowed(audio)))
                candidates += self._walked(encoded, propose, [text, *hints], candidates)
                texts = [self._render(s) for s, _ in candidates] + [self._render_own(text)]
                ids = [self._ids(t) for t in texts]
                logprobs = self._forced(heard, ids)
                totals = [float(lp.sum()) for lp in logprobs]
                # the sentences that can win, and Whisper's own text: how probable it is that
                # the transcript ends there; the others as unlikely to as the least of those
                top = sorted(range(len(candidates)), key=lambda i: -totals[i])[:ENDS_SCORED]
                ends = dict(zip(top + [len(texts) - 1], self._ends(heard, [ids[i] for i in top] + ids[-1:])))
                least = min(ends[i] for i in top)
                priors = self._priors(ids, keep=len(candidates))
                scored = tuple(ScoredSentence(s, c, totals[i] + ends.get(i, least), len(logprobs[i]) + 1, priors[i])
                               for i, (s, c) in enumerate(candidates))
                free, free_prior = totals[-1] + ends[len(texts) - 1], priors[-1]
                if self.wake_word:
                    wake = float(logprobs[0][0])   # the first token: its name
                    best = max(range(len(scored)), key=lambda i: scored[i].weighed())
                    # its score with the name is known: only the one without is forced
                    name_gain = totals[best] - self._score(heard, self._render_unnamed(candidates[best][0]))
                if self.judge is not None:
                    scored, free, free_prior, name_gain = self._judged(audio, scored, texts[-1], free, free_prior,
                                                                       name_gain)
            elif hints and self.wake_word and self._named(hints[0]) and not self._named(text):
                # the two ears wrote the same command, only the first with the name: in noise
                # it makes the name up (a command said to someone else); does the audio hold it?
                body = self._unnamed_text(hints[0])
                if body:
                    named, unnamed = self._forced((encoded,), [self._ids(self._render(body)),
                                                               self._ids(self._render_unnamed(body))])
                    name_gain = float(named.sum() - unnamed.sum())
        return Transcript(text, float(result.scores[0]), float(result.no_speech_prob), speech_s,
                          time.process_time() - cpu0, scored, free, wake, free_prior, name_gain)

    def _judged(self, audio: np.ndarray, scored: tuple[ScoredSentence, ...], own: str, free: float,
                free_prior: float, name_gain: float | None
                ) -> tuple[tuple[ScoredSentence, ...], float, float, float | None]:
        """The best JUDGED candidates and Whisper's own text (`own`, as written for scoring)
        scored by the second judge too, and the two judges' scores averaged: (the candidates,
        the own text's score, its prior, the name gain). The name is weighed by both as well:
        the best candidate is also scored without it."""
        assert self.judge is not None
        best = sorted(range(len(scored)), key=lambda i: -scored[i].weighed())[:JUDGED]
        texts = [self._render(scored[i].sentence) for i in best] + [own]
        unnamed = [self._render_unnamed(scored[best[0]].sentence)] if name_gain is not None else []
        values = self.judge.scores(self.judge.encode(audio), texts + unnamed)
        priors = self.judge.priors(texts)
        judged = {i: (values[k], priors[k]) for k, i in enumerate(best)}
        gain = None if name_gain is None else averaged(name_gain, values[0] - values[-1])
        own_value = values[len(texts) - 1]
        return second_opinion(scored, judged), averaged(free, own_value), averaged(free_prior, priors[-1]), gain

    def _ids(self, text: str) -> list[int]:
        """A text's tokens as the scores take them (after a space, as Whisper writes them)."""
        return self._tok.encode(" " + text, add_special_tokens=False).ids

    def _score(self, heard: Sequence, text: str) -> float:
        """One text's tokens forced (`_forced`), summed."""
        return float(self._forced(heard, [self._ids(text)])[0].sum())

    @staticmethod
    def _render_unnamed(sentence: str) -> str:
        """A command sentence without the wake word, as Whisper writes one: "Next set." (the
        other side of Transcript.name_gain)."""
        return f"{sentence.capitalize()}."

    def _named(self, text: str) -> bool:
        """The text starts with the wake word."""
        return bool(re.match(rf"^\W*{re.escape(self.wake_word)}\b", text.strip(), flags=re.IGNORECASE))

    def _unnamed_text(self, text: str) -> str:
        """The text without the wake word in front."""
        return re.sub(rf"^\W*{re.escape(self.wake_word)}\b\W*", "", text.strip(), flags=re.IGNORECASE)

    def _render(self, sentence: str) -> str:
        """A command sentence as Whisper writes one: "Coach, next set." """
        return f"{self.wake_word.capitalize()}, {sentence}." if self.wake_word else self._render_unnamed(sentence)

    def prepare(self, propose: Propose) -> None:
        """Work out what scoring with `propose` needs once (the sentences' tokens), before the
        first command rather than during it."""
        self._trie(propose.sentences)
        self._first_tokens(propose.first_words)

    def _walked(self, encoded, propose: Propose, texts: list[str],
                candidates: list[tuple[str, Command]]) -> list[tuple[str, Command]]:
        """The command sentence the decoder itself writes when it may write nothing else, and the
        nearest two commands that begin with its first word, when the candidates lack them: in
        noise the first word is often heard when the rest is not, and the sentences nearest to a
        garbled text ("coach, start slow") may not include the command ("speak slower").
        The walk: forced through "Coach,", then token by token the likeliest of those that
        continue some sentence (one decoder pass per choice; most sentences need two or three), on
        the utterance as said: walked on both renditions too, one command more of 576 was right
        (docs/voice.md) for about a seventh more CPU."""
        node = self._trie(propose.sentences)
        if not node:
            return []
        prefix, first = list(self._lead), None
        while node:
            tokens = [t for t in node if t != _SENTENCE]
            if not tokens:
                break
            if len(tokens) > 1:
                after = self._next_logprobs((encoded,), [prefix])[0]
                if after is None:
                    return []
                tokens = [max(tokens, key=lambda t: after[t])]
            first = tokens[0] if first is None else first
            prefix.append(tokens[0])
            node = node[tokens[0]]
        walked = node[_SENTENCE]
        words = frozenset(w for w, t in self._first_tokens(propose.first_words).items() if t == first)
        found = {walked: propose.sentences[walked], **dict(propose.beginning(words, texts))}
        have = {s for s, _ in candidates}
        return [(s, c) for s, c in found.items() if s not in have]

    def _trie(self, sentences: Mapping[str, Command]) -> dict:
        """The sentences' tokens after the wake word, as a tree of dicts (token -> what follows;
        _SENTENCE -> the sentence that ends there); worked out once per set of sentences."""
        if self._trie_of[0] is not sentences:
            root: dict = {}
            for sentence in sentences:
                ids = self._tok.encode(" " + self._render(sentence), add_special_tokens=False).ids
                if ids[:len(self._lead)] != self._lead:
                    continue
                node = root
                for t in ids[len(self._lead):]:
                    node = node.setdefault(t, {})
                node[_SENTENCE] = sentence
            self._trie_of = (sentences, root)
        return self._trie_of[1]

    def _first_tokens(self, words: frozenset[str]) -> dict[str, int]:
        """Each word's first token as the first word of a rendered sentence (" start" of "Coach,
        start set."); worked out once per set of words."""
        if self._first_tokens_of[0] != words:
            tokens = {}
            for w in words:
                ids = self._tok.encode(" " + self._render(w), add_special_tokens=False).ids
                if ids[:len(self._lead)] == self._lead and len(ids) > len(self._lead):
                    tokens[w] = ids[len(self._lead)]
            self._first_tokens_of = (words, tokens)
        return self._first_tokens_of[1]

    def _render_own(self, text: str) -> str:
        """Whisper's own text behind the same wake word as the candidates ("target five reps" ->
        "Coach, target five reps"), so that the two are weighed on what follows it: with the
        wake word not said, a candidate would otherwise lose only for its name."""
        if not self.wake_word:
            return text.strip()
        body = self._unnamed_text(text)
        return f"{self.wake_word.capitalize()}, {body}" if body else text.strip()

    def _batches(self, encoded, ids: list[list[int]]):
        """(token ids, the encoded audio once for each) for every SCORE_BATCH of the texts' `ids`:
        both scoring passes take one audio per text. The audio is copied out of CTranslate2
        once, not per batch."""
        import ctranslate2

        audio = np.asarray(encoded)
        for i in range(0, len(ids), SCORE_BATCH):
            part = ids[i:i + SCORE_BATCH]
            yield part, ctranslate2.StorageView.from_array(np.ascontiguousarray(np.repeat(audio, len(part), axis=0)))

    def _ends(self, heard: Sequence, ids: list[list[int]]) -> list[float]:
        """For each text (its token ids), the log-probability that the transcript ends right after
        it (the end-of-text token), given the encoded audio (the mean over its renditions,
        `heard`). A sentence that is the first words of what was said ("count" of "count every
        rep") fits as well as the whole up to there; only here does it pay for the rest. A text
        whose end is not reached (a long own text) is taken as no evidence (0)."""
        return [0.0 if v is None else float(v[self._end]) for v in self._next_logprobs(heard, ids)]

    def _next_logprobs(self, heard: Sequence, ids: list[list[int]]) -> list[np.ndarray | None]:
        """For each text (its token ids), the log-probabilities of the token after it, given the
        encoded audio, the mean over its renditions (`heard`); None where CTranslate2 stops short."""
        out: list[np.ndarray | None] = []
        for vs in zip(*(self._next_logprobs_one(encoded, ids) for encoded in heard)):
            got = [v for v in vs if v is not None]
            out.append(_mean(got) if len(got) == len(vs) else None)
        return out

    def _next_logprobs_one(self, encoded, ids: list[list[int]]) -> list[np.ndarray | None]:
        """`_next_logprobs` for one encoding: the decoder forced through the text, one step more.
        The alignment pass gives no step after the text, so this is `generate` with the text as
        its prompt, returning the logits of each step."""
        out: list[np.ndarray | None] = []
        for part, batch in self._batches(encoded, ids):
            # max_length: found by trial (CTranslate2 returns n + 1 steps of logits for a text of
            # n tokens only from about twice that; and it counts the start tokens)
            n = max(map(len, part))
            results = self.model.model.generate(
                batch, [self._start + p for p in part], beam_size=1,
                max_length=max(2 * (n + 1) + 1, len(self._start) + n + 2),
                return_logits_vocab=True, suppress_blank=False, suppress_tokens=[])
            for p, r in zip(part, results):
                steps = r.logits[0]
                if len(steps) <= len(p):
                    out.append(None)
                    continue
                v = np.asarray(steps[len(p)], dtype=np.float64)
                top = v.max()
                out.append(v - top - np.log(np.exp(v - top).sum()))
        return out

    def _priors(self, ids: list[list[int]], keep: int | None = None) -> list[float]:
        """Each text's (its token ids) log-probability given silence: what Whisper would write
        hearing nothing. The first `keep` texts (all by default: the vocabulary's sentences) are
        kept (up to PRIORS_KEPT, then afresh), so they are scored on silence once; the others
        (Whisper's own text, rarely the same twice) would only crowd them out."""
        if self._silence is None:
            self._silence = self.encode(np.zeros(int(PRIOR_SILENCE_S * RATE), np.float32))
        keys = [tuple(i) for i in ids]
        if len(self._kept_priors) + len(keys) > PRIORS_KEPT:
            self._kept_priors.clear()
        missing = list(dict.fromkeys(k for k in keys if k not in self._kept_priors))
        on_silence = self._forced((self._silence,), [list(k) for k in missing])
        scores = dict(zip(missing, (float(lp.sum()) for lp in on_silence)))
        self._kept_priors.update((k, scores[k]) for k in keys[:keep] if k in scores)
        return [scores[k] if k in scores else self._kept_priors[k] for k in keys]

    def _forced(self, heard: Sequence, ids: list[list[int]]) -> list[np.ndarray]:
        """Each text's tokens' (`ids`) log-probabilities given the encoded audio, the mean over its
        renditions (`heard`)."""
        return [_mean(lps) for lps in zip(*(self._forced_one(encoded, ids) for encoded in heard))]

    def _forced_one(self, encoded, ids: list[list[int]]) -> list[np.ndarray]:
        """`_forced` for one encoding: the decoder forced through the tokens (CTranslate2's
        alignment pass returns their probabilities; its alignments are not used). All of the
        encoded context: cut to the speech and half a second, the right command was chosen less
        often (10 dB SNR: 89.6 % against 91.7 %, docs/voice.md)."""
        frames = encoded.shape[1]
        out: list[np.ndarray] = []
        for part, batch in self._batches(encoded, ids):
            results = self.model.model.align(batch, self._start, part, [2 * frames] * len(part),
                                             median_filter_width=1)
            out += [np.log(np.maximum(np.asarray(r.text_token_probs, dtype=np.float64), 1e-30)) for r in results]
        return out
