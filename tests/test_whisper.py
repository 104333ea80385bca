"""The second recognizer for real: Whisper base (the installed model) on speech espeak-ng and
Piper make, Whisper's text mapped onto the vocabulary (near misses refused), the two stages
weighed, unsure commands that end something asked about with a bare "yes" heard, a missing
model, and the worker's bound."""

from __future__ import annotations

import hashlib
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from coach.core import commands as c
from coach.core.command_match import letter_sounds, match_text, similarity, sounds_like
from coach.core.commands import default_vocabulary
from coach.voice.audio import array_chunks
from coach.voice.command_source import make_recognizer, whisper_prompt, whisper_worker
from coach.voice.listener import CONFIRM_BELOW, Heard, Listener, listen, to_event
from coach.voice.pronounce import cmu_pronouncer
from coach.voice.recognizers import NoRecognizer, PocketSphinxRecognizer
from coach.voice.whisper_model import SHA256, WhisperModelMissing, install, model_dir
from coach.voice.whisper_stage import Transcript, _listed, _recital_cut, _repeated_cut
from coach.voice.whisper_worker import Job, WhisperWorker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "audio_fixtures"))
import make_fixtures as mf  # noqa: E402

EN = default_vocabulary("en")
CMU = cmu_pronouncer()


def _match(text):
    return match_text(text, EN, pronounce=CMU)


# --- the text -> command mapping -------------------------------------------------------------

@pytest.mark.parametrize("text, command", [
    ("Coach, how many?", c.HowMany()),
    ("Coach, that wasn't a rap.", c.UndoRep()),                                  # one sound off
    ("Coach, switch to Romani and deadlifts.", c.SwitchExercise("romanian_deadlift")),
    ("coach, keep, rest,", c.SkipRest()),                                         # near in sounds, not letters
    ("Couch, rest 75 seconds.", c.Rest(75.0)),                                    # digits, a misspelt name
    ("Coach, rest for a minute and a half.", c.Rest(90.0)),
    ("Coach, count every 5 reps.", c.CountEvery(5)),
    ("Coach, kettle bell swings.", c.SwitchExercise("kettlebell_swing")),
])
def test_whisper_text_maps_onto_the_vocabulary(text, command):
    m = _match(text)
    assert m.command == command and m.addressed


@pytest.mark.parametrize("text", [
    "Coach, call my mother.",          # addressed, no command near
    "Coach, what is the weather like?",
    "Thank you.",
    "Coach, fly a dirt.",
    "Coach, set 500.",                 # a count the parser refuses (1-99) is no command either
    "Coach, and.", "and and a", "Coach, a half and",   # number words with no number in them
])
def test_near_misses_and_other_talk_are_refused(text):
    assert _match(text).command is None


def test_a_text_between_two_commands_is_refused():
    # "end set" (EndSet) and "next set" (NextSet): a text as near to one as to the other is neither
    m = _match("coach, n set")
    assert m.command is None or m.margin >= 0.08
    both = [similarity("n set", s, EN, CMU) for s in ("end set", "next set")]
    assert abs(both[0] - both[1]) < 0.08 or m.command is not None


def test_sounds_beat_letters():
    assert similarity("keep rest", "skip rest", EN, CMU) > similarity("keep rest", "skip rest", EN)


@pytest.mark.parametrize("word, phones", [
    ("twale", "T W EY L"), ("comchant", "K AA M CH AE N T"), ("glocking", "G L AA K IH NG"),
    ("prace", "P R EY S"), ("city", "S IH T IY"), ("yelled", "Y EH L EH D")])
def test_a_word_is_sounded_out_from_its_spelling(word, phones):
    # for the words the pronouncing dictionary lacks (its own: CMU("city") == S IH T IY)
    assert " ".join(letter_sounds(word)) == phones


