"""Free text -> a command of the vocabulary, for a recognizer that writes what it heard rather
than choosing from a grammar (Whisper). Pure: no I/O.

Whisper hears "coach, switch to Romani and deadlifts" or "coach, that wasn't a rap": close to a
command, not one. The text is compared, sound by sound, with every sentence the vocabulary
allows (each word in CMU phones from a pronouncing dictionary the caller gives, letter by letter
without one; "keep rest" is near "skip rest" in phones, far in letters), with each number said
in it standing in for a number slot (so "rest for 75 seconds" is the sentence "rest for #",
whose number the parser then reads). The closest sentence wins when it
is close enough and clearly closer than any sentence of another command; otherwise the text is no
command. The result is the parser's own Command, so slots mean what they mean everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from coach.core.commands import Command, normalize, number_words, parse, split_wake_word, strip_fillers
from coach.core.vocabulary import Vocabulary

T = TypeVar("T")

NUMBER = "#"   # stands for a number (and its unit) in the text and for a number slot in a sentence

# Accepted when the text is within this share of edits of a command sentence (1 - edits / length).
# "that wasn't a rap" is 0.94 of "that wasn't a rep"; "switch to romani and deadlifts" 0.87 of
# "switch to romanian deadlifts"; "call my mother" is 0.43 of its nearest command.
MIN_SIMILARITY = 0.75
# ... and when the nearest sentence of any *other* command is this much further: "end set" and
# "next set" are near each other, and a text between two commands is no command.
MIN_MARGIN = 0.08
# Phones of one class cost less to swap than phones of different classes: Whisper (and a voice)
# trade a vowel for a neighbour more than a vowel for a stop.
VOWELS = frozenset(["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"])
CONSONANT_CLASSES = (
    frozenset(["P", "B", "T", "D", "K", "G"]),                          # stops
    frozenset(["F", "V", "TH", "DH", "S", "Z", "SH", "ZH", "HH"]),      # fricatives
    frozenset(["M", "N", "NG"]), frozenset(["L", "R", "W", "Y"]), frozenset(["CH", "JH"]))
VOWEL_SWAP = 0.4
CLASS_SWAP = 0.6
PHONES = VOWELS | frozenset().union(*CONSONANT_CLASSES) | {"NG"}

Pronounce = Callable[[str], Sequence[str] | None]   # a word -> its CMU phones, None when unknown
# A first word this near a wake word ("couch", "coat") is taken for it: Whisper spells names.
MIN_WAKE_SIMILARITY = 0.75
# Candidates for a stronger model to score: at most this many sentences of one command for each
# text, and this many numbers tried for a word heard where a sentence has a number slot.
PER_COMMAND = 2
NUMBER_GUESSES = 2
# The numbers a slot is filled with when every sentence is listed (every_sentence): reps, sets
# and durations up to 100.
LISTED_NUMBERS = range(1, 101)


@dataclass(frozen=True)
class TextMatch:
    command: Command | None
    addressed: bool          # the text starts with the wake word
    similarity: float        # of the nearest command sentence, 0..1 (1: the parser took it as it is)
    margin: float            # similarity minus that of the nearest sentence of another command
    sentence: str = ""       # the command sentence it was matched to
    words: tuple[str, ...] = ()   # the text after the wake word and fillers (() : the wake word alone)

    @property
    def exact(self) -> bool:
        return self.similarity >= 1.0


# English spelling -> CMU phones, for the words a dictionary lacks ("twale", "comchant": Whisper
# spells what it half heard). Rough, as a reader would sound a word out: longest spelling first.
_SPELLINGS = (
    ("tch", "CH"), ("igh", "AY"), ("ch", "CH"), ("sh", "SH"), ("th", "TH"), ("ph", "F"), ("ck", "K"),
    ("ng", "NG"), ("qu", "K W"), ("wh", "W"), ("wr", "R"), ("kn", "N"), ("ee", "IY"), ("ea", "IY"),
    ("ie", "IY"), ("oo", "UW"), ("ue", "UW"), ("ew", "UW"), ("ai", "EY"), ("ay", "EY"), ("ei", "EY"),
    ("ey", "EY"), ("oa", "OW"), ("ow", "OW"), ("ou", "AW"), ("oi", "OY"), ("oy", "OY"), ("au", "AO"),
    ("aw", "AO"), ("er", "ER"), ("ir", "ER"), ("ur", "ER"), ("ar", "AA R"), ("or", "AO R"),
    ("a", "AE"), ("e", "EH"), ("i", "IH"), ("o", "AA"), ("u", "AH"), ("b", "B"), ("d", "D"),
    ("f", "F"), ("g", "G"), ("h", "HH"), ("j", "JH"), ("k", "K"), ("l", "L"), ("m", "M"), ("n", "N"),
    ("p", "P"), ("r", "R"), ("s", "S"), ("t", "T"), ("v", "V"), ("w", "W"), ("x", "K S"), ("z", "Z"))
_SOUND = dict(_SPELLINGS)
_GROUPS = tuple(k for k, _ in _SPELLINGS if len(k) > 1)
_LONG = {"a": "EY", "e": "IY", "i": "AY", "o": "OW", "u": "UW"}   # a vowel before consonant + final e


def letter_sounds(word: str) -> tuple[str, ...]:
    """A word's likely CMU phones from its spelling alone: "twale" -> T W EY L."""
    w = "".join(c for c in word.lower() if c.isalpha())
    out: list[str] = []
    i = 0
    while i < len(w):
        rest = w[i:]
        if rest == "e" and out:   # a final e is silent
            break
        if len(rest) == 3 and rest[0] in _LONG and rest[1] in _SOUND.keys() | {"c"} and rest[1] not in "aeiouy" \
                and rest[2] == "e":   # "ale": EY L, "ace": EY S
            out += [_LONG[rest[0]], "S" if rest[1] == "c" else _SOUND[rest[1]]]
            break
        spelling = next((k for k in _GROUPS if rest.startswith(k)), rest[0])
        if spelling == "c":
            phones = "S" if rest[1:2] in ("e", "i", "y") else "K"
        elif spelling == "y":
            phones = "Y" if i == 0 else ("IY" if i == len(w) - 1 else "IH")
        elif len(spelling) == 1 and i and w[i - 1] == spelling:   # "ll" is one L
            phones = ""
        else:
            phones = _SOUND.get(spelling, "")
        out += phones.split()
        i += len(spelling)
    return tuple(out)


