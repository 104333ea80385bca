"""Whisper as a judge of a closed set: candidate command sentences proposed from what the two
recognizers wrote, scored against the audio by the real model, and the choice among them
(talk refused, close calls left to "say that again", the other ear's answer as evidence)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from coach.core import commands as c
from coach.core.command_match import every_sentence, first_words, nearest_sentences
from coach.core.command_scores import ScoredSentence, choose
from coach.core.commands import default_vocabulary
from coach.voice.command_source import whisper_worker
from coach.voice.pronounce import cmu_pronouncer
from coach.voice.whisper_stage import SLOWED, repaired_tokenizer, slowed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "audio_fixtures"))
import make_fixtures as mf  # noqa: E402

EN = default_vocabulary("en")
CMU = cmu_pronouncer()


# --- the choice (pure) -----------------------------------------------------------------------

def _s(sentence, command, logprob, tokens=5, prior=0.0):
    return ScoredSentence(sentence, command, logprob, tokens, prior)


def test_the_command_that_fits_best_is_chosen_with_its_share_of_the_probability():
    choice = choose([_s("next set", c.NextSet(), -3.0), _s("end set", c.EndSet(), -9.0)])
    assert choice.command == c.NextSet() and choice.posterior > 0.99


def test_the_sentences_of_one_command_pool_their_probability():
    # "undo rep" alone is no likelier than "end the rest", but "remove rep" says the same
    scored = [_s("undo rep", c.UndoRep(), -20.0), _s("remove rep", c.UndoRep(), -20.0),
              _s("end the rest", c.SkipRest(), -20.0)]
    assert choose(scored, min_posterior=0.6).command == c.UndoRep()
    assert choose(scored[::2]).command is None    # a coin toss between two commands


def test_a_close_call_is_refused_and_the_other_ears_evidence_settles_it():
    scored = [_s("softer", c.Quieter(), -16.8), _s("start", c.StartSet(), -17.9)]
    refused = choose(scored)
    assert refused.command is None and refused.reason == "low confidence"
    assert choose(scored, evidence={c.Quieter(): 2.6}).command == c.Quieter()


def test_evidence_does_not_overrule_a_clear_difference():
    scored = [_s("next set", c.NextSet(), -4.0), _s("end set", c.EndSet(), -16.0)]
    assert choose(scored, evidence={c.EndSet(): 3.0}).command == c.NextSet()


def test_talk_that_fits_far_better_than_any_command_is_no_command():
    # "coach, open the window please" scored as itself and as the nearest commands
    scored = [_s("continue", c.Resume(), -19.5), _s("how was that", c.HowWasThatRep(), -26.9)]
    choice = choose(scored, free_logprob=-0.8)
    assert choice.command is None and choice.reason == "not a command"
    assert choose(scored, free_logprob=-18.0).command == c.Resume()


def test_a_sentence_likely_anyway_proves_less():
    # Flite's "coach, start a set" at 10 dB: Whisper wrote "Coach, start set." (evidence 3 nats),
    # the grammar "coach pardon" (0.62). Raw, "pardon" fits as well, but Whisper finds it far
    # likelier than the command even on silence. Weighed against those priors, the set starts.
    def scored(prior=1.0):
        return [_s("pardon", c.Repeat(), -11.08, prior=-25.67 * prior),
                _s("start a set", c.StartSet(), -12.32, prior=-34.45 * prior),
                _s("start set", c.StartSet(), -17.78, prior=-31.89 * prior)]
    evidence = {c.StartSet(): 3.0, c.Repeat(): 3.0 * 0.62}
    assert choose(scored(0.0), evidence=evidence).command is None    # a coin toss
    choice = choose(scored(), evidence=evidence)
    assert choice.command == c.StartSet() and choice.posterior > 0.9
    assert choice.mean_logprob == -12.32 / 5    # the plausibility floor still sees the raw score


def test_talk_is_weighed_against_its_prior_as_the_commands_are():
    # words Whisper would not write hearing nothing ("call my mother") that the audio fits well
    scored = [_s("continue", c.Resume(), -19.5, prior=-22.4)]
    assert choose(scored, free_logprob=-5.0, free_prior=-60.0).reason == "not a command"
    assert choose(scored, free_logprob=-5.0).command == c.Resume()


def test_no_candidates_no_command():
    assert choose([]).command is None


# --- the candidates ---------------------------------------------------------------------------

@pytest.mark.parametrize("texts, command", [
    (["coach a new breath,"], c.UndoRep()),               # Whisper in noise
    (["coach, after,", "coach softer"], c.Quieter()),   # the grammar recognizer's words count too
    (["Coach, rest, 120,"], c.Rest(120.0)),                # digits in the slot
    (["go, fast,", "coach pause"], c.Pause()),
])
def test_the_right_command_is_among_the_candidates(texts, command):
    found = nearest_sentences(texts, EN, CMU, 8)
    assert command in [cmd for _, cmd in found]
    assert len({s for s, _ in found}) == len(found) <= 8 * len(texts)


def test_a_number_is_tried_in_every_one_slot_sentence():
    found = dict(nearest_sentences(["coach rest for twenty eight minute one second please", "rest 120"], EN, CMU, 8))
    assert c.Rest(120.0) in found.values()


def test_a_number_misheard_as_a_word_is_tried_as_the_numbers_it_sounds_like():
    # "twelve" heard as "well": the slot sentence, with the number nearest in sound
    found = nearest_sentences(["coach, target, well,"], EN, CMU, 8)
    assert c.SetTarget(12) in [cmd for _, cmd in found]


def test_a_word_misheard_as_a_number_is_tried_as_the_word():
    # "to" heard as "10": only slot sentences were tried before
    found = nearest_sentences(["coach, switch, 10 good morning,"], EN, CMU, 8)
    assert c.SwitchExercise("good_morning") in [cmd for _, cmd in found]


def test_the_candidates_are_different_commands():
    # "start rdl", "start r d l", "rdl", "start rdls", ...: one command, at most two sentences
    found = nearest_sentences(["coach, start rdl"], EN, CMU, 8)
    commands = [cmd for _, cmd in found]
    assert len(found) == 8 and commands.count(c.SwitchExercise("romanian_deadlift")) == 2


def test_two_ears_that_wrote_the_same_command_need_no_scores():
    from coach.voice.command_source import Proposer
    propose = Proposer(EN)
    assert propose(["Coach, start set.", "coach start set"]) == []
    assert c.StartSet() in [cmd for _, cmd in propose(["Coach, start set.", "coach stop set"])]
    assert c.StartSet() in [cmd for _, cmd in propose(["Coach, start set."])]   # one ear: scored


def test_no_words_no_candidates():
    assert nearest_sentences(["", "coach", "Coach."], EN, CMU, 8) == []


def test_the_candidates_can_be_the_sentences_that_begin_with_a_word():
    assert {"start", "rest", "how", "target"} <= first_words(EN) and "#" not in first_words(EN)
    # nothing written sounds like "start": the nearest of those that begin with it all the same
    found = nearest_sentences(["coach, that's that"], EN, CMU, 8, beginning=frozenset({"start"}))
    assert found and all(s.split()[0] == "start" for s, _ in found)
    assert nearest_sentences(["coach, that's that"], EN, CMU, 8, beginning=frozenset()) == []


def test_every_sentence_is_listed_with_its_numbers_as_whisper_writes_them():
    every = every_sentence(EN)
    assert every["rest for 90 seconds"] == c.Rest(90) and every["rest 2 minutes"] == c.Rest(120)
    assert every["target 12"] == c.SetTarget(12) and every["start set"] == c.StartSet()
    assert "target 12 seconds" not in every and not any("#" in s for s in every)


def test_the_first_word_proposes_the_nearest_few_commands_once_each():
    from coach.voice.command_source import FIRST_WORD_COMMANDS, Proposer
    found = Proposer(EN).beginning(frozenset({"rest"}), ["Coach, west for 90 seconds."])
    assert found[0] == ("rest for 90 seconds", c.Rest(90))
    commands = [cmd for _, cmd in found]
    assert len(commands) == len(set(commands)) == FIRST_WORD_COMMANDS


# --- the model's tokenizer and the scores on real audio ---------------------------------------

@pytest.fixture(scope="module")
def transcriber():
    return whisper_worker(EN, threads=2, synchronous=True)._make()


def test_the_packaged_tokenizer_is_repaired(transcriber):
    # the model's tokenizer.json lost GPT-2's first merge: " that" was a space and "that"
    fixed = repaired_tokenizer(transcriber.model.hf_tokenizer)
    assert fixed.encode(" that", add_special_tokens=False).ids == [300]
    ids = fixed.encode(" Coach, target twelve.", add_special_tokens=False).ids
    assert fixed.decode(ids) == " Coach, target twelve." and 220 not in ids   # no lone space
    assert repaired_tokenizer(fixed) is fixed   # nothing to repair: the same tokenizer


class _Nearest:
    """The sentences nearest to what was written; none proposed for Whisper's first word."""

    first_words: frozenset[str] = frozenset()
    sentences: dict = {}   # nothing for Whisper to walk

    def __init__(self, fixed=None):
        self.fixed = fixed

    def __call__(self, texts):
        return nearest_sentences(texts, EN, CMU, 8) if self.fixed is None else self.fixed

    def beginning(self, words, texts):
        return []