def test_a_sounded_out_word_is_near_what_it_sounds_like():
    # Whisper's "twale" for "twelve": its letters against the phones of "twelve" were no match
    from coach.core.command_match import nearest_sentences
    assert similarity("twale", "twelve", EN, CMU) >= 0.7
    assert nearest_sentences(["coach, target, twale,"], EN, CMU, 8)[0] == ("target twelve", c.SetTarget(12))


def test_what_whisper_wrote_is_compared_with_a_command_number_for_number_and_without_a_misheard_name():
    assert sounds_like(("rest", "for", "90", "seconds"), "rest for ninety seconds", EN, CMU) == 1.0
    assert sounds_like(("cook", "no"), "no", EN, CMU) == 1.0          # "coach, no" with the name misheard
    assert sounds_like(("aim",), "pause", EN, CMU) < 0.5
    assert sounds_like(("do", "you", "mind"), "resume", EN, CMU) < 0.5


@pytest.mark.parametrize("text, cut", [
    ("Coach, how many. Coach, how many. Coach", "Coach, how many."),
    ("coach pause coach pause coach", "coach pause"),
    ("coach and the set, go, and the set, go, and the set", "coach and the set, go,"),
    ("Coach, rest ninety seconds.", "Coach, rest ninety seconds."),
])
def test_a_looping_transcript_is_cut_at_its_first_round(text, cut):
    assert _repeated_cut(text) == cut


@pytest.mark.parametrize("text, cut", [
    ("Coach, next set, pause, resume, repeat, go,", "Coach, next set,"),   # the prompt from "next set" on
    ("Coach, yes, no, deadlift,", "Coach, yes,"),
    ("coach, pause, resume", "coach, pause, resume"),          # two commands in a row: no recital yet
    ("Coach, rest, one, twend, end,", "Coach, rest, one, twend, end,"),
    ("Coach, start set.", "Coach, start set."),
])
def test_a_transcript_that_recites_the_prompt_is_cut_after_what_was_heard(text, cut):
    assert _recital_cut(text, _listed(whisper_prompt(EN), "coach")) == cut


def test_the_prompt_comes_from_the_vocabulary():
    prompt = whisper_prompt(EN)
    assert prompt.startswith("Coach, ") and "kettlebell swing" in prompt and "how many" in prompt


# --- Whisper itself on real audio ------------------------------------------------------------

@pytest.fixture(scope="module")
def whisper():
    return whisper_worker(EN, threads=2, synchronous=True)


def _said(texts, voice=mf.VOICES[3]):
    utts = [(t, mf.say(t, voice), None) for t in texts]
    return mf.stream(utts, gap_s=1.2)


def test_whisper_alone_hears_commands_in_a_natural_voice(whisper):
    audio, segs = _said(["coach what should i fix", "coach rest ninety seconds", "coach finish workout"])
    listener = Listener(NoRecognizer(), EN, require_wake_word=True, second=whisper, mode="accurate")
    heard = list(listen(array_chunks(audio), listener))
    assert [h.command for h in heard if h.accepted] == [c.HowWasThatRep(), c.Rest(90.0), c.FinishWorkout()]
    assert all(h.stage == "whisper" for h in heard if h.accepted)


def test_whisper_refuses_real_talk_and_noise(whisper):
    # with the wake word required, as live; without it, the babble in the gym noise can pass for
    # a bare "go" (the bench counts how often)
    talk = [(str(f), mf.read_wav(f, 16000)[0], None) for f in mf.real_oov_files()[:4]]
    audio, _ = mf.stream(talk, gap_s=0.5)
    noise = mf.mix_at_snr(np.zeros(16000 * 20, np.int16), mf.gym_noise(16000 * 20, seed=3), 0.0, speech_level=3000.0)
    for clip in (audio, noise):
        listener = Listener(NoRecognizer(), EN, require_wake_word=True, second=whisper, mode="accurate")
        heard = list(listen(array_chunks(clip), listener))
        assert heard and [h.text for h in heard if h.accepted] == []


