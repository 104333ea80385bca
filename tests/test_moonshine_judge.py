"""Moonshine, Whisper's second judge: the real model on real speech (espeak-ng), the averaging of
the two judges' scores, and a judge that is not installed."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from coach.core import commands as c
from coach.core.command_scores import PRIOR_WEIGHT, ScoredSentence, averaged, choose, second_opinion
from coach.core.command_match import nearest_sentences
from coach.core.commands import default_vocabulary
from coach.voice.command_source import second_judge, whisper_worker
from coach.voice.moonshine_judge import MoonshineFiles, MoonshineJudge, MoonshineMissing, model_files
from coach.voice.pronounce import cmu_pronouncer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "audio_fixtures"))
import make_fixtures as mf  # noqa: E402

EN = default_vocabulary("en")
CMU = cmu_pronouncer()


# --- two judges' scores, averaged (pure) -----------------------------------------------------

def _s(sentence, command, logprob, prior=0.0):
    return ScoredSentence(sentence, command, logprob, 5, prior)


def test_the_second_judge_settles_a_close_call_of_the_first():
    scored = [_s("pause", c.Pause(), -10.0), _s("repeat", c.Repeat(), -10.5)]
    assert choose(scored).command is None      # Whisper alone: a coin toss
    judged = second_opinion(scored, {0: (-6.0, -30.0), 1: (-14.0, -30.0)})
    assert [s.logprob for s in judged] == pytest.approx([-8.8, -11.55])    # 0.3 of the second
    assert choose(judged).command == c.Pause()


def test_the_second_judge_does_not_overrule_a_clear_first_choice_alone():
    scored = [_s("next set", c.NextSet(), -4.0), _s("end set", c.EndSet(), -20.0)]
    judged = second_opinion(scored, {0: (-9.0, -30.0), 1: (-7.0, -30.0)})
    assert choose(judged).command == c.NextSet()


def test_candidates_the_second_judge_did_not_score_take_its_least_score():
    scored = [_s("pause", c.Pause(), -5.0, -20.0), _s("resume", c.Resume(), -6.0, -25.0),
              _s("repeat", c.Repeat(), -30.0, -22.0)]
    judged = second_opinion(scored, {0: (-4.0, -40.0), 1: (-12.0, -20.0)})
    least = min(((-4.0, -40.0), (-12.0, -20.0)), key=lambda v: v[0] - PRIOR_WEIGHT * v[1])
    assert least == (-12.0, -20.0)
    assert judged[2].logprob == averaged(-30.0, -12.0) and judged[2].prior == averaged(-22.0, -20.0)
    assert second_opinion(scored, {}) == tuple(scored)   # nothing judged: as it was


# --- the real model --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def judge():
    return MoonshineJudge()


def test_the_judge_is_installed_from_its_packages():
    files = model_files()
    assert files.encoder.stat().st_size > 10_000_000 and files.decoder.stat().st_size > 10_000_000
    assert files.tokenizer.name == "tokenizer.json"


@pytest.mark.parametrize("said, right, wrong", [
    ("coach pause", "Coach, pause.", ("Coach, resume.", "Coach, repeat.")),
    ("coach undo last rep", "Coach, undo last rep.", ("Coach, undo rep.", "Coach, end set.")),
    ("coach switch to kettlebell swings", "Coach, switch to kettlebell swings.",
     ("Coach, switch to deadlift.", "Coach, switch to good mornings.")),
])
def test_the_sentence_said_fits_best_in_noise(judge, said, right, wrong):
    for voice in (mf.VOICES[0], mf.VOICES[3]):   # espeak-ng and Piper
        audio = mf.say(said, voice)
        noisy = mf.mix_at_snr(audio, mf.gym_noise(len(audio), seed=2), 10.0)
        scores = judge.scores(judge.encode(noisy.astype(np.float32) / 32768.0), [right, *wrong])
        assert scores[0] > max(scores[1:]) + 1.0, (voice.name, scores)


def test_a_sentences_prior_is_its_score_on_silence_and_is_kept(judge):
    texts = ["Coach, pause.", "Coach, finish workout."]
    priors = judge.priors(texts)
    silence = judge.encode(np.zeros(24000, np.float32))
    assert priors == pytest.approx(judge.scores(silence, texts), abs=1e-4)
    assert all(p < -10 for p in priors)
    assert judge.priors(texts[::-1]) == priors[::-1]   # kept: the same values


def test_scores_do_not_depend_on_the_other_sentences_in_the_batch(judge):
    audio = mf.say("coach next set", mf.VOICES[1]).astype(np.float32) / 32768.0
    encoded = judge.encode(audio)
    short, long = "Coach, next set.", "Coach, switch to kettlebell deadlifts please."
    alone = judge.scores(encoded, [short])[0]
    assert judge.scores(encoded, [long, short])[1] == pytest.approx(alone, abs=1e-3)   # padded


class _Nearest:
    """The sentences nearest to what was written; nothing for Whisper to walk."""

    first_words: frozenset[str] = frozenset()
    sentences: dict = {}

    def __call__(self, texts):
        return nearest_sentences(texts, EN, CMU, 8)

    def beginning(self, words, texts):
        return []


@pytest.fixture(scope="module")
def judged():
    """Whisper as the worker builds it, with Moonshine as its second judge (loaded once)."""
    return whisper_worker(EN, threads=2, synchronous=True)._make()


def test_whisper_with_its_second_judge_chooses_the_command_said_in_noise(judged):
    assert judged.judge is not None
    said = mf.say("coach undo last rep", mf.VOICES[3])
    noisy = mf.mix_at_snr(said, mf.gym_noise(len(said), seed=4), 10.0)
    both = judged.transcribe(noisy, propose=_Nearest(), hints=("coach do last rep",))
    judge, judged.judge = judged.judge, None
    try:
        alone = judged.transcribe(noisy, propose=_Nearest(), hints=("coach do last rep",))
    finally:
        judged.judge = judge
    assert [s.sentence for s in both.scored] == [s.sentence for s in alone.scored]
    assert [s.logprob for s in both.scored] != [s.logprob for s in alone.scored]   # averaged
    assert choose(both.scored, both.free_logprob).command == c.UndoRep()
    # the name is weighed by both: said, it costs the command little in either's ears
    assert both.name_gain is not None and alone.name_gain is not None and both.name_gain != alone.name_gain
    assert both.name_gain > -3.0


def test_both_judges_hear_that_the_name_was_not_said(judged):
    said = mf.say("undo last rep", mf.VOICES[3])
    noisy = mf.mix_at_snr(said, mf.gym_noise(len(said), seed=4), 10.0)
    tr = judged.transcribe(noisy, propose=_Nearest(), hints=("coach undo last rep",))
    assert tr.scored and tr.name_gain is not None and tr.name_gain < -8.0, tr.name_gain


def test_moonshine_hears_whether_the_name_was_said(judge):
    for said, gain_above, gain_below in (("coach pause", -3.0, None), ("pause", None, -8.0)):
        for voice in (mf.VOICES[0], mf.VOICES[3]):
            audio = mf.say(said, voice)
            noisy = mf.mix_at_snr(audio, mf.real_noise(len(audio), seed=3), 10.0)
            named, unnamed = judge.scores(judge.encode(noisy.astype(np.float32) / 32768.0), ["Coach, pause.", "Pause."])
            assert (gain_above is None or named - unnamed > gain_above) and \
                (gain_below is None or named - unnamed < gain_below), (said, voice.name, named - unnamed)


# --- not installed ---------------------------------------------------------------------------

def test_a_judge_whose_files_are_missing_is_one_sentence(tmp_path):
    files = MoonshineFiles(tmp_path / "encoder_model.ort", tmp_path / "decoder_model_merged.ort",
                           tmp_path / "tokenizer.json")
    with pytest.raises(MoonshineMissing) as e:
        MoonshineJudge(files)
    assert "Moonshine" in str(e.value) and "\n" not in str(e.value)


def test_without_the_judge_whisper_judges_alone(monkeypatch):
    import coach.voice.moonshine_judge as mj

    def missing():
        raise MoonshineMissing("the Moonshine judge is not installed (the package moonshine-cpp is missing)")

    monkeypatch.setattr(mj, "model_files", missing)   # a machine without the package (a Raspberry Pi)
    assert second_judge() is None
    transcriber = whisper_worker(EN, threads=1, synchronous=True)._make()
    assert transcriber.judge is None