def _units(words: Sequence[str], vocab: Vocabulary, pronounce: Pronounce | None) -> tuple[str, ...]:
    """The sounds of the words: CMU phones where known; a word the dictionary lacks, sounded out
    from its spelling; without a dictionary, the letters (as "a_", "b_", ...)."""
    out: list[str] = []
    for w in words:
        if w == NUMBER:
            out.append(NUMBER)
            continue
        phones = vocab.pronunciations.get(w) or (pronounce(w) if pronounce is not None else None)
        if not phones and pronounce is not None and not w.isdigit():
            phones = letter_sounds(w)
        if phones:
            out += phones.split() if isinstance(phones, str) else list(phones)
        else:
            out += [c + "_" for c in w if c.isalnum()]
    return tuple(out)


@dataclass(frozen=True)
class _Alphabet:
    ids: dict[str, int]
    swap: np.ndarray     # cost of putting unit j where unit i was; the last row and column: padding


def _alphabet(units: set[str]) -> _Alphabet:
    names = sorted(units)
    ids = {u: i for i, u in enumerate(names)}
    n = len(names)
    swap = np.ones((n + 1, n + 1))
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if a == b:
                swap[i, j] = 0.0
            elif a in VOWELS and b in VOWELS:
                swap[i, j] = VOWEL_SWAP
            elif any(a in c and b in c for c in CONSONANT_CLASSES):
                swap[i, j] = CLASS_SWAP
    return _Alphabet(ids, swap)


