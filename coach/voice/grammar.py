"""Recognizer grammars generated from the vocabulary, so the recognizer can only hear what the
parser understands: a JSGF grammar for PocketSphinx, a phrase list for Vosk."""

from __future__ import annotations

from collections.abc import Sequence

from coach.core.commands import GYM_HUNDREDS, normalize, parse, split_wake_word
from coach.core.vocabulary import Alt, Optional_, Seq, Slot, Vocabulary, Word

_SLOT_RULES = {"exercise": "<exercise>", "n": "<count>", "reps": "<count>", "seconds": "<duration>"}


def _alts(words) -> str:
    return " | ".join(sorted(words))


def _jsgf_seq(seq: Seq) -> str:
    parts = []
    for node in seq:
        if isinstance(node, Word):
            parts.append(node.text)
        elif isinstance(node, Slot):
            parts.append(_SLOT_RULES[node.name])
        elif isinstance(node, Optional_):
            parts.append("[" + _jsgf_seq(node.body) + "]")
        elif isinstance(node, Alt):
            parts.append("(" + " | ".join(_jsgf_seq(o) for o in node.options) + ")")
    return " ".join(parts)


def _trie(sentences: Sequence[tuple[str, ...]]) -> str:
    """Alternatives sharing their first words as one JSGF expression: "(keep (your back flat |
    the load close) | ...)". The decoder then starts one path per first word, not per sentence."""
    root: dict = {}
    for tokens in sentences:
        node = root
        for tok in tokens:
            node = node.setdefault(tok, {})
        node[None] = {}   # a sentence ends here

    def render(node: dict) -> str:
        alts = [tok + (" " + render(child) if child.keys() - {None} else "")
                for tok, child in node.items() if tok is not None]
        body = alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")"
        return f"[{body}]" if None in node else body

    return render(root)


def jsgf(vocab: Vocabulary, wake_word: str | None = None, own: Sequence[tuple[str, ...]] = ()) -> str:
    """A JSGF grammar of every command, with an optional wake word in front and a filler after.

    `own`: the coach's own sentences (coach.voice.own_speech, as tokens), a competing path: its
    voice heard through the microphone decodes as itself, which is no command. One sentence per
    utterance: `<own>+` caught a little more but cost 7x the CPU of the commands alone (the loop
    restarts every sentence at every word end), the trie and a single sentence 1.4x.

    The wake word stays optional in the grammar: whether it is required is the listener's
    decision, so one grammar serves both modes. The wake word alone is a sentence too
    ("coach" ... pause ... "how many")."""
    wakes = [wake_word] if wake_word else list(vocab.wake_words)
    lines = ["#JSGF V1.0;", "grammar coach;"]
    exercise_forms = {f for forms in vocab.exercises.values() for f in forms}
    lines.append(f"<exercise> = {_alts(exercise_forms)};")
    n = vocab.numbers
    if n:
        ones = _alts(set(n.one_words) | set(n.units)) if n.one_words else _alts(n.units)
        gym = _alts(w for w, v in n.units.items() if v in GYM_HUNDREDS)
        lines += [
            f"<digit> = {_alts(n.units)};",
            f"<teen> = {_alts(n.teens)};",
            f"<tens> = {_alts(n.tens)};",
            "<count> = <digit> | <teen> | <tens> [<digit>];",
            # 1-999, including the gym's "one twenty" and "two ten"
            f"<number> = <count> | ({gym}) (<teen> | <tens> [<digit>])"
            f" | ({ones}) {n.hundred} [[{n.and_word}] <count>];",
            f"<sec> = {_alts(n.seconds_words)};",
            f"<min> = {_alts(n.minutes_words)};",
        ]
        dur = ["<number> [<sec>]", f"({ones} | <count>) <min> [[{n.and_word}] <count> [<sec>]]"]
        if n.half_words and n.one_words:
            half, one = _alts(n.half_words), _alts(n.one_words)
            dur += [f"({one}) <min> {n.and_word} ({one}) ({half})",
                    f"({half}) ({one}) <min>",
                    f"<count> {n.and_word} ({one}) ({half}) <min>"]
        lines.append("<duration> = " + " | ".join(dur) + ";")
    names = []
    for spec in vocab.commands:
        name = f"<cmd_{spec.id}>"
        names.append(name)
        lines.append(f"{name} = " + " | ".join(_jsgf_seq(s) for s in spec.phrasings) + ";")
    lines.append(f"<command> = {' | '.join(names)};")
    filler = f" [{_alts(vocab.fillers_after)}]" if vocab.fillers_after else ""
    own_path = ""
    if own:
        lines.append(f"<own> = {_trie(own)};")
        own_path = " | <own>"
    if wakes:   # "coach, how many", or "coach" alone, then the command
        lines.append(f"<wake> = {_alts(wakes)};")
        lines.append(f"public <utterance> = [<wake>] <command>{filler} | <wake>{own_path};")
    else:
        lines.append(f"public <utterance> = <command>{filler}{own_path};")
    return "\n".join(lines) + "\n"


