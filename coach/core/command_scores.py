"""Choosing a command from a few candidate sentences that a model scored against the audio.
Pure: no I/O.

Whisper's own transcript of a command said in gym noise is often near the command but not it
("coach, a new breath" for "coach, undo rep"), and its text alone cannot tell how near. Asked
instead how probable each candidate sentence is for this audio (the log-probability of the
sentence's tokens, forced), it separates the right one from its neighbours much better: a
closed-set choice, like a grammar recognizer's, with Whisper's ears. The candidates come from
what the recognizers wrote (coach.core.command_match.nearest_sentences); the choice is the most
probable command, with its share of the probability among the candidates (the posterior), and
none when the audio fits a sentence that is no command far better (talk, not a command).

In noise a model leans on what it expects to hear: some sentences it would write even if it
heard nothing ("Coach, let's go." fits a muffled "coach, start set" better than "Coach, start
set."). So each score is weighed against the same sentence's score on silence (its prior): a
sentence that is likely anyway proves less when the audio fits it (PRIOR_WEIGHT of its prior
taken off; Whisper's own text, the yardstick for talk, is weighed the same way).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from coach.core.commands import Command

# The most probable command must hold this share of the candidates' probability: two commands
# that fit the audio about as well are a "say that again", not a guess.
MIN_POSTERIOR = 0.8
# Talk is no command: when what Whisper wrote fits the audio this many nats (natural log) better
# than the best command sentence, the speech was something else ("coach, call my mother" fits
# "call my mother" far better than "go to the hinge").
MAX_FREE_GAP = 12.0
# How much of a sentence's prior (its log-probability on silence) is taken off its score. Chosen
# on the bench's tuned voices and a development set, both voices in noise (960 commands replayed,
# docs/voice.md): 0.25 to 0.4 all did better than none; 1 would score the audio's evidence alone,
# and rare sentences would win on noise.
PRIOR_WEIGHT = 0.3
# A second model's share when it judges the best candidates too (second_opinion): each score 0.3
# its own and 0.7 Whisper's. Chosen on the development set: 0.3 did better than 0.5 (docs/voice.md).
SECOND_WEIGHT = 0.3


@dataclass(frozen=True)
class ScoredSentence:
    sentence: str        # the command sentence, in the vocabulary's words
    command: Command
    logprob: float       # log-probability of the sentence's tokens given the audio (sum, nats)
    tokens: int = 1      # how many tokens that is
    prior: float = 0.0   # log-probability of the same tokens given silence: how likely anyway

    @property
    def mean_logprob(self) -> float:
        """Per token: how plausible the model finds the sentence, whatever its length."""
        return self.logprob / max(1, self.tokens)

    def weighed(self, prior_weight: float = PRIOR_WEIGHT) -> float:
        """The score the choice ranks by: what the audio adds to what the model expects anyway."""
        return self.logprob - prior_weight * self.prior


@dataclass(frozen=True)
class Choice:
    command: Command | None
    posterior: float     # the chosen command's share of the candidates' probability (0..1)
    sentence: str = ""
    gap: float = 0.0     # how much better (nats) Whisper's own text fits than the chosen sentence
    reason: str = ""     # why none was chosen
    mean_logprob: float = 0.0   # of the chosen sentence, per token


def choose(scored: Sequence[ScoredSentence], free_logprob: float | None = None,
           evidence: Mapping[Command, float] | None = None,
           min_posterior: float = MIN_POSTERIOR, max_free_gap: float = MAX_FREE_GAP,
           free_prior: float = 0.0, prior_weight: float = PRIOR_WEIGHT) -> Choice:
    """The command the audio fits best among `scored`, or Choice(None, ...) and why.
    `free_logprob`: the score of Whisper's own transcript, the yardstick for talk (`free_prior`:
    its prior, as each sentence's).
    `evidence`: nats added to each sentence of a command that other ears heard (the grammar
    recognizer's answer, the command Whisper's text spells): two ears that agree outweigh one
    that is unsure, without letting either overrule a clear difference in the scores."""
    if not scored:
        return Choice(None, 0.0, reason="no candidate")
    evidence = evidence or {}
    weighed = [(s, s.weighed(prior_weight) + evidence.get(s.command, 0.0)) for s in scored]
    top = max(w for _, w in weighed)
    mass: dict[Command, float] = {}
    for s, w in weighed:
        mass[s.command] = mass.get(s.command, 0.0) + math.exp(w - top)
    best = max(weighed, key=lambda sw: sw[1])[0]
    posterior = mass[best.command] / sum(mass.values())
    # talk: Whisper's own words fit far better than any command sentence, both weighed against their priors
    gap = 0.0 if free_logprob is None else max(
        0.0, free_logprob - prior_weight * free_prior - max(s.weighed(prior_weight) for s in scored))
    if gap > max_free_gap:
        return Choice(None, posterior, best.sentence, gap, "not a command", best.mean_logprob)
    if posterior < min_posterior:
        return Choice(None, posterior, best.sentence, gap, "low confidence", best.mean_logprob)
    return Choice(best.command, posterior, best.sentence, gap, mean_logprob=best.mean_logprob)


def averaged(own: float, second: float, weight: float = SECOND_WEIGHT) -> float:
    """One score from two judges: `weight` of the second's, the rest the first's."""
    return (1 - weight) * own + weight * second


def second_opinion(scored: Sequence[ScoredSentence], judged: Mapping[int, tuple[float, float]],
                   weight: float = SECOND_WEIGHT) -> tuple[ScoredSentence, ...]:
    """`scored` with a second model's scores averaged in. `judged`: for the candidates it
    judged (by index), its (score, prior). A candidate it did not judge (only the best few are)
    takes the second model's least score among those it judged, as the ends of text do: as
    unlikely as the worst of the best. Nothing judged: `scored` as it was."""
    if not judged:
        return tuple(scored)
    least = min(judged.values(), key=lambda v: v[0] - PRIOR_WEIGHT * v[1])
    second = [judged.get(i, least) for i in range(len(scored))]
    return tuple(replace(s, logprob=averaged(s.logprob, logprob, weight), prior=averaged(s.prior, prior, weight))
                 for s, (logprob, prior) in zip(scored, second))