def test_silence_never_reaches_whisper(whisper):
    transcriber = whisper._make()
    result = transcriber.transcribe(np.zeros(16000, np.int16))
    assert result.speech_s == 0 and result.text == ""


def test_both_stages_agree_and_the_sure_first_answer_stands_alone(whisper):
    audio, _ = _said(["coach next set", "coach how many"])
    listener = Listener(PocketSphinxRecognizer(EN), EN, require_wake_word=True, second=whisper, mode="both")
    heard = [h for h in listen(array_chunks(audio), listener) if h.accepted]
    assert [h.command for h in heard] == [c.NextSet(), c.HowMany()]
    # each was either sure enough for the grammar alone, or weighed with Whisper
    assert all(h.stage in ("fast", "both", "whisper") for h in heard)


def test_a_sure_first_answer_stands_alone_only_in_a_quiet_room(whisper):
    # every answer the grammar accepts counts as sure here: only the room decides
    said = [("coach next set", mf.say("coach next set", mf.VOICES[3]), None)]
    stages = {}
    for room, snr in (("quiet", None), ("noisy", 15.0)):
        audio, _ = mf.stream(said, gap_s=1.0, snr_db=snr, seed=2, lead_s=1.5)
        listener = Listener(PocketSphinxRecognizer(EN), EN, second=whisper, mode="both", sure_confidence=0.0)
        heard = [h for h in listen(array_chunks(audio), listener) if h.accepted]
        assert [h.command for h in heard] == [c.NextSet()]
        stages[room] = heard[0].stage
    assert stages == {"quiet": "fast", "noisy": "both"}


def test_weighing_two_answers():
    listener = Listener(NoRecognizer(), EN, second=WhisperWorker(lambda: None, synchronous=True), mode="both")
    fast = Heard(2.0, 1.0, "coach end set", c.EndSet(), True, True, "", 0.7, True)
    same = Heard(2.0, 1.0, "Coach, end set.", c.EndSet(), True, True, "", 0.85, True, stage="whisper")
    other = Heard(2.0, 1.0, "Coach, next set.", c.NextSet(), True, True, "", 0.7, True, stage="whisper")
    none = Heard(2.0, 1.0, "Coach, blah.", None, True, False, "not a command", 0.0, True, stage="whisper")
    assert listener._weigh(fast, same).command == c.EndSet()
    # two different commands, Whisper not sure enough to overrule: neither
    assert not listener._weigh(fast, other).accepted
    # the grammar alone, not sure enough to stand without Whisper
    assert not listener._weigh(fast, none).accepted
    assert listener._weigh(None, same).command == c.EndSet()


# --- asking before an unsure command ends something ------------------------------------------

def test_an_unsure_command_is_marked_for_the_session_to_ask():
    unsure = Heard(3.0, 2.0, "coach finish workout", c.FinishWorkout(), True, True, "", CONFIRM_BELOW - 0.1, True)
    sure = Heard(3.0, 2.0, "coach finish workout", c.FinishWorkout(), True, True, "", 0.99, True)
    assert to_event(unsure).confirm and not to_event(sure).confirm


def test_a_bare_yes_answers_the_question_without_the_wake_word():
    sphinx = PocketSphinxRecognizer(EN)
    yes = mf.stream([("yes", mf.say("yes", mf.VOICES[3]), None)], gap_s=1.0, lead_s=0.5)[0]

    def hear(listener):
        return [h for h in listen(array_chunks(yes), listener) if h.accepted]

    # no question asked: "yes" without the wake word is not for the coach
    assert hear(Listener(sphinx, EN, require_wake_word=True)) == []
    asked = Listener(sphinx, EN, require_wake_word=True)
    asked._asked([Heard(0.1, 0.0, "coach finish workout", c.FinishWorkout(), True, True, "", 0.7, True)])
    assert [h.command for h in hear(asked)] == [c.Yes()]


# --- a missing model, the installer, the worker's bound --------------------------------------