def phrase_list(vocab: Vocabulary, wake_word: str | None = None, limit: int = 5000) -> list[str]:
    """Every sentence the vocabulary allows, for Vosk's grammar list (numbers expanded 1-99).

    Vosk compiles the list into a small graph, so the list must stay finite and modest."""
    wakes = [wake_word] if wake_word else list(vocab.wake_words)
    exercise_forms = sorted({f for forms in vocab.exercises.values() for f in forms})
    counts = _count_words(vocab)
    durations = [f"{c} {s}" for c in counts for s in (vocab.numbers.seconds_words[-1:] if vocab.numbers else [])]
    durations += counts
    if vocab.numbers:
        durations += [f"{c} {vocab.numbers.minutes_words[-1]}" for c in counts[:10]]
    fill = {"{exercise}": exercise_forms, "{n}": counts, "{reps}": counts, "{seconds}": durations}
    out: list[str] = []
    for spec in vocab.commands:
        for exp in spec.expansions:
            partial = [""]
            for tok in exp:
                options = fill.get(tok, [tok])
                partial = [(p + " " + o).strip() for p in partial for o in options]
            out.extend(partial)
    out = list(dict.fromkeys(out))
    base = out[:]
    for w in wakes:
        out += [w] + [f"{w} {p}" for p in base]
    if len(out) > limit:  # keep every command shape, cap the numeric variants
        out = out[:limit]
    return out


def _count_words(vocab: Vocabulary) -> list[str]:
    n = vocab.numbers
    if not n:
        return []
    out = list(n.units) + list(n.teens)
    for t in n.tens:
        out.append(t)
        out += [f"{t} {u}" for u in n.units]
    return out


class CommandEnds:
    """Whether the words heard so far are a whole command that cannot go on, so the listener can
    answer after a short pause instead of a long one.

    "coach how many" cannot go on except with "reps", so it is not final; "coach how many reps"
    is. A number can always go on ("twenty" -> "twenty five", "ninety" -> "ninety seconds"), so a
    command ending in one is never final. Numbers and durations are compared as one token, "#"."""

    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab
        n = vocab.numbers
        self._numeric = set()
        self._open_end = set()
        if n:
            self._numeric = (set(n.units) | set(n.teens) | set(n.tens) | set(n.one_words) | set(n.half_words)
                             | set(n.seconds_words) | set(n.minutes_words) | {n.hundred, n.and_word})
            self._open_end = self._numeric - set(n.seconds_words)
        forms = sorted({f for fs in vocab.exercises.values() for f in fs})
        self._prefixes: set[tuple[str, ...]] = set()
        for spec in vocab.commands:
            for exp in spec.expansions:
                shapes: list[tuple[str, ...]] = [()]
                for tok in exp:
                    options = ([tuple(f.split()) for f in forms] if tok == "{exercise}"
                               else [("#",)] if tok.startswith("{") else [(tok,)])
                    shapes = [s + o for s in shapes for o in options]
                for shape in shapes:
                    shape = self._shape(shape)
                    self._prefixes.update(shape[:i] for i in range(1, len(shape)))

    def _shape(self, words: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for w in words:
            w = "#" if w in self._numeric else w
            if not (w == "#" and out and out[-1] == "#"):
                out.append(w)
        return tuple(out)

    def is_final(self, text: str) -> bool:
        _, rest = split_wake_word(normalize(text), self.vocab)
        # Not after a filler: in a long sentence's pause the decoder's best guess so far is often
        # a command plus "now" or "okay" (real speech: 3 false accepts in 5 min, 0 without).
        if not rest or rest[-1] in self._open_end or rest[-1] in self.vocab.fillers:
            return False
        if parse(rest, self.vocab) is None:
            return False
        return self._shape(rest) not in self._prefixes