_propose = _Nearest()


def test_scored_candidates_pick_the_command_said_in_noise(transcriber):
    said = mf.say("coach undo last rep", mf.VOICES[3])
    noisy = mf.mix_at_snr(said, mf.gym_noise(len(said), seed=4), 10.0)
    # the first recognizer misheard it: the candidates come from both texts, and are scored
    tr = transcriber.transcribe(noisy, propose=_propose, hints=("coach do last rep",))
    assert tr.scored and tr.free_logprob is not None and tr.wake_logprob is not None
    assert all(s.prior < 0 for s in tr.scored) and tr.free_prior < 0   # each weighed against silence
    best = max(tr.scored, key=lambda s: s.logprob)
    assert best.command == c.UndoRep()
    assert choose(tr.scored, tr.free_logprob).command == c.UndoRep()
    assert tr.wake_logprob > -3.0   # "Coach" is a likely first word: it was said
    assert tr.name_gain is not None and tr.name_gain > -3.0   # and the command fits as well with it


def test_a_command_said_without_the_name_fits_far_worse_with_it(transcriber):
    said = mf.say("undo last rep", mf.VOICES[3])
    noisy = mf.mix_at_snr(said, mf.gym_noise(len(said), seed=4), 10.0)
    tr = transcriber.transcribe(noisy, propose=_propose, hints=("coach undo last rep",))
    assert tr.scored and tr.name_gain is not None
    assert tr.name_gain < -8.0, tr.name_gain   # "Coach, undo last rep." against "Undo last rep."
    # the two ears agree on the command (nothing to score), only the grammar with the name:
    # the name is weighed on the grammar's words
    tr = transcriber.transcribe(said, propose=_Nearest(fixed=[]), hints=("coach undo last rep",))
    assert not tr.scored and tr.name_gain is not None and tr.name_gain < -8.0, tr.name_gain
    said = mf.say("coach undo last rep", mf.VOICES[1])
    tr = transcriber.transcribe(said, propose=_Nearest(fixed=[]), hints=("coach undo last rep",))
    assert tr.name_gain is None or tr.name_gain > -3.0, (tr.text, tr.name_gain)