def _similarities(text: tuple[str, ...], sentences: Sequence[tuple[str, ...]], alphabet: _Alphabet) -> np.ndarray:
    """1 - weighted edit distance / the longer length, for `text` against each sentence (units),
    one dynamic programme over all sentences at once."""
    n = len(sentences)
    if not n:
        return np.zeros(0)
    pad = len(alphabet.ids)
    lens = np.array([len(s) for s in sentences])
    width = int(lens.max())
    units = np.full((n, width), pad, np.int32)
    for i, s in enumerate(sentences):
        units[i, :len(s)] = [alphabet.ids.get(u, pad) for u in s]
    prev = np.tile(np.arange(width + 1, dtype=float), (n, 1))   # distance of "" to each sentence prefix
    for i, u in enumerate(text, 1):
        cur = np.empty_like(prev)
        cur[:, 0] = i
        best = np.minimum(prev[:, :-1] + alphabet.swap[alphabet.ids.get(u, pad)][units], prev[:, 1:] + 1)
        for j in range(1, width + 1):   # insertions run along the row
            cur[:, j] = np.minimum(best[:, j - 1], cur[:, j - 1] + 1)
        prev = cur
    dist = prev[np.arange(n), lens]
    return 1.0 - dist / np.maximum(np.maximum(lens, len(text)), 1)


def similarity(a: str, b: str, vocab: Vocabulary, pronounce: Pronounce | None = None) -> float:
    """How near two word strings sound, 0..1 (1: the same sounds)."""
    ua, ub = _units(normalize(a), vocab, pronounce), _units(normalize(b), vocab, pronounce)
    return float(_similarities(ua, (ub,), _alphabet(set(ua) | set(ub)))[0])


def _number_words(vocab: Vocabulary) -> tuple[frozenset[str], frozenset[str]]:
    """(words that can be part of a spoken number or duration, words that make one)."""
    n = vocab.numbers
    if n is None:
        return frozenset(), frozenset()
    core = set(n.units) | set(n.teens) | set(n.tens) | {n.hundred} | set(n.minutes_words) | set(n.half_words)
    return frozenset(core | set(n.one_words) | {n.and_word} | set(n.seconds_words)), frozenset(core)


def _numbers_out(words: tuple[str, ...], vocab: Vocabulary) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The words with each spoken number replaced by NUMBER, and the numbers' words in order."""
    part, core = _number_words(vocab)
    out: list[str] = []
    spans: list[tuple[str, ...]] = []
    and_word = vocab.numbers.and_word if vocab.numbers else None
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and (words[j] in part or words[j].isdigit()):
            j += 1
        k = i
        while k < j and words[k] == and_word:   # "... and" before a number belongs to the sentence
            k += 1
        span = words[k:j]
        if span and any(w in core or w.isdigit() for w in span):
            out += words[i:k]
            out.append(NUMBER)
            spans.append(span)
            i = j
        else:
            out.append(words[i])
            i += 1
    return tuple(out), spans


@dataclass(frozen=True)
class _Sentences:
    texts: tuple[str, ...]               # each allowed sentence, numbers as NUMBER
    commands: tuple[str, ...]            # the command spec id of each
    units: tuple[tuple[str, ...], ...] = ()   # the sounds of each
    alphabet: _Alphabet | None = None
    numbers: tuple[str, ...] = ()        # the one-word numbers, for a word heard where a number was
    number_units: tuple[tuple[str, ...], ...] = ()   # the sounds of each
    slots: tuple[int, ...] = ()          # how many number slots each sentence has


# what is worked out once per vocabulary (and pronouncing dictionary): their ids -> (them, kept
# alive so that the ids stay theirs; what was worked out). A vocabulary is not hashable.
_KEPT: dict[tuple[str, tuple[int, ...]], tuple[tuple[object, ...], Any]] = {}


def _kept(what: str, owners: tuple[object, ...], make: Callable[[], T]) -> T:
    """`make()`, worked out once for `owners` (by identity; the last few kept)."""
    key = (what, tuple(map(id, owners)))
    cached = _KEPT.get(key)
    if cached is not None and all(a is b for a, b in zip(cached[0], owners)):
        return cached[1]
    value = make()
    if len(_KEPT) > 16:
        _KEPT.clear()
    _KEPT[key] = (owners, value)
    return value


