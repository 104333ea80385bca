"""Voice commands: recognized text -> a typed Command with its slots (pure: no I/O, no clock).

The phrasings, synonyms, exercise names and number words come from a Vocabulary
(coach/vocab/<lang>.toml, loaded by coach.core.vocabulary); this module only knows the Command types
and how to match text against the vocabulary. Anything that is not a command gives None.
Commands carry no time: the voice adapter wraps them in coach.core.events.CommandHeard(t, command, text).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from coach.core.events import Command
from coach.core.exercises import exercise_ids
from coach.core.vocabulary import Numbers, Vocabulary, load_vocabulary, vocabulary_path


@dataclass(frozen=True)
class SwitchExercise(Command):
    exercise: str  # an exercise id, e.g. "kettlebell_swing"


@dataclass(frozen=True)
class StartSet(Command):
    pass


@dataclass(frozen=True)
class NextSet(Command):
    pass


@dataclass(frozen=True)
class EndSet(Command):
    pass


@dataclass(frozen=True)
class GoToSet(Command):
    n: int


@dataclass(frozen=True)
class SetTarget(Command):
    reps: int


@dataclass(frozen=True)
class Pause(Command):
    pass


@dataclass(frozen=True)
class Resume(Command):
    pass


@dataclass(frozen=True)
class Repeat(Command):
    """Say the last cue again."""


@dataclass(frozen=True)
class HowMany(Command):
    """Say the rep count."""


@dataclass(frozen=True)
class HowWasThatRep(Command):
    """Say the last rep's faults ("how was that rep", "what should I fix")."""


WhatToFix = HowWasThatRep  # the same question, asked another way


@dataclass(frozen=True)
class Rest(Command):
    seconds: float | None = None  # None: the plan's default rest


@dataclass(frozen=True)
class SkipRest(Command):
    pass


@dataclass(frozen=True)
class Louder(Command):
    pass


@dataclass(frozen=True)
class Quieter(Command):
    pass


@dataclass(frozen=True)
class Slower(Command):
    pass


@dataclass(frozen=True)
class Faster(Command):
    pass


@dataclass(frozen=True)
class CountEvery(Command):
    """Say the count every `n` reps (1: every rep)."""

    n: int = 1


@dataclass(frozen=True)
class QuietMode(Command):
    """Speak only faults and set summaries, no counts."""


@dataclass(frozen=True)
class UndoRep(Command):
    """The last counted rep was not a rep."""


@dataclass(frozen=True)
class Help(Command):
    """Read the commands available now (see help_lines)."""


@dataclass(frozen=True)
class FinishWorkout(Command):
    pass


@dataclass(frozen=True)
class Yes(Command):
    """The answer to the coach's question: do the command it asked about (ConfirmAsked)."""


@dataclass(frozen=True)
class No(Command):
    """The answer to the coach's question: do not do it."""


COMMAND_CLASSES: dict[str, type[Command]] = {
    c.__name__: c for c in (
        SwitchExercise, StartSet, NextSet, EndSet, GoToSet, SetTarget, Pause, Resume, Repeat,
        HowMany, HowWasThatRep, Rest, SkipRest, Louder, Quieter, Slower, Faster, CountEvery,
        QuietMode, UndoRep, Help, FinishWorkout, Yes, No)}