def test_a_command_whose_first_word_whisper_expects_is_scored_though_not_proposed(transcriber):
    from coach.voice.command_source import FIRST_WORD_COMMANDS, Proposer

    class Misheard(Proposer):
        def __call__(self, texts):   # as if the text had been garbled into something else
            return [("undo rep", c.UndoRep()), ("end set", c.EndSet())]

    said = mf.say("coach start set", mf.VOICES[1])
    noisy = mf.mix_at_snr(said, mf.gym_noise(len(said), seed=2), 20.0)
    tr = transcriber.transcribe(noisy, propose=Misheard(EN))
    # the sentence the decoder walks to, and the nearest two commands that begin with its first word
    starts = [s for s in tr.scored if s.sentence.split()[0] == "start"]
    assert 1 <= len(starts) <= 1 + FIRST_WORD_COMMANDS and c.StartSet() in [s.command for s in starts]
    assert max(tr.scored, key=lambda s: s.logprob).command == c.StartSet()
    assert choose(tr.scored, tr.free_logprob).command == c.StartSet()

    # the walk alone: the decoder, allowed only the vocabulary's sentences, writes the command
    # ("coach big slower" is what it writes when it may write anything)
    walk_only = Misheard(EN)
    walk_only.first_words = frozenset()
    tr = transcriber.transcribe(mf.say("coach speak slower", mf.VOICES[1]), propose=walk_only)
    assert [s.sentence for s in tr.scored if s.command not in (c.UndoRep(), c.EndSet())] == ["speak slower"]
    assert choose(tr.scored, tr.free_logprob).command == c.parse(("speak", "slower"), EN)