def _sentences(vocab: Vocabulary, pronounce: Pronounce | None) -> _Sentences:
    return _kept("table", (vocab, pronounce), lambda: _table(vocab, pronounce))


def _table(vocab: Vocabulary, pronounce: Pronounce | None) -> _Sentences:
    texts = _sentence_texts(vocab)
    units = tuple(_units(t.split(), vocab, pronounce) for t in texts.texts)
    letters = {c + "_" for c in "abcdefghijklmnopqrstuvwxyz0123456789"}
    alphabet = _alphabet({u for s in units for u in s} | {NUMBER} | PHONES | letters)
    n = vocab.numbers
    numbers = (*n.units, *n.teens, *n.tens) if n is not None else ()
    return _Sentences(texts.texts, texts.commands, units, alphabet, numbers,
                      tuple(_units((x,), vocab, pronounce) for x in numbers),
                      tuple(t.split().count(NUMBER) for t in texts.texts))


def _sentence_texts(vocab: Vocabulary) -> _Sentences:
    forms = sorted({f for fs in vocab.exercises.values() for f in fs})
    texts: list[str] = []
    ids: list[str] = []
    for spec in vocab.commands:
        for pattern in spec.expansions:
            variants: list[tuple[str, ...]] = [()]
            for tok in pattern:
                if tok == "{exercise}":
                    variants = [v + tuple(f.split()) for v in variants for f in forms]
                elif tok.startswith("{"):
                    variants = [v + (NUMBER,) for v in variants]
                else:
                    variants = [v + (tok,) for v in variants]
            for v in variants:
                texts.append(" ".join(v))
                ids.append(spec.id)
    return _Sentences(tuple(texts), tuple(ids))


def _filled(pattern: Sequence[str], numbers: Sequence[tuple[str, ...]]) -> list[str]:
    """A sentence's words with each NUMBER slot replaced by the next number's words."""
    spans = iter(numbers)
    tokens: list[str] = []
    for tok in pattern:
        tokens += list(next(spans)) if tok == NUMBER else [tok]
    return tokens


def _wake(words: tuple[str, ...], vocab: Vocabulary, wake_words: tuple[str, ...],
          pronounce: Pronounce | None) -> tuple[bool, tuple[str, ...]]:
    addressed, rest = split_wake_word(words, vocab, wake_words)
    if addressed:
        return True, rest
    i = 0
    while i < len(words) and words[i] in vocab.fillers:
        i += 1
    for wake in wake_words:
        k = len(wake.split())
        head = " ".join(words[i:i + k])
        if head and similarity(head, wake, vocab, pronounce) >= MIN_WAKE_SIMILARITY:
            return True, words[i + k:]
    return False, words


def match_text(text: str, vocab: Vocabulary, wake_words: tuple[str, ...] | None = None,
               pronounce: Pronounce | None = None) -> TextMatch:
    """The command in free text, or TextMatch(None, ...) when no command is near enough.
    `pronounce`: a pronouncing dictionary (without one, words are compared by their letters)."""
    words = normalize(text)
    addressed, rest = _wake(words, vocab, tuple(vocab.wake_words if wake_words is None else wake_words), pronounce)
    rest = strip_fillers(rest, vocab)
    if not rest:
        return TextMatch(None, addressed, 0.0, 0.0)
    exact = parse(rest, vocab)
    if exact is not None:
        return TextMatch(exact, addressed, 1.0, 1.0, " ".join(rest), rest)
    skeleton, numbers = _numbers_out(rest, vocab)
    table = _sentences(vocab, pronounce)
    wanted = len(numbers)
    keep = [i for i, s in enumerate(table.texts) if s.count(NUMBER) == wanted]
    if not keep or table.alphabet is None:
        return TextMatch(None, addressed, 0.0, 0.0, words=rest)
    sims = _similarities(_units(skeleton, vocab, pronounce), [table.units[i] for i in keep], table.alphabet)
    order = np.argsort(-sims, kind="stable")
    best_id = table.commands[keep[int(order[0])]]
    best = float(sims[order[0]])
    other = max((float(sims[k]) for k in order if table.commands[keep[int(k)]] != best_id), default=0.0)
    # the sentence's own words, with the text's numbers put back where its slots are
    for k in order[:8]:   # the nearest sentence whose numbers the parser accepts
        sim = float(sims[k])
        if sim < MIN_SIMILARITY:
            break
        tokens = _filled(table.texts[keep[int(k)]].split(), numbers)
        command = parse(tuple(tokens), vocab)
        if command is not None:
            margin = sim - other if table.commands[keep[int(k)]] == best_id else sim - best
            if margin < MIN_MARGIN:
                break
            return TextMatch(command, addressed, sim, margin, " ".join(tokens), rest)
    return TextMatch(None, addressed, best, best - other, words=rest)