def _fields(cls: type[Command]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    fs = dataclasses.fields(cls)
    required = tuple(f.name for f in fs
                     if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
    return required, tuple(f.name for f in fs)


# Class name -> (required slot fields, all slot fields): the vocabulary loader checks phrasings against it.
COMMAND_FIELDS = {name: _fields(cls) for name, cls in COMMAND_CLASSES.items()}

MAX_COUNT = 99          # sets, reps, "count every n"
MAX_SECONDS = 60 * 60   # a rest longer than an hour is a mishearing
GYM_HUNDREDS = (1, 2)   # the hundreds of the gym's "one twenty" (120) and "two ten" (210)


# --- text and numbers ------------------------------------------------------------------------

def normalize(text: str) -> tuple[str, ...]:
    """Lower-case words; punctuation gone (keeps apostrophes inside words, digits)."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"(?<=[a-z])\.(?=[a-z])", " ", text)   # "r.d.l." -> "r d l"
    text = re.sub(r"[^\w'\s]", " ", text)
    return tuple(w.strip("'") for w in text.split() if w.strip("'"))


def _below_hundred(tokens: Sequence[str], n: Numbers) -> int | None:
    """1-99 spoken as words ("seven", "fifteen", "ninety", "twenty five") or digits."""
    if len(tokens) == 1:
        t = tokens[0]
        if t.isdigit():
            return int(t)
        for table in (n.units, n.teens, n.tens):
            if t in table:
                return table[t]
        return None
    if len(tokens) == 2 and tokens[0] in n.tens and tokens[1] in n.units:
        return n.tens[tokens[0]] + n.units[tokens[1]]
    return None


def number_words(value: int, n: Numbers) -> str | None:
    """0 < value < 1000 in the vocabulary's words ("ninety", "one hundred and twenty")."""
    units = {v: w for w, v in n.units.items()}
    teens = {v: w for w, v in n.teens.items()}
    tens = {v: w for w, v in n.tens.items()}

    def below_hundred(v: int) -> str | None:
        if v in units:
            return units[v]
        if v in teens:
            return teens[v]
        if v in tens:
            return tens[v]
        if v // 10 * 10 in tens and v % 10 in units:
            return f"{tens[v // 10 * 10]} {units[v % 10]}"
        return None

    if not 0 < value < 1000:
        return None
    if value < 100:
        return below_hundred(value)
    head = units.get(value // 100)
    rest = below_hundred(value % 100) if value % 100 else ""
    if head is None or rest is None:
        return None
    return f"{head} {n.hundred}" + (f" {n.and_word} {rest}" if rest else "")


def parse_number(tokens: Sequence[str], n: Numbers) -> int | None:
    """A whole number spoken as words, up to 999.

    Besides "one hundred and twenty" it takes the gym's "one twenty" (= 120) and digits."""
    tokens = tuple(tokens)
    if not tokens:
        return None
    if len(tokens) == 1 and tokens[0].isdigit():
        return int(tokens[0])
    if n.hundred in tokens:
        i = tokens.index(n.hundred)
        head, tail = tokens[:i], tokens[i + 1:]
        if len(head) == 1 and head[0] in n.one_words:
            h = 1
        elif len(head) == 1 and head[0] in n.units:
            h = n.units[head[0]]
        else:
            return None
        if tail and tail[0] == n.and_word:
            tail = tail[1:]
            if not tail:
                return None
        rest = _below_hundred(tail, n) if tail else 0
        return None if rest is None else h * 100 + rest
    value = _below_hundred(tokens, n)
    if value is not None:
        return value
    # "one twenty", "one fifty five", "two ten": hundreds digit, then 10-99. Only one or two
    # hundred: longer rests are said in minutes, and "rest for ninety" must not be 490 seconds.
    if len(tokens) >= 2 and n.units.get(tokens[0], 0) in GYM_HUNDREDS and tokens[1] not in n.units:
        rest = _below_hundred(tokens[1:], n)
        if rest is not None and rest >= 10:
            return n.units[tokens[0]] * 100 + rest
    return None


def parse_count(tokens: Sequence[str], n: Numbers) -> int | None:
    value = _below_hundred(tuple(tokens), n)
    return value if value is not None and 1 <= value <= MAX_COUNT else None


def parse_duration(tokens: Sequence[str], n: Numbers) -> float | None:
    """Seconds from "ninety", "ninety seconds", "one twenty", "two minutes", "a minute",
    "a minute and a half", "half a minute", "two and a half minutes", "one minute thirty"."""
    t = tuple(tokens)
    value = _duration(t, n)
    return value if value is not None and 0 < value <= MAX_SECONDS else None


def _duration(t: tuple[str, ...], n: Numbers) -> float | None:
    if not t:
        return None
    sec, mins, half, and_ = set(n.seconds_words), set(n.minutes_words), set(n.half_words), n.and_word
    if t[-1] in sec:
        v = parse_number(t[:-1], n) if len(t) > 1 else None
        if v is None and len(t) > 1 and t[0] in n.one_words and len(t) == 2:
            v = 1
        if v is not None:
            return float(v)
        # "two minutes [and] thirty seconds"
        for i, w in enumerate(t):
            if w in mins:
                m = _duration(t[:i + 1], n)
                rest = t[i + 1:-1]
                rest = rest[1:] if rest and rest[0] == and_ else rest
                s = parse_number(rest, n)
                if m is not None and s is not None and s < 60:
                    return m + s
        return None
    if len(t) >= 3 and t[0] in half and t[1] in n.one_words and t[2] in mins and len(t) == 3:
        return 30.0  # "half a minute"
    # "... and a half" anywhere before or after the unit
    if len(t) >= 4 and t[-3] == and_ and t[-2] in n.one_words and t[-1] in half:
        base = _duration(t[:-3], n)   # "a minute and a half"
        return None if base is None or base % 60 else base + 30.0
    for i, w in enumerate(t):
        if w in mins:
            head, tail = t[:i], t[i + 1:]
            if len(head) >= 4 and head[-3] == and_ and head[-2] in n.one_words and head[-1] in half:
                m = _minutes(head[:-3], n)          # "two and a half minutes"
                m = None if m is None else m + 0.5
            else:
                m = _minutes(head, n)
            if m is None:
                return None
            if not tail:
                return m * 60.0
            s = parse_number(tail[1:] if tail[0] == and_ else tail, n)   # "one minute thirty"
            return m * 60.0 + s if s is not None and s < 60 else None
    v = parse_number(t, n)   # a bare number is seconds
    return float(v) if v is not None else None


def _minutes(t: tuple[str, ...], n: Numbers) -> float | None:
    if len(t) == 1 and t[0] in n.one_words:
        return 1.0
    v = _below_hundred(t, n)
    return float(v) if v is not None else None


# --- matching text against the vocabulary ----------------------------------------------------

def _slot_value(kind: str, tokens: tuple[str, ...], vocab: Vocabulary) -> Any:
    if kind == "exercise":
        phrase = " ".join(tokens)
        for ex, forms in vocab.exercises.items():
            if phrase in forms:
                return ex
        return None
    if vocab.numbers is None:
        return None
    if kind == "count":
        return parse_count(tokens, vocab.numbers)
    return parse_duration(tokens, vocab.numbers)


_SLOT_KIND = {"{exercise}": "exercise", "{n}": "count", "{reps}": "count", "{seconds}": "duration"}


def _match(pattern: tuple[str, ...], words: tuple[str, ...], vocab: Vocabulary
           ) -> dict[str, Any] | None:
    """Slot values if `words` is exactly `pattern`, else None (slots take 1-8 words)."""
    if not pattern:
        return {} if not words else None
    head, rest = pattern[0], pattern[1:]
    if head in _SLOT_KIND:
        for k in range(1, min(8, len(words) - len(rest)) + 1):
            value = _slot_value(_SLOT_KIND[head], words[:k], vocab)
            if value is None:
                continue
            tail = _match(rest, words[k:], vocab)
            if tail is not None:
                return {head[1:-1]: value, **tail}
        return None
    if not words or words[0] != head:
        return None
    return _match(rest, words[1:], vocab)


def strip_fillers(words: tuple[str, ...], vocab: Vocabulary) -> tuple[str, ...]:
    while words and words[0] in vocab.fillers:
        words = words[1:]
    while words and words[-1] in vocab.fillers:
        words = words[:-1]
    return words


def split_wake_word(words: tuple[str, ...], vocab: Vocabulary,
                    wake_words: Iterable[str] | None = None) -> tuple[bool, tuple[str, ...]]:
    """(addressed, the rest): `addressed` when the words start with a wake word ("hey coach ...")."""
    wakes = [tuple(w.split()) for w in (vocab.wake_words if wake_words is None else wake_words)]
    i = 0
    while i < len(words) and words[i] in vocab.fillers:
        i += 1
    for wake in wakes:
        if wake and words[i:i + len(wake)] == wake:
            return True, words[i + len(wake):]
    return False, words


def parse(text: str | Sequence[str], vocab: Vocabulary) -> Command | None:
    """The command in `text`, or None when it is not one (a wake word in front is allowed).

    When several phrasings match, the one with the most fixed words wins (the most specific)."""
    words = normalize(text) if isinstance(text, str) else tuple(text)
    _, words = split_wake_word(words, vocab)
    words = strip_fillers(words, vocab)
    if not words:
        return None
    best: tuple[int, Command] | None = None
    for spec in vocab.commands:
        cls = COMMAND_CLASSES[spec.command]
        for pattern in spec.expansions:
            literal = sum(1 for p in pattern if p not in _SLOT_KIND)
            if best is not None and literal <= best[0]:
                continue
            slots = _match(pattern, words, vocab)
            if slots is not None:
                best = (literal, cls(**{**spec.fixed, **slots}))
    return best[1] if best else None


def help_lines(state: str, vocab: Vocabulary) -> list[str]:
    """What the coach reads for "help": the commands available in `state`, one sentence each.

    `state` is the workout state: "idle" (no set running), "set", "rest" or "paused"."""
    lines = [vocab.help_intro] if vocab.help_intro else []
    for spec in vocab.commands:
        if state in spec.when and spec.help and spec.help not in lines:
            lines.append(spec.help)
    return lines


def default_vocabulary(language: str = "en") -> Vocabulary:
    """The bundled vocabulary of `language`, validated against the Command classes (and knowing
    every exercise file there is now)."""
    return _vocabulary(language, tuple(exercise_ids()))


@lru_cache(maxsize=8)
def _vocabulary(language: str, exercises: tuple[str, ...]) -> Vocabulary:
    return load_vocabulary(vocabulary_path(language), COMMAND_FIELDS)
