"""The voice-command vocabulary: loads and validates `coach/vocab/<lang>.toml`.

The same data drives the text parser (coach.core.commands) and the recognizers' grammars
(coach.voice.grammar), so what the recognizer can hear is exactly what the parser understands.
Errors raise VocabError naming the file and the key.

Phrasing syntax: words, `[optional words]`, `(a | b c)` alternatives, `{slot}` values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.core.datafile import read_toml, shipped
from coach.core.errors import CoachError
from coach.core.events import Command
from coach.core.exercises import exercise_ids, load_exercise

# slot name -> value type. The slot name is also the Command field it fills.
SLOT_TYPES = {"exercise": "exercise", "n": "count", "reps": "count", "seconds": "duration"}
STATES = ("idle", "set", "rest", "paused")
ANSWER_YES = "Yes"  # the command that confirms a held one (coach.core.commands.Yes)
_WORD = re.compile(r"^[^\s\[\]\(\)\{\}|]+$")


class VocabError(CoachError):
    """A vocabulary file that cannot be used. str() names the file and key."""


# --- the phrasing mini-language -------------------------------------------------------------

@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class Slot:
    name: str


@dataclass(frozen=True)
class Optional_:
    body: Seq


@dataclass(frozen=True)
class Alt:
    options: tuple[Seq, ...]


Node = Word | Slot | Optional_ | Alt
Seq = tuple[Node, ...]


def _tokenize_phrasing(text: str) -> list[str]:
    return re.findall(r"\{[^}]*\}|[\[\]\(\)|]|[^\s\[\]\(\)|{}]+", text)


def parse_phrasing(text: str) -> Seq:
    """Parse one phrasing into a tree; ValueError with a short reason when malformed."""
    tokens = _tokenize_phrasing(text.strip().lower())
    pos = 0

    def seq(closers: str) -> Seq:
        nonlocal pos
        items: list[Node] = []
        while pos < len(tokens) and tokens[pos] not in closers:
            tok = tokens[pos]
            pos += 1
            if tok == "[":
                body = alternatives("]")
                items.append(Optional_(body if isinstance(body, tuple) else (body,)))
            elif tok == "(":
                body = alternatives(")")
                items.append(body if isinstance(body, Alt) else Alt((body,)))
            elif tok.startswith("{"):
                name = tok[1:-1].strip()
                if name not in SLOT_TYPES:
                    raise ValueError(f"unknown slot {{{name}}} (known: {', '.join(SLOT_TYPES)})")
                items.append(Slot(name))
            elif tok in "])|":
                raise ValueError(f"unexpected '{tok}'")
            elif not _WORD.match(tok):
                raise ValueError(f"bad word '{tok}'")
            else:
                items.append(Word(tok))
        return tuple(items)

    def alternatives(closer: str) -> Seq | Alt:
        nonlocal pos
        options = [seq(closer + "|")]
        while pos < len(tokens) and tokens[pos] == "|":
            pos += 1
            options.append(seq(closer + "|"))
        if pos >= len(tokens) or tokens[pos] != closer:
            raise ValueError(f"missing '{closer}'")
        pos += 1
        if any(not o for o in options):
            raise ValueError("empty alternative")
        return Alt(tuple(options)) if len(options) > 1 else options[0]

    result = seq("")
    if pos != len(tokens):
        raise ValueError(f"unexpected '{tokens[pos]}'")
    if not result:
        raise ValueError("empty phrasing")
    return result


def expand(seq: Seq) -> list[tuple[str, ...]]:
    """Every token sequence a phrasing allows; slots stay as '{name}' tokens."""
    outs: list[tuple[str, ...]] = [()]
    for node in seq:
        if isinstance(node, Word):
            outs = [o + (node.text,) for o in outs]
        elif isinstance(node, Slot):
            outs = [o + ("{" + node.name + "}",) for o in outs]
        elif isinstance(node, Optional_):
            tails = [()] + expand(node.body)
            outs = [o + t for o in outs for t in tails]
        else:
            tails = [t for opt in node.options for t in expand(opt)]
            outs = [o + t for o in outs for t in tails]
    return outs


def phrasing_words(seq: Seq) -> set[str]:
    return {w for alt in expand(seq) for w in alt if not w.startswith("{")}


# --- the vocabulary -------------------------------------------------------------------------

@dataclass(frozen=True)
class CommandSpec:
    id: str                      # the table key, e.g. "count_every_rep"
    command: str                 # the Command class name, e.g. "CountEvery"
    phrasings: tuple[Seq, ...]
    expansions: tuple[tuple[str, ...], ...]
    fixed: Mapping[str, Any]     # slot values set by the phrasing itself
    help: str
    when: tuple[str, ...]
    # heard with low confidence, it is not done before the lifter says yes: it discards or
    # ends something (the set, a rep, the workout)
    confirm: bool = False


@dataclass(frozen=True)
class Numbers:
    units: Mapping[str, int]
    teens: Mapping[str, int]
    tens: Mapping[str, int]
    hundred: str
    one_words: tuple[str, ...]
    seconds_words: tuple[str, ...]
    minutes_words: tuple[str, ...]
    half_words: tuple[str, ...]
    and_word: str


@dataclass(frozen=True)
class Vocabulary:
    language: str
    source: str
    wake_words: tuple[str, ...]
    fillers: tuple[str, ...]
    rejection: str
    help_intro: str
    exercises: Mapping[str, tuple[str, ...]]   # exercise id -> spoken forms (normalized)
    numbers: Numbers | None
    commands: tuple[CommandSpec, ...]
    pronunciations: Mapping[str, str]          # word -> CMU phones, for PocketSphinx
    garbage_words: tuple[str, ...] = ()         # common non-command words: out-of-vocabulary paths
    trailing_fillers: tuple[str, ...] | None = None   # fillers heard after a command (None: all)

    def needs_confirmation(self, command: str | Command) -> bool:
        """Whether `command` (a Command, or its class name like "FinishWorkout"), heard with low
        confidence, must be confirmed before it is done (`confirm = true` in the file)."""
        name = command if isinstance(command, str) else type(command).__name__
        return any(spec.confirm for spec in self.commands if spec.command == name)

    @property
    def fillers_after(self) -> tuple[str, ...]:
        return self.fillers if self.trailing_fillers is None else self.trailing_fillers

    def words(self) -> set[str]:
        """Every word the grammar can produce (for recognizer dictionaries)."""
        out = set(self.wake_words) | set(self.fillers)
        for forms in self.exercises.values():
            for f in forms:
                out.update(f.split())
        if self.numbers:
            n = self.numbers
            out.update(n.units, n.teens, n.tens, n.one_words, n.seconds_words, n.minutes_words,
                       n.half_words)
            out.update({n.hundred, n.and_word})
        for spec in self.commands:
            for seq in spec.phrasings:
                out |= phrasing_words(seq)
        return out


def _need(table: Mapping[str, Any], key: str, kind: type, where: str, file: str) -> Any:
    if key not in table:
        raise VocabError(f"{file}: {where}{key}: missing")
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise VocabError(f"{file}: {where}{key}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _str_list(table: Mapping[str, Any], key: str, where: str, file: str,
              default: list[str] | None = None) -> tuple[str, ...]:
    if key not in table and default is not None:
        return tuple(default)
    value = _need(table, key, list, where, file)
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise VocabError(f"{file}: {where}{key}: expected a list of non-empty strings")
    return tuple(" ".join(v.lower().split()) for v in value)


def _numbers(table: Any, file: str) -> Numbers:
    if not isinstance(table, dict):
        raise VocabError(f"{file}: numbers: expected a table")
    maps = {}
    for key in ("units", "teens", "tens"):
        m = _need(table, key, dict, "numbers.", file)
        for word, value in m.items():
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 100:
                raise VocabError(f"{file}: numbers.{key}.{word}: expected a whole number 0-99")
        maps[key] = {w.lower(): v for w, v in m.items()}
    return Numbers(
        units=maps["units"], teens=maps["teens"], tens=maps["tens"],
        hundred=_need(table, "hundred", str, "numbers.", file),
        one_words=_str_list(table, "one_words", "numbers.", file, []),
        seconds_words=_str_list(table, "seconds_words", "numbers.", file),
        minutes_words=_str_list(table, "minutes_words", "numbers.", file),
        half_words=_str_list(table, "half_words", "numbers.", file, []),
        and_word=table.get("and_word", "and"))


def load_vocabulary(path: str | Path,
                    known_commands: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] | None = None
                    ) -> Vocabulary:
    """Load and validate a vocabulary file.

    `known_commands` maps Command class names to (required, allowed) slot fields (coach.core.commands
    passes it),
    so a phrasing that forgets a slot, or names a command that does not exist, fails here."""
    file = str(path)
    data = read_toml(path, VocabError, "vocabulary file")

    language = _need(data, "language", str, "", file)
    exercises_t = _need(data, "exercises", dict, "", file)
    exercises = {ex: _str_list(exercises_t, ex, "exercises.", file) for ex in exercises_t}
    if language.startswith("en"):  # an exercise file the vocabulary does not know yet: its own names
        for ex_id in exercise_ids():
            if ex_id not in exercises:
                ex = load_exercise(ex_id)
                forms = (ex.name.replace("-", " "), ex.spoken)
                exercises[ex_id] = tuple(dict.fromkeys(" ".join(f.lower().split()) for f in forms))
    numbers = _numbers(data["numbers"], file) if "numbers" in data else None
    pron_t = data.get("pronunciations", {})
    if not isinstance(pron_t, dict) or not all(isinstance(v, str) for v in pron_t.values()):
        raise VocabError(f"{file}: pronunciations: expected a table of word = \"PHONES\"")

    commands_t = _need(data, "commands", dict, "", file)
    specs: list[CommandSpec] = []
    for cid, entry in commands_t.items():
        where = f"commands.{cid}."
        if not isinstance(entry, dict):
            raise VocabError(f"{file}: commands.{cid}: expected a table")
        cls = _need(entry, "command", str, where, file)
        raw = _need(entry, "phrasings", list, where, file)
        if not raw:
            raise VocabError(f"{file}: {where}phrasings: empty")
        seqs = []
        for i, text in enumerate(raw):
            if not isinstance(text, str):
                raise VocabError(f"{file}: {where}phrasings[{i}]: expected a string")
            try:
                seqs.append(parse_phrasing(text))
            except ValueError as e:
                raise VocabError(f"{file}: {where}phrasings[{i}]: {e} in \"{text}\"") from None
        fixed = entry.get("set", {})
        if not isinstance(fixed, dict):
            raise VocabError(f"{file}: {where}set: expected a table")
        when = _str_list(entry, "when", where, file, list(STATES))
        for w in when:
            if w not in STATES:
                raise VocabError(f"{file}: {where}when: unknown state '{w}' (known: {', '.join(STATES)})")
        expansions = tuple(e for s in seqs for e in expand(s))
        if known_commands is not None:
            if cls not in known_commands:
                raise VocabError(f"{file}: {where}command: unknown command '{cls}'")
            required, allowed = known_commands[cls]
            for exp in expansions:
                filled = {t[1:-1] for t in exp if t.startswith("{")} | set(fixed)
                if not set(required) <= filled <= set(allowed):
                    raise VocabError(
                        f"{file}: {where}phrasings: '{' '.join(exp)}' fills {sorted(filled)}, "
                        f"but {cls} takes {sorted(allowed)} and needs {sorted(required)}")
        uses_numbers = any(t in ("{n}", "{reps}", "{seconds}") for e in expansions for t in e)
        if uses_numbers and numbers is None:
            raise VocabError(f"{file}: numbers: missing (commands.{cid} uses a number)")
        confirm = _need(entry, "confirm", bool, where, file) if "confirm" in entry else False
        other = next((sp for sp in specs if sp.command == cls and sp.confirm != confirm), None)
        if other is not None:  # one command, one answer: the recognizer does not say which table
            raise VocabError(f"{file}: {where}confirm: {str(confirm).lower()}, but commands.{other.id} "
                             f"(also {cls}) says {str(other.confirm).lower()}; give both the same")
        specs.append(CommandSpec(cid, cls, tuple(seqs), expansions, dict(fixed),
                                 str(entry.get("help", "")), when, confirm))
    asks = next((sp for sp in specs if sp.confirm), None)
    if asks is not None and not any(sp.command == ANSWER_YES for sp in specs):
        raise VocabError(f"{file}: commands.{asks.id}.confirm: true, but no command is {ANSWER_YES}: "
                         f"the lifter could never confirm it")

    return Vocabulary(
        language=language, source=file,
        wake_words=_str_list(data, "wake_words", "", file, []),
        fillers=_str_list(data, "fillers", "", file, []),
        rejection=str(data.get("rejection", "")),
        help_intro=str(data.get("help_intro", "")),
        exercises=exercises, numbers=numbers, commands=tuple(specs),
        pronunciations={k.lower(): v for k, v in pron_t.items()},
        garbage_words=_garbage(data, file),
        trailing_fillers=_trailing_fillers(data, file))


def _trailing_fillers(data: Mapping[str, Any], file: str) -> tuple[str, ...] | None:
    if "trailing_fillers" not in data:
        return None
    words = _str_list(data, "trailing_fillers", "", file, [])
    fillers = _str_list(data, "fillers", "", file, [])
    unknown = [w for w in words if w not in fillers]
    if unknown:
        raise VocabError(f"{file}: trailing_fillers: {', '.join(unknown)} not in fillers")
    return words


def _garbage(data: Mapping[str, Any], file: str) -> tuple[str, ...]:
    table = data.get("rejection_words", {})
    if not isinstance(table, dict):
        raise VocabError(f"{file}: rejection_words: expected a table")
    return _str_list(table, "words", "rejection_words.", file, [])


def vocabulary_path(language: str = "en") -> Path:
    return shipped("vocab", f"{language}.toml")