def sounds_like(words: Sequence[str], sentence: str, vocab: Vocabulary, pronounce: Pronounce | None = None) -> float:
    """How near the words a recognizer wrote (after the wake word) sound to a command sentence,
    0..1, numbers compared as numbers ("rest for 90 seconds" is "rest for ninety seconds"). The
    better of all the words and all but the first: a wake word written as another word ("cook,
    no") is no part of the command."""
    sent = _numbers_out(normalize(sentence), vocab)[0]
    tries = [tuple(words)] + ([tuple(words[1:])] if len(words) > 1 else [])
    units = [_units(_numbers_out(t, vocab)[0], vocab, pronounce) for t in tries]
    target = _units(sent, vocab, pronounce)
    alphabet = _alphabet(set(target).union(*units) | {NUMBER})
    return max(float(_similarities(u, (target,), alphabet)[0]) for u in units)


def _spoken(words: Sequence[str], vocab: Vocabulary) -> tuple[str, ...]:
    """Digits as the words said ("10" -> "ten"): Whisper writes numbers in digits, and "switch,
    10 good morning" is "switch to good morning" misheard."""
    n = vocab.numbers
    if n is None:
        return tuple(words)
    out: list[str] = []
    for w in words:
        said = number_words(int(w), n) if w.isdigit() and int(w) < 100 else None
        out += said.split() if said else [w]
    return tuple(out)


def _number_guesses(sounds: tuple[str, ...], table: _Sentences, k: int) -> list[tuple[str, ...]]:
    """The `k` number words nearest to a word's `sounds`: what a number misheard as a word
    ("target, well" for "target twelve") most likely was."""
    if not table.numbers or table.alphabet is None:
        return []
    sims = _similarities(sounds, table.number_units, table.alphabet)
    return [(table.numbers[int(i)],) for i in np.argsort(-sims, kind="stable")[:k]]


Fill = Sequence[tuple[str, ...]]   # the numbers (their words) put in a sentence's slots, in order


def _proposals(rest: tuple[str, ...], vocab: Vocabulary, pronounce: Pronounce | None,
               among: frozenset[int] | None = None) -> list[tuple[np.ndarray, list[int], list[list[Fill]]]]:
    """The ways one text is compared with the sentences (`among`: only those, by index):
    (similarities, the sentences compared, for each the numbers to put in its slots, one list
    per fill to try)."""
    table = _sentences(vocab, pronounce)
    assert table.alphabet is not None
    skeleton, numbers = _numbers_out(rest, vocab)
    # a sentence left out is as if it had a slot count no text has
    slots = table.slots if among is None else tuple(c if i in among else -1 for i, c in enumerate(table.slots))
    # each word's sounds, worked out once: the skeleton's, and again with one word a slot (below)
    sounds = [_units((w,), vocab, pronounce) for w in skeleton]
    # a sentence with as many slots as the text has numbers; a one-slot sentence may take any
    # one of them (Whisper may hear "rest, 120, rest for 90 seconds")
    keep = [i for i, c in enumerate(slots) if c in (len(numbers), min(1, len(numbers)))]
    sims = _similarities(sum(sounds, ()), [table.units[i] for i in keep], table.alphabet)
    fills: list[list[Fill]] = [[numbers] if slots[i] == len(numbers) else [[x] for x in numbers] for i in keep]
    out = [(sims, keep, fills)]
    if numbers:
        # the numbers may be words misheard: the sentences without a slot, against the words said
        plain = [i for i, c in enumerate(slots) if c == 0]
        out.append((_similarities(_units(_spoken(rest, vocab), vocab, pronounce),
                                  [table.units[i] for i in plain], table.alphabet), plain, [[()]] * len(plain)))
    else:
        # or a number misheard as a word: each word in turn taken for a number slot, filled
        # with the numbers that sound nearest to it
        one = [i for i, c in enumerate(slots) if c == 1]
        for j in range(len(rest)):
            guessed = sum(sounds[:j], ()) + (NUMBER,) + sum(sounds[j + 1:], ())
            sims = _similarities(guessed, [table.units[i] for i in one], table.alphabet)
            guesses: list[Fill] = [[g] for g in _number_guesses(sounds[j], table, NUMBER_GUESSES)]
            out.append((sims, one, [guesses] * len(one)))
    return out