def test_a_sentences_prior_is_its_score_on_silence_worked_out_once(transcriber):
    tok = transcriber._tok
    ids = [tok.encode(" " + t, add_special_tokens=False).ids for t in ("Coach, let's go.", "Coach, undo rep.")]
    priors = transcriber._priors(ids)
    assert priors[0] > priors[1] + 5    # a phrase Whisper writes anyway, against a command's words
    kept = len(transcriber._kept_priors)
    assert transcriber._priors(ids[::-1]) == priors[::-1] and len(transcriber._kept_priors) == kept


def test_real_talk_gets_no_command_from_the_scores(transcriber):
    talk = [mf.read_wav(f, 16000)[0] for f in mf.real_oov_files()[:3]]
    for clip in talk:
        tr = transcriber.transcribe(clip, propose=_propose)
        choice = choose(tr.scored, tr.free_logprob)
        # a person reading aloud: either no candidate at all, or none the audio fits
        assert choice.command is None or (tr.wake_logprob is not None and tr.wake_logprob < -3.0), tr.text


def test_silence_is_not_scored(transcriber):
    tr = transcriber.transcribe(np.zeros(16000, np.int16), propose=_propose, hints=("coach next set",))
    assert tr.scored == () and tr.speech_s == 0


# --- the listener's decision on scored candidates ----------------------------------------------

def _listener():
    from coach.voice.listener import Listener
    from coach.voice.recognizers import NoRecognizer
    from coach.voice.whisper_worker import WhisperWorker
    return Listener(NoRecognizer(), EN, require_wake_word=True,
                    second=WhisperWorker(lambda: None, synchronous=True), mode="both")


def _transcript(text, scored, wake_logprob, free=-30.0, name_gain=None):
    from coach.voice.whisper_stage import Transcript
    return Transcript(text, -1.5, 0.01, 1.2, 0.3, tuple(scored), free, wake_logprob, name_gain=name_gain)


CLOSE = [_s("softer", c.Quieter(), -16.8), _s("start", c.StartSet(), -17.9)]


def test_a_garbled_text_still_gives_the_command_the_audio_fits():
    heard = _listener()._decide_whisper(
        _transcript("go, a new breath,", [_s("undo rep", c.UndoRep(), -12.0), _s("end set", c.EndSet(), -20.0)], -1.0),
        1.0, 2.0)
    assert heard.accepted and heard.command == c.UndoRep() and heard.stage == "whisper"
    assert heard.confidence > 0.99


def test_without_the_wake_word_anywhere_the_scores_are_not_enough():
    heard = _listener()._decide_whisper(
        _transcript("those, next set", [_s("next set", c.NextSet(), -5.0)], -9.0), 1.0, 2.0)
    assert not heard.accepted and heard.reason == "no wake word"


def test_a_name_whisper_did_not_write_counts_when_the_command_fits_as_well_with_it():
    scored = [_s("resume", c.Resume(), -5.0), _s("repeat", c.Repeat(), -14.0)]
    # "culture, resume": "Coach, resume." fits about as well as "Resume.": the name was said
    heard = _listener()._decide_whisper(_transcript("culture, resume", scored, -9.0, name_gain=-0.5), 1.0, 2.0)
    assert heard.accepted and heard.command == c.Resume() and heard.wake
    # "resume" said to someone else: forcing the name onto no sound costs a lot
    heard = _listener()._decide_whisper(_transcript("resume", scored, -13.0, name_gain=-14.0), 1.0, 2.0)
    assert not heard.accepted and heard.reason == "no wake word"


def test_the_grammar_recognizers_answer_settles_a_close_call():
    from coach.voice.listener import Heard
    listener = _listener()
    tr = _transcript("coach, after,", CLOSE, -1.0)
    assert not listener._decide_whisper(tr, 1.0, 2.0).accepted    # Whisper alone: a coin toss
    fast = Heard(2.0, 1.0, "coach softer", c.Quieter(), True, True, "", 0.88, True)
    heard = listener._from_whisper(_done(tr, fast))
    assert heard.accepted and heard.command == c.Quieter() and heard.stage == "both"
    # a wrong grammar answer cannot outweigh a clear difference in the scores
    wrong = Heard(2.0, 1.0, "coach start", c.StartSet(), True, True, "", 0.95, True)
    clear = _transcript("coach, softer", [_s("softer", c.Quieter(), -8.0), _s("start", c.StartSet(), -20.0)], -1.0)
    assert listener._from_whisper(_done(clear, wrong)).command == c.Quieter()


