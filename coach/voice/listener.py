"""From audio chunks to commands: endpointing, recognition, wake word, rejection, self-speech gate.

Two stages (`second`, a WhisperWorker): in mode "both" the fast grammar recognizer answers what
it is sure of in a quiet room, and any other utterance goes to Whisper, which scores the
commands nearest to what both wrote against the audio (coach.core.command_scores; its text
matched onto the vocabulary, coach.core.command_match, when there is nothing to score); in mode
"accurate" every utterance goes to Whisper. Whisper's answers come back on a later `process()` call (its worker
runs beside the listener) or at `flush()`.

The same Listener serves a WAV file, a microphone, the tests and the benchmark: feed it
AudioChunks, get back Heard records (accepted commands and everything that was not one).

Self-speech: while the coach speaks, the speech side calls `gate(until_t)` or sets `speaking`;
gated audio reaches neither the endpointer nor the recognizer, so the coach's own voice never
becomes a command, and an utterance that overlaps the coach's speech is dropped. Both are
thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from coach.core.command_match import TextMatch, match_text, sounds_like
from coach.core.command_scores import Choice, choose
from coach.core.commands import Command, No, Yes, normalize, parse, split_wake_word, strip_fillers
from coach.core.events import CommandHeard, CommandRejected
from coach.core.session import CONFIRM_WINDOW_S
from coach.core.vocabulary import Vocabulary
from coach.voice.audio import RATE, AudioChunk
from coach.voice.endpoint import QUIET_SNR_DB, EndpointConfig, EnergyEndpointer, speech_level_db
from coach.voice.grammar import CommandEnds
from coach.voice.pronounce import cmu_pronouncer
from coach.voice.recognizers import GARBAGE, Recognizer
from coach.voice.whisper_stage import Transcript
from coach.voice.whisper_worker import Done, Job, WhisperWorker

FRAME = 480           # 30 ms at 16 kHz: the endpointer's frame
ARMED_S = 4.0         # after "coach" alone, the next utterance within this time is addressed
GATE_TAIL_S = 0.3     # room echo after the coach stops speaking
# A pause this long after words that are a whole command that cannot go on ends the utterance
# (otherwise the endpointer's hang, ~0.27 s, does): the answer comes sooner. Shorter pauses occur
# inside words (a stop consonant's closure).
EARLY_END_S = 0.15
EARLY_END_MIN_CONFIDENCE = 0.9
# Accepted from this confidence up, with the wake word. Just above 0.5 a command was more often
# wrong than right: of 631 results from 0.5 up (10 synthetic voices, clean to 5 dB SNR), 4 right
# and 6 wrong ones lay below 0.6, and so did the two false accepts with the wake word the bench
# found (real speech 0.51, gym noise 0.57). Below it, "Sorry, say that again".
MIN_CONFIDENCE = 0.6
MODES = ("fast", "accurate", "both")
# Mode "both":
# - the fast recognizer's answer stands at once from SURE_CONFIDENCE up, in a quiet room (no
#   wait for Whisper);
# - anything else goes to Whisper, which scores the candidate command sentences against the
#   audio (coach.core.command_scores) with the fast recognizer's answer as evidence: one
#   decision, the command with at least 0.8 of the candidates' probability, else "say that
#   again". When Whisper could not score (its text near no sentence, dropped, failed), the two
#   answers are weighed as before: the same command -> it (also when the grammar wrote it but was
#   unsure: the two confidences combine, as the proposer scores nothing when the two ears wrote
#   the same command); Whisper alone -> Whisper's; the fast one alone -> it only from
#   FIRST_ALONE up; two different commands -> Whisper's from WHISPER_OVERRIDES up, else neither
#   (a wrong command is worse than a "say that again").
SURE_CONFIDENCE = 0.99
# ... but only in a quiet room (QUIET_SNR_DB above the noise floor the endpointer tracks). In
# noise the grammar is sometimes sure and wrong (bench_voice's commands: 6 of its 148 sure
# answers at 5-20 dB SNR, none of 102 in quiet), and Whisper confirms what it says.
FIRST_ALONE = 0.95
WHISPER_OVERRIDES = 0.8
# A command accepted below this is marked unsure: one that ends or discards something is asked
# about first ("Finish the workout? Say yes.").
CONFIRM_BELOW = 0.9
# Whisper's answer: its text's mean token log-probability and Whisper's own no-speech probability.
# Below MIN_LOGPROB the text is a guess (noise read as words); above MAX_NO_SPEECH it heard none.
WHISPER_MIN_LOGPROB = -1.0
WHISPER_SURE_LOGPROB = -0.5
WHISPER_MAX_NO_SPEECH = 0.6
# The wake word scored as the first word of the candidates: from this log-probability up it was
# said, even when Whisper wrote it as "go" or "cook".
WHISPER_WAKE_LOGPROB = -3.0
# ... or when the command fits the audio about as well with the name before it as without it
# (Transcript.name_gain, nats): Whisper skips a muffled "coach" it does not write ("culture,
# resume", "scopes rest 120"), but forcing the name onto audio that holds none costs it dearly.
# Chosen on the development set (bench_voice.py --development): the commands said with the name
# that Whisper did not write scored -6 to +1 (the right ones from -1.7 up); the same commands said
# without the name, -11.5 and below.
WHISPER_NAME_GAIN = -3.0
# ... and it was not said when the name costs the command more than this and only the grammar
# recognizer heard it: in noise the grammar, whose every path starts with the name, makes it up,
# and a command said to a training partner ("pause") became the lifter's (bench_voice.py
# --unaddressed).
WHISPER_NAME_ABSENT = -12.0
# Evidence for a command in Whisper's scores (nats, times the confidence of the ear that heard
# it): the grammar recognizer's answer and the command Whisper's own text spells. 3 nats is a
# factor of 20: it settles a close call between two sentences, not a clear one.
FIRST_EVIDENCE = 3.0
TEXT_EVIDENCE = 3.0
# A command Whisper chose that the grammar recognizer did not hear must be a sentence Whisper
# finds plausible in itself: a mean token log-probability (its end included) of -4 or more
# (each token at least ~2 % likely). Deep in noise (5 dB SNR) Whisper makes up a command-like
# text ("coach, feel the squat") and its scores then agree with it; of its choices alone on the
# bench's utterances, the right ones lay above -3.5 (95 %), 6 of the 9 wrong ones below -4.2
# (docs/voice.md).
WHISPER_ALONE_MIN_MEAN_LOGPROB = -4.0
# ... and Whisper's own words must sound like it, at least half of their sounds (after the wake
# word, coach.core.command_match.sounds_like): the scores choose among the candidates, and when
# none was said one of them still comes out on top ("coach, aim" -> pause, "coach, switch, turn
# your head, end lift" -> deadlift). On the bench's tuned voices and five voices in neither set
# (10 conditions, 960 commands): 8 of 36 wrong commands refused, 2 right ones lost.
WHISPER_ALONE_MIN_SOUNDS_LIKE = 0.5
# ... unless the scores leave no doubt: the command holds this share of the candidates'
# probability, both judges (Whisper and Moonshine) weighed in. Whisper's text of a muffled
# command is often no help at all ("country beat" for "coach, repeat", "congie" for "coach,
# yeah"), while its scores still find the command. On the development set (bench_voice.py
# --development both, 576 commands): 505 -> 514 right, wrong commands 6 -> 8; commands said
# without the name and taken (--unaddressed): unchanged.
WHISPER_ALONE_SURE = 0.99


@dataclass(frozen=True)
class Heard:
    """One utterance and what became of it."""

    t: float                 # end of the utterance (the audio clock)
    start: float
    text: str                # the recognizer's words (GARBAGE for out-of-vocabulary speech)
    command: Command | None  # set when accepted
    addressed: bool          # the wake word was heard (or is not required)
    accepted: bool
    reason: str = ""         # why not accepted: no wake word, not a command, low confidence, gated
    confidence: float = 1.0
    wake: bool = False       # the wake word itself was heard (or armed by "coach" alone)
    stage: str = "fast"      # which recognizer decided: "fast" (the grammar) or "whisper"

    @property
    def rejected(self) -> bool:
        """Speech clearly meant for the coach that was not understood: say "Sorry, say that again"."""
        return self.addressed and not self.accepted and self.reason in ("not a command", "low confidence")

    def to_json(self) -> dict:
        out = {"t": round(self.t, 3), "start": round(self.start, 3), "text": self.text,
               "accepted": self.accepted, "stage": self.stage}
        if self.command is not None:
            out["command"] = self.command.to_json()
        if self.reason:
            out["reason"] = self.reason
        return out


def _heard_as(first: Heard | None, command: Command | None) -> bool:
    """The first recognizer accepted this very command: a second ear that agrees."""
    return first is not None and first.accepted and command is not None and first.command == command


def to_event(heard: Heard) -> CommandHeard | CommandRejected | None:
    """The event the rest of the coach sees: a command, a "say that again", or nothing."""
    if heard.accepted and heard.command is not None:
        return CommandHeard(heard.t, heard.command, heard.text, confirm=heard.confidence < CONFIRM_BELOW)
    if heard.rejected:
        return CommandRejected(heard.t, heard.text, heard.reason)
    return None


class Listener:
    def __init__(self, recognizer: Recognizer, vocab: Vocabulary, wake_word: str | None = None,
                 require_wake_word: bool = True, min_confidence: float = MIN_CONFIDENCE,
                 min_confidence_unaddressed: float = 0.9,
                 endpoint: EndpointConfig | None = None,
                 second: WhisperWorker | None = None, mode: str = "fast",
                 sure_confidence: float = SURE_CONFIDENCE):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.recognizer, self.vocab = recognizer, vocab
        self.second = second if mode != "fast" else None
        self.mode = mode if second is not None else "fast"
        self.sure_confidence = sure_confidence
        self.second_missing = ""   # why Whisper was asked for and is not used (set by the builder)
        self._pronounce = cmu_pronouncer() if self.second is not None else None
        self._utt_audio: list[np.ndarray] = []
        self.wake_words = (wake_word,) if wake_word else vocab.wake_words
        self.require_wake_word = require_wake_word and bool(self.wake_words)
        # Without the wake word nothing says the speech was meant for the coach, so the
        # recognizer must be surer (a quiet room, someone reading aloud nearby).
        self.min_confidence = min_confidence
        self.min_confidence_unaddressed = max(min_confidence, min_confidence_unaddressed)
        self._ep = EnergyEndpointer(endpoint)
        self._ends = CommandEnds(vocab)
        self._held: tuple[Heard, int] | None = None   # an early, unsure command and its frame
        self._last_partial = ""
        self._pending = np.zeros(0, np.int16)
        self._pending_t = 0.0
        self._offset: float | None = None   # audio clock - endpointer clock
        self._in_utt = False
        self._utt_gated = False
        self._armed_until = -1.0
        self._answer_until = -1.0
        self._lock = threading.Lock()
        self._gate_until = -1.0
        self._speaking = False
        self._speaking_ended: float | None = None
        self._now = 0.0
        self._ep_frames = 0

    # --- self-speech gate (called from the speech thread) ---

    def gate(self, until_t: float) -> None:
        """Ignore the input until `until_t` (the audio clock) plus a short echo tail."""
        with self._lock:
            self._gate_until = max(self._gate_until, until_t + GATE_TAIL_S)

    @property
    def speaking(self) -> bool:
        with self._lock:
            return self._speaking

    @speaking.setter
    def speaking(self, value: bool) -> None:
        with self._lock:
            if self._speaking and not value:
                self._gate_until = max(self._gate_until, self._now + GATE_TAIL_S)
            self._speaking = bool(value)

    def _gated(self, t0: float, t1: float) -> bool:
        with self._lock:
            return self._speaking or t0 < self._gate_until

    # --- audio in, Heard out ---

    def process(self, chunk: AudioChunk) -> list[Heard]:
        out = self._second_results()
        return self._asked(out + self._process(chunk))

    def _asked(self, heard: list[Heard]) -> list[Heard]:
        """After an unsure command the coach will ask about ("Finish the workout? Say yes."), the
        answer needs no wake word for as long as the question stands."""
        for h in heard:
            if h.accepted and h.command is not None and h.confidence < CONFIRM_BELOW \
                    and self.vocab.needs_confirmation(h.command):
                self._answer_until = h.t + CONFIRM_WINDOW_S
        return heard

    def _answer(self, command: Command | None, start: float) -> bool:
        """A bare "yes" or "no" while a question stands."""
        return isinstance(command, (Yes, No)) and start <= self._answer_until

    def _process(self, chunk: AudioChunk) -> list[Heard]:
        self._now = chunk.t + len(chunk.samples) / RATE
        if not len(self._pending):
            self._pending_t = chunk.t
        self._pending = np.concatenate([self._pending, chunk.samples.astype(np.int16)])
        out: list[Heard] = []
        n_frames = len(self._pending) // FRAME
        for i in range(n_frames):
            frame = self._pending[i * FRAME:(i + 1) * FRAME]
            t0 = self._pending_t + i * FRAME / RATE
            out += self._frame(frame, t0)
        self._pending = self._pending[n_frames * FRAME:]
        self._pending_t += n_frames * FRAME / RATE
        return out

    def flush(self) -> list[Heard]:
        """End of input: finish an utterance in progress."""
        self._pending = np.zeros(0, np.int16)
        out = self._second_results() + self._release_held(speech_resumed=False)
        if self._in_utt:
            self._ep.cut = False
            out += self._end_utterance(self._ep.speech_start, self._now - (self._offset or 0.0))
        if self.second is not None:
            out += [self._from_whisper(d) for d in self.second.drain()]
        return self._asked(out)

    def _frame(self, frame: np.ndarray, t0: float) -> list[Heard]:
        gated = self._gated(t0, t0 + FRAME / RATE)
        if gated and not self._in_utt:
            # the coach is talking: its voice reaches neither endpointer nor recognizer
            return self._release_held(speech_resumed=False)
        self._offset = t0 - self._ep_frames * FRAME / RATE
        self._ep_frames += 1
        event, audio = self._ep.process(frame)
        out: list[Heard] = []
        if self._held is not None and (event == "start" or self._ep_frames >= self._held[1]):
            out = self._release_held(speech_resumed=event == "start")
        if gated:
            self._utt_gated = True   # the coach started talking mid-utterance: drop it
        if event is None:
            return out
        if event == "start":
            self._in_utt = True
            self._utt_audio = []
            self.recognizer.start()
        if not self._utt_gated:
            self.recognizer.feed(audio)
            if self.second is not None:
                self._utt_audio.append(audio)
        if event == "end":
            return out + self._end_utterance(self._ep.speech_start, self._ep.speech_end)
        if event == "speech" and not self._utt_gated and self._early_end():
            hang_left = self._ep.hang_frames - self._ep.quiet_frames
            self._ep.end_here()
            return out + self._end_utterance(self._ep.speech_start, self._ep.speech_end,
                                             hold_until=self._ep_frames + hang_left)
        return out

    def _early_end(self) -> bool:
        """A whole command, then a short pause that the decoder too sees as silence after the
        last word (in noise it can stretch a short word like "help" over the pause), with the
        same words as one frame before (the best guess so far still changes while words come)."""
        if self._ep.quiet_s < EARLY_END_S:
            self._last_partial = ""
            return False
        text, silent_s = self.recognizer.partial()
        same, self._last_partial = text == self._last_partial, text
        return same and silent_s >= EARLY_END_S - FRAME / RATE and self._ends.is_final(text)

    def _end_utterance(self, start: float, end: float, hold_until: int | None = None) -> list[Heard]:
        """The recognizer's verdict on the utterance that just ended. `hold_until`: it ended early
        (a whole command and a short pause); an unsure acceptance waits until that frame."""
        self._in_utt = False
        hyp = self.recognizer.finish()
        off = self._offset or 0.0
        start, end = start + off, end + off
        if self._utt_gated:
            return [Heard(end, start, hyp.text if hyp else "", None, False, False, "gated")]
        if hyp is None:
            self._to_second(None, start, end)
            return []
        if self._ep.cut:   # speech that never paused for `max_utt_s`: talk or noise, not a command
            return [Heard(end, start, hyp.text, None, False, False, "too long", hyp.confidence)]
        armed_until = self._armed_until
        heard = self._decide(hyp.text, hyp.confidence, start, end)
        if self._to_second(heard, start, end):
            self._armed_until = armed_until   # Whisper decides, from the state before
            return []
        if hold_until is not None and heard.accepted and heard.confidence < EARLY_END_MIN_CONFIDENCE:
            # Not sure enough to answer before the pause is a full one: the first half of a
            # sentence can pass for a command. Held until the hang is over, dropped if talk resumes.
            self._held = (heard, hold_until)
            return []
        return [heard]

    # --- the second stage ---

    def _to_second(self, heard: Heard | None, start: float, end: float) -> bool:
        """Hand the utterance to Whisper (True) unless the fast recognizer is sure of a command
        heard in a quiet room. What it took for the coach's own voice goes too: in crowd noise a
        command can decode as one of the coach's sentences, and the live gate already keeps the
        coach's voice out."""
        if self.second is None or not self._utt_audio:
            return False
        audio, self._utt_audio = np.concatenate(self._utt_audio), []
        if self.mode == "both" and heard is not None and heard.accepted and heard.confidence >= self.sure_confidence \
                and speech_level_db(audio) - self._ep.floor_db >= QUIET_SNR_DB:
            return False
        hints = (heard.text,) if heard is not None and heard.text and heard.text != GARBAGE else ()
        self.second.submit(Job(audio, start, end, heard, hints))
        return True

    def _second_results(self) -> list[Heard]:
        return [self._from_whisper(d) for d in self.second.results()] if self.second is not None else []

    def _from_whisper(self, done: Done) -> Heard:
        job, tr = done.job, done.transcript
        fallback = job.fallback if isinstance(job.fallback, Heard) else None
        if tr is None:
            # dropped (queue full) or Whisper failed: the fast recognizer's answer, if it had one
            if fallback is not None and self.mode == "both":
                return fallback
            return Heard(job.end, job.start, "", None, False, False, done.reason or "whisper failed", 0.0,
                         stage="whisper")
        heard = self._decide_whisper(tr, job.start, job.end, fallback)
        if self.mode == "accurate" or heard.reason == "name not said":   # not for the coach: nothing to weigh
            return heard
        if tr.scored:   # the first answer was weighed in the scores
            return replace(heard, stage="both") if heard.accepted and _heard_as(fallback, heard.command) else heard
        return self._weigh(fallback, heard)

    def _wrote(self, first: Heard | None, command: Command | None) -> bool:
        """The first recognizer wrote this command, sure of it or not: a second ear that agrees
        (how much it counts is its confidence)."""
        if first is None or command is None or first.accepted:
            return _heard_as(first, command)
        if not first.text or first.text == GARBAGE:
            return False
        _, rest = split_wake_word(normalize(first.text), self.vocab, self.wake_words)
        return parse(rest, self.vocab) == command   # parse drops the fillers

    def _weigh(self, first: Heard | None, second: Heard) -> Heard:
        """Mode "both": the fast recognizer's answer (not sure enough to stand alone) and Whisper's."""
        fast = first if first is not None and first.accepted else None
        if first is not None and fast is None and second.accepted and self._wrote(first, second.command):
            # the grammar wrote the same command but was unsure of it: two unsure ears that agree
            sure = 1.0 - (1.0 - first.confidence) * (1.0 - second.confidence)
            if sure >= (self.min_confidence if second.wake else self.min_confidence_unaddressed):
                return replace(second, confidence=sure, stage="both")
            return replace(second, command=None, accepted=False, reason="low confidence", confidence=sure)
        if fast is not None and second.accepted:
            if fast.command == second.command:   # two ears agree: the chance both are wrong multiplies
                sure = 1.0 - (1.0 - fast.confidence) * (1.0 - second.confidence)
                return replace(second, confidence=sure, stage="both")
            if second.confidence >= WHISPER_OVERRIDES:
                return second
            return replace(second, command=None, accepted=False, reason="recognizers disagree")
        if fast is not None:
            if fast.confidence >= FIRST_ALONE:
                return fast
            return replace(fast, command=None, accepted=False, reason="low confidence")
        return second

    def _whisper_match(self, text: str, first: Heard | None) -> tuple[TextMatch, bool]:
        """Whisper's text on the vocabulary, and whether the name is in it. Whisper spells the
        name it hears ("goat, target twelve", "cook pause"): when the grammar recognizer heard
        the wake word there, the text's first word is taken for it if that matches better."""
        m = match_text(text, self.vocab, self.wake_words, self._pronounce)
        if m.addressed or first is None or not split_wake_word(normalize(first.text), self.vocab, self.wake_words)[0]:
            return m, m.addressed
        rest = match_text(" ".join(text.split()[1:]), self.vocab, (), self._pronounce)
        if rest.command is not None and (m.command is None or rest.similarity > m.similarity):
            return replace(rest, addressed=True), False
        return replace(m, addressed=True), False

    def _decide_whisper(self, tr: Transcript, start: float, end: float, first: Heard | None = None) -> Heard:
        if tr.speech_s <= 0 or not tr.text or tr.no_speech > WHISPER_MAX_NO_SPEECH:
            return Heard(end, start, tr.text, None, False, False, "not speech for the coach", 0.0, stage="whisper")
        m, written = self._whisper_match(tr.text, first)
        expected = start <= self._armed_until or start <= self._answer_until   # no name needed now
        if m.addressed and not written and not expected and tr.name_gain is not None \
                and tr.name_gain < WHISPER_NAME_ABSENT:
            # the name only the grammar heard, and the audio holds none: not for the coach
            return Heard(end, start, tr.text, None, False, False, "name not said", 0.0, stage="whisper")
        if m.addressed and not m.words:   # the wake word alone
            self._armed_until = end + ARMED_S
            return Heard(end, start, tr.text, None, True, False, "wake word alone", m.similarity, stage="whisper")
        command, confidence, why = self._whisper_command(tr, m, first)
        armed = start <= self._armed_until or self._answer(command, start)
        self._armed_until = -1.0
        # the wake word: in Whisper's text, or, scored, as probable a first word as a clear one,
        # or costing the command nothing (it was there, unwritten)
        wake = (m.addressed or armed or (tr.wake_logprob is not None and tr.wake_logprob >= WHISPER_WAKE_LOGPROB)
                or (tr.name_gain is not None and tr.name_gain >= WHISPER_NAME_GAIN))
        if self.require_wake_word and not wake:
            return Heard(end, start, tr.text, None, False, False, "no wake word", confidence, stage="whisper")
        addressed = wake or not self.require_wake_word
        if command is None:
            return Heard(end, start, tr.text, None, addressed and wake, False, why, confidence, wake,
                         stage="whisper")
        # the grammar heard the same command: the two are weighed together (_weigh), not alone
        agrees = self._wrote(first, command)
        if confidence < (self.min_confidence if wake else self.min_confidence_unaddressed) and not agrees:
            return Heard(end, start, tr.text, None, wake, False, "low confidence", confidence, wake, stage="whisper")
        return Heard(end, start, tr.text, command, addressed, True, "", confidence, wake, stage="whisper")

    def _whisper_command(self, tr: Transcript, m: TextMatch, first: Heard | None) -> tuple[Command | None, float, str]:
        """(the command, 0..1 how sure, why none). Scored candidates decide when there are any:
        the command whose sentence fits the audio best, with the grammar recognizer's answer
        (mode "both") and the command Whisper's text spells as evidence, as sure as its share of
        the candidates' probability. Else the text's nearest command, as sure as it is near,
        less when Whisper itself was unsure of the text (a mean token log-probability below
        WHISPER_SURE_LOGPROB)."""
        if tr.scored:
            evidence: dict[Command, float] = {}
            if first is not None and first.accepted and first.command is not None and self.mode == "both":
                evidence[first.command] = FIRST_EVIDENCE * first.confidence
            if m.command is not None:
                evidence[m.command] = evidence.get(m.command, 0.0) + TEXT_EVIDENCE * m.similarity
            choice = choose(tr.scored, tr.free_logprob, evidence, free_prior=tr.free_prior)
            alone = choice.command is not None and not _heard_as(first, choice.command)
            if alone and (choice.mean_logprob < WHISPER_ALONE_MIN_MEAN_LOGPROB or not self._spelled(m, choice)):
                return None, choice.posterior, "low confidence"
            return choice.command, choice.posterior, choice.reason
        if m.command is None:
            return None, 0.0, "not a command"
        confidence = m.similarity * float(np.exp(min(0.0, tr.logprob - WHISPER_SURE_LOGPROB)))
        # unsure of its text, Whisper still confirms the same command the grammar heard (the
        # two answers are then weighed together); alone, such a text is a guess
        if tr.logprob < WHISPER_MIN_LOGPROB and not self._wrote(first, m.command):
            return None, confidence, "low confidence"
        return m.command, confidence, ""

    def _spelled(self, m: TextMatch, choice: Choice) -> bool:
        """Whisper's own words sound like the command its scores chose, or the scores leave no
        doubt (WHISPER_ALONE_SURE)."""
        if choice.posterior >= WHISPER_ALONE_SURE:
            return True
        return bool(m.words) and sounds_like(m.words, choice.sentence, self.vocab,
                                             self._pronounce) >= WHISPER_ALONE_MIN_SOUNDS_LIKE

    def _release_held(self, speech_resumed: bool) -> list[Heard]:
        if self._held is None:
            return []
        heard, self._held = self._held[0], None
        if speech_resumed:
            return [replace(heard, command=None, accepted=False, reason="speech went on")]
        return [heard]

    def _decide(self, text: str, confidence: float, start: float, end: float) -> Heard:
        if text == GARBAGE:
            return Heard(end, start, text, None, False, False, "not speech for the coach", confidence)
        words = normalize(text)
        addressed, rest = split_wake_word(words, self.vocab, self.wake_words)
        rest = strip_fillers(rest, self.vocab)
        if addressed and not rest:   # "coach" ... then the command
            self._armed_until = end + ARMED_S
            return Heard(end, start, text, None, True, False, "wake word alone", confidence)
        command = parse(rest, self.vocab)
        armed = start <= self._armed_until or self._answer(command, start)
        self._armed_until = -1.0
        wake = addressed or armed
        if self.require_wake_word and not wake:
            return Heard(end, start, text, None, False, False, "no wake word", confidence)
        addressed = wake or not self.require_wake_word
        if confidence < (self.min_confidence if wake else self.min_confidence_unaddressed):
            # "Say that again" only when called by name and nearly understood: talk nearby or
            # noise decodes with a confidence near 0, the wake word included
            clearly = wake and confidence >= self.min_confidence / 5
            return Heard(end, start, text, None, clearly, False, "low confidence", confidence, wake)
        if command is None:
            return Heard(end, start, text, None, addressed, False, "not a command", confidence, wake)
        return Heard(end, start, text, command, addressed, True, "", confidence, wake)


    # the runtime's streaming interface: accepted utterances only
    def accept(self, chunk: AudioChunk) -> list[Heard]:
        return [h for h in self.process(chunk) if h.accepted]

    def finish(self) -> list[Heard]:
        return [h for h in self.flush() if h.accepted]


def listen(chunks: Iterable[AudioChunk], listener: Listener) -> Iterator[Heard]:
    """Run a listener over a stream of chunks (a file or a microphone)."""
    for chunk in chunks:
        yield from listener.process(chunk)
    yield from listener.flush()