def every_sentence(vocab: Vocabulary) -> dict[str, Command]:
    """Every command sentence, each number slot filled as Whisper writes a number: each of
    LISTED_NUMBERS in digits, alone and with the vocabulary's seconds and minutes word, where the
    parser takes it ("target 12", "rest for 90 seconds"). Worked out once per vocabulary."""
    return _kept("every sentence", (vocab,), lambda: _every_sentence(vocab))


def _every_sentence(vocab: Vocabulary) -> dict[str, Command]:
    n = vocab.numbers
    units = [""] + ([f" {n.seconds_words[-1]}", f" {n.minutes_words[-1]}"] if n is not None else [])
    out: dict[str, Command] = {}
    for text in _sentence_texts(vocab).texts:
        words = text.split()
        fills = [f"{k}{u}" for u in units for k in LISTED_NUMBERS] if NUMBER in words else [""]
        for fill in fills:
            sentence = " ".join(fill if w == NUMBER else w for w in words)
            command = parse(tuple(sentence.split()), vocab)
            if command is not None:
                out.setdefault(sentence, command)
    return out


def first_words(vocab: Vocabulary) -> frozenset[str]:
    """The words the vocabulary's command sentences begin with ("start", "rest", "how")."""
    return frozenset(t.split()[0] for t in _sentence_texts(vocab).texts) - {NUMBER}


def nearest_sentences(texts: Sequence[str], vocab: Vocabulary, pronounce: Pronounce | None = None,
                      per_text: int = 8, beginning: frozenset[str] | None = None) -> list[tuple[str, Command]]:
    """The command sentences that sound nearest to each of `texts` (what the recognizers made of
    one utterance), each with the numbers said in that text in its slots, and its Command: the
    few candidates a stronger model then scores against the audio (coach.core.command_scores).
    Nearest first for each text; no sentence twice; at most PER_COMMAND sentences of one command
    for each text, so that the few candidates are different commands ("start rdl", "start r d l"
    and "rdl" are one). `beginning`: only the sentences that begin with one of these words."""
    table = _sentences(vocab, pronounce)
    among = None if beginning is None else frozenset(
        i for i, t in enumerate(table.texts) if t.split(maxsplit=1)[0] in beginning)
    out: dict[str, Command] = {}
    for text in texts:
        _, rest = _wake(normalize(text), vocab, tuple(vocab.wake_words), pronounce)
        rest = strip_fillers(rest, vocab)
        if not rest or table.alphabet is None:
            continue
        ranked = sorted(((float(sims[k]), keep[k], fill)
                         for sims, keep, fills in _proposals(rest, vocab, pronounce, among)
                         for k in range(len(keep)) for fill in fills[k]), key=lambda x: -x[0])
        found = 0
        per_command: dict[Command, int] = {}
        for _, i, fill in ranked:
            tokens = _filled(table.texts[i].split(), fill)
            sentence = " ".join(tokens)
            command = parse(tuple(tokens), vocab)
            if command is None or sentence in out or per_command.get(command, 0) >= PER_COMMAND:
                continue
            out[sentence] = command
            per_command[command] = per_command.get(command, 0) + 1
            found += 1
            if found >= per_text:
                break
    return list(out.items())