def test_a_command_only_whisper_heard_must_be_a_plausible_sentence():
    from coach.voice.listener import Heard
    listener = _listener()
    # deep in noise Whisper made up "coach, feel the squat": it wins the scores, yet each of
    # its tokens is barely likely (mean log-probability -5)
    made_up = _transcript("coach, feel the squat,", [_s("do squat", c.SwitchExercise("squat"), -30.0, 6),
                                                      _s("finish workout", c.FinishWorkout(), -45.0, 6)], -1.0)
    assert not listener._decide_whisper(made_up, 1.0, 2.0).accepted
    # the grammar recognizer heard the same command: two ears, taken
    fast = Heard(2.0, 1.0, "coach do squat", c.SwitchExercise("squat"), True, True, "", 0.8, True)
    assert listener._from_whisper(_done(made_up, fast)).command == c.SwitchExercise("squat")


def test_a_command_only_whisper_heard_must_sound_like_what_it_wrote():
    listener = _listener()
    scores = [_s("pause", c.Pause(), -8.0, 4), _s("help", c.Help(), -11.0, 4)]   # pause: 0.95 of it
    # "coach, aim": none of the candidates was said, and one of them still comes out on top
    heard = listener._decide_whisper(_transcript("coach, aim", scores, -1.0), 1.0, 2.0)
    assert not heard.accepted and heard.reason == "low confidence"
    # the same scores for words that sound like the command: taken
    assert listener._decide_whisper(_transcript("coach, paws,", scores, -1.0), 1.0, 2.0).command == c.Pause()
    # the grammar recognizer heard it too: two ears, taken whatever Whisper wrote
    from coach.voice.listener import Heard
    fast = Heard(2.0, 1.0, "coach pause", c.Pause(), True, True, "", 0.8, True)
    assert listener._from_whisper(_done(_transcript("coach, aim", scores, -1.0), fast)).command == c.Pause()


def test_a_name_only_the_grammar_heard_is_dropped_when_the_audio_holds_none():
    from coach.voice.listener import Heard
    listener = _listener()
    # a partner told "pause" in a noisy gym: the grammar, whose every path starts with the name,
    # heard "coach pause" and is sure; Whisper wrote "pause," and the name costs it 15 nats
    fast = Heard(2.0, 1.0, "coach pause", c.Pause(), True, True, "", 0.97, True)
    heard = listener._from_whisper(_done(_transcript("pause,", [], None, name_gain=-15.0), fast))
    assert not heard.accepted and heard.reason == "name not said" and not heard.rejected
    # the name muffled but there (it costs little): the two ears agree
    heard = listener._from_whisper(_done(_transcript("pause,", [], None, name_gain=-2.0), fast))
    assert heard.accepted and heard.command == c.Pause()
    # a yes without the name, answering a question, is not the grammar's made-up name
    assert listener._decide_whisper(_transcript("yes,", [], None, name_gain=-15.0), 1.0, 2.0).reason != "name not said"
    listener._answer_until = 5.0   # "Finish the workout? Say yes.": the grammar wrote "coach yes" for it
    fast = Heard(2.0, 1.0, "coach yes", c.Yes(), True, True, "", 0.97, True)
    heard = listener._from_whisper(_done(_transcript("yes,", [], None, name_gain=-15.0), fast))
    assert heard.accepted and heard.command == c.Yes()


def _done(tr, fast):
    from coach.voice.whisper_worker import Done, Job
    return Done(Job(np.zeros(1600, np.int16), 1.0, 2.0, fast, (fast.text,)), tr)


def test_the_first_recognizers_words_reach_whisper_as_hints():
    from coach.voice.listener import Listener, listen
    from coach.voice.recognizers import PocketSphinxRecognizer
    from coach.voice.audio import array_chunks
    from coach.voice.whisper_stage import Transcript
    from coach.voice.whisper_worker import WhisperWorker

    class Recording:
        calls = []

        def prepare(self, propose):
            pass

        def transcribe(self, samples, vad=True, propose=None, hints=()):
            self.calls.append((len(samples), propose, tuple(hints)))
            return Transcript("", 0.0, 1.0, 0.0, 0.0)

    rec = Recording()
    audio, _ = mf.stream([("coach next set", mf.say("coach next set", mf.VOICES[3]), None)], gap_s=1.0)
    worker = WhisperWorker(lambda: rec, synchronous=True, propose=_propose)
    listener = Listener(PocketSphinxRecognizer(EN), EN, second=worker, mode="both", sure_confidence=2.0)
    list(listen(array_chunks(audio), listener))
    assert len(rec.calls) == 1
    samples, propose, hints = rec.calls[0]
    assert samples > 16000 * 0.5 and propose is _propose and hints == ("coach next set",)