def test_a_missing_model_is_one_sentence_and_the_fast_recognizer_carries_on(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_WHISPER_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(WhisperModelMissing, match="not installed"):
        model_dir()
    source, kind = make_recognizer("en", "coach", mode="both")
    assert kind == "PocketSphinx"
    assert source.warning.startswith("Voice commands use the fast recognizer alone: the Whisper model is not installed")
    assert "\n" not in source.warning


def test_install_joins_the_halves_and_checks_the_hash(tmp_path):
    target = install(tmp_path / "whisper")
    digest = hashlib.sha256((target / "model.bin").read_bytes()).hexdigest()
    assert digest == SHA256
    assert install(target) == target   # a second install finds it whole and does nothing


class _Gate:
    """A transcriber that waits until the test lets it go (to fill the queue without sleeping)."""

    def __init__(self):
        self.go = threading.Event()
        self.started = threading.Event()

    def transcribe(self, samples, vad=True, propose=None, hints=()):
        self.started.set()
        self.go.wait(10)
        return Transcript("coach how many", -0.1, 0.0, 1.0, 0.0)


def test_the_queue_is_bounded_and_a_full_one_drops_the_utterance():
    gate = _Gate()
    worker = WhisperWorker(lambda: gate, max_pending=2)
    job = Job(np.zeros(1600, np.int16), 0.0, 0.1)
    assert worker.submit(job)
    gate.started.wait(10)          # the worker holds the first one
    assert worker.submit(job) and worker.submit(job)
    assert not worker.submit(job)  # a fourth finds two waiting: dropped at once
    dropped = worker.results()
    assert [d.reason for d in dropped] == ["busy"]
    gate.go.set()
    done = worker.drain()
    assert len(done) == 3 and all(d.transcript is not None for d in done)
    worker.close()


def test_listen_cli_takes_the_recognizer_mode(tmp_path, capsys):
    import json

    from coach.cli.main import main as coach_main
    from coach.io.wav import write_wav

    audio, _ = _said(["coach rest ninety seconds"])
    path = tmp_path / "cmd.wav"
    write_wav(str(path), audio, 16000)
    assert coach_main(["listen", str(path), "--recognizer", "accurate", "--json"]) == 0
    heard = json.loads(capsys.readouterr().out)
    assert [(h["command"]["command"], h["stage"]) for h in heard if h["accepted"]] == [("Rest", "whisper")]


def test_any_text_whisper_may_write_is_matched_without_error():
    # Whisper writes anything: words of the commands, numbers, punctuation, in any order
    rng = np.random.default_rng(7)
    words = sorted(EN.words()) + ["90", "1:30", "5.", "Coach,", "the", "RDLs", "-", "'", "uh", "...", "?"]
    for _ in range(400):
        text = " ".join(rng.choice(words, size=int(rng.integers(0, 9))))
        m = _match(text)
        assert m.command is None or m.similarity >= 0.75


@pytest.mark.parametrize("board, mode", [
    ("Raspberry Pi 4 Model B Rev 1.4\x00", "fast"), ("Raspberry Pi 3 Model B Plus Rev 1.3", "fast"),
    ("Raspberry Pi 5 Model B Rev 1.0", "both"), ("", "both"),
])
def test_the_default_mode_suits_the_board(board, mode):
    from coach.voice.command_source import mode_for_board
    assert mode_for_board(board) == mode


def test_the_live_worker_answers_from_its_own_thread():
    # as live: Whisper decodes beside the listener; its answer comes on a later call or at the end
    worker = whisper_worker(EN, threads=1, synchronous=False)
    audio, _ = _said(["coach rest ninety seconds"])
    listener = Listener(NoRecognizer(), EN, require_wake_word=True, second=worker, mode="accurate")
    heard = [h for chunk in array_chunks(audio) for h in listener.process(chunk)] + listener.flush()
    assert [h.command for h in heard if h.accepted] == [c.Rest(90.0)]
    worker.close()
