"""The coach's own sentences as grammar paths, so that its voice, heard through the microphone
after the gate has closed (a speaker with a long delay, a second coach nearby, a recording of a
session), decodes as itself instead of as the nearest command.

A closed command grammar reads any speech as *some* command; given the sentences the coach
itself says as competing paths, the decoder finds "Push the hips back, not the knees forward"
there and the utterance is dropped silently. Pure: text in, grammar sentences out; which words
the recognizer can pronounce is the caller's `known` test.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable

from coach.core.commands import normalize, number_words, parse
from coach.core.cues import CueLibrary
from coach.core.vocabulary import Vocabulary

COUNT, NUMBER, EXERCISE, SIDE = "<count>", "<number>", "<exercise>", "(left | right)"
REPS_WORD = "[reps | rep]"
# Placeholders the grammar can stand for (each a run of grammar tokens); a sentence with any
# other ({faults}, {cue}, {things}: free text) is left out rather than guessed. {reps} is a
# number ("{reps} so far") or a phrase ("8 reps", from set.reps_many).
SLOTS = {"rep": (COUNT,), "left": (COUNT,), "set_no": (COUNT,), "target": (COUNT,), "count": (COUNT,),
         "n": (COUNT,), "sets": (COUNT,), "seconds": (NUMBER,), "reps": (COUNT, REPS_WORD),
         "exercise": (EXERCISE,), "side": (SIDE,)}
# A sample filling for each slot: a sentence that then parses as a command is left out, or the
# coach's path would swallow the command ("How many" said by the coach is a command said).
SAMPLES = {COUNT: "eight", NUMBER: "ninety", REPS_WORD: "reps", SIDE: "left"}
MIN_WORDS = 2       # one word alone ("Good.") is too easy a path for any short sound


def _clauses(text: str) -> list[str]:
    # a sentence ends at . ! ? : ; — the coach pauses there, and the endpointer may cut
    return [c for c in re.split(r"[.!?:;]+", text) if c.strip()]


def _tokens(clause: str, vocab: Vocabulary) -> list[str] | None:
    """A clause as grammar tokens, words and slot rules; None if it cannot be one."""
    out: list[str] = []
    for literal, field, _, _ in string.Formatter().parse(clause):
        for word in normalize(literal.replace("-", " ")):
            if word.isdigit():
                spoken = number_words(int(word), vocab.numbers) if vocab.numbers else None
                if spoken is None:
                    return None
                out += spoken.split()
            else:
                out.append(word)
        if field is not None:
            slot = SLOTS.get(field)
            if slot is None or (not vocab.numbers and slot[0] in (COUNT, NUMBER)):
                return None
            out += slot
    # "{reps} reps": the phrase's own word is said once
    return [t for i, t in enumerate(out) if not (t == REPS_WORD and out[i + 1:i + 2] in (["reps"], ["rep"]))]


def _sample(tokens: list[str], vocab: Vocabulary) -> tuple[str, ...]:
    exercise = next(iter(vocab.exercises.values()), ("deadlift",))[0]
    words = " ".join(exercise if t == EXERCISE else SAMPLES.get(t, t) for t in tokens)
    return tuple(words.split())


def own_sentences(texts: Iterable[str], vocab: Vocabulary,
                  known: Callable[[str], bool]) -> list[tuple[str, ...]]:
    """The sentences the coach says, as JSGF tokens: words, and `<count>`, `<number>`,
    `<exercise>` where its texts have placeholders. Left out: sentences with a word `known`
    rejects (the recognizer cannot pronounce it), with free-text placeholders, shorter than
    MIN_WORDS, or that read as a command."""
    out: dict[tuple[str, ...], None] = {}
    for text in texts:
        for clause in _clauses(text):
            tokens = _tokens(clause, vocab)
            if tokens is None:
                continue
            words = [t for t in tokens if not t.startswith(("<", "(", "["))]
            sample = _sample(tokens, vocab)
            if len(sample) < MIN_WORDS or not all(known(w) for w in words) or parse(sample, vocab) is not None:
                continue
            out[tuple(tokens)] = None
    return list(out)


def coach_texts(library: CueLibrary, vocab: Vocabulary) -> list[str]:
    """Everything the coach can say: every variant of every cue, and the listener's own words."""
    return [text for variants in library.messages.values() for text in variants] + [
        vocab.rejection, vocab.help_intro]