def test_two_unsure_ears_that_wrote_the_same_command_are_weighed_together():
    from coach.voice.listener import Heard
    listener = _listener()
    # nothing scored (both wrote "yes"), Whisper unsure of its text (mean log-probability -1.1)
    # and the grammar unsure of its answer: neither alone is enough, the two together are
    from coach.voice.whisper_stage import Transcript
    tr = Transcript("coach, yes,", -1.1, 0.01, 1.2, 0.3)
    alone = listener._decide_whisper(tr, 1.0, 2.0)
    assert not alone.accepted and alone.reason == "low confidence"
    unsure = Heard(2.0, 1.0, "coach yes", None, True, False, "low confidence", 0.3, True)
    heard = listener._from_whisper(_done(tr, unsure))
    assert heard.accepted and heard.command == c.Yes() and heard.stage == "both"
    assert heard.confidence > alone.confidence
    # two ears that wrote different commands are no agreement
    other = Heard(2.0, 1.0, "coach no", None, True, False, "low confidence", 0.3, True)
    assert not listener._from_whisper(_done(tr, other)).accepted
    # nor is noise the grammar forced into a sentence at a confidence near 0
    noise = Heard(2.0, 1.0, "coach yes", None, False, False, "low confidence", 0.01, True)
    assert not listener._from_whisper(_done(tr, noise)).accepted


def test_a_sentence_that_is_only_the_start_of_what_was_said_pays_for_the_rest(transcriber):
    # "count" (how many) fits the first word of "coach, count every rep" as well as the whole
    # sentence does; only the end of the transcript, scored after it, tells them apart
    said = mf.say("coach count every rep", mf.VOICES[0]).astype(np.float32) / 32768.0
    encoded = transcriber.encode(said)
    ids = [transcriber._tok.encode(" " + t, add_special_tokens=False).ids
           for t in ("Coach, count.", "Coach, count every rep.")]
    part, whole = transcriber._ends((encoded,), ids)
    assert part < whole - 0.3 and whole > -2.5   # a transcript is likelier to end after all of it
    tr = transcriber.transcribe(said, propose=_Nearest([("count", c.HowMany()), ("count every rep", c.CountEvery(1))]))
    best = max(tr.scored, key=lambda s: s.logprob)
    assert best.command == c.CountEvery(1) and best.tokens == 7   # six tokens and the end


def test_the_slowed_rendition_is_the_same_sound_longer_and_lower():
    t = np.arange(16000) / 16000
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    slow = slowed(tone)
    assert len(slow) == int(16000 * SLOWED)
    pitch = np.argmax(np.abs(np.fft.rfft(slow))) * 16000 / len(slow)
    assert abs(pitch - 440 / SLOWED) < 2
    assert slowed(np.zeros(0, np.float32)).size == 0


def test_a_candidates_score_is_the_mean_over_the_two_renditions(transcriber):
    said = mf.say("coach next set", mf.VOICES[3]).astype(np.float32) / 32768.0
    heard = (transcriber.encode(said), transcriber.encode(slowed(said)))
    ids = [transcriber._tok.encode(" " + t, add_special_tokens=False).ids
           for t in ("Coach, next set.", "Coach, end set.")]
    each = [transcriber._forced((e,), ids) for e in heard]
    both = transcriber._forced(heard, ids)
    for i in range(2):
        assert np.allclose(both[i], (each[0][i] + each[1][i]) / 2)
    # heard slowed, the command said is still the likelier of the two
    assert each[1][0].sum() > each[1][1].sum()


def test_scores_that_leave_no_doubt_need_no_help_from_whisper_s_text():
    listener = _listener()
    # "coach, repeat" muffled: Whisper wrote "country beat", nothing like it, yet its scores
    # (both judges weighed in) give the command all but all of the probability
    sure = [_s("repeat", c.Repeat(), -9.0, 4), _s("help", c.Help(), -16.0, 4)]
    heard = listener._decide_whisper(_transcript("country beat", sure, -1.0, name_gain=-0.5), 1.0, 2.0)
    assert heard.accepted and heard.command == c.Repeat() and heard.confidence >= 0.99
    # a sentence barely likely in itself is still refused, however sure the share
    unlikely = [_s("repeat", c.Repeat(), -24.0, 4), _s("help", c.Help(), -31.0, 4)]
    assert not listener._decide_whisper(_transcript("country beat", unlikely, -1.0, name_gain=-0.5), 1.0, 2.0).accepted
