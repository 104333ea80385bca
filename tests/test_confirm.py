"""A command that discards or ends something, heard with low confidence, is asked about before
it is done ("Finish the workout? Say yes."): real Session, CuePolicy, cue library and vocabulary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from coach.core import commands as c
from coach.core.commands import default_vocabulary, parse
from coach.core.cue_policy import CuePolicy
from coach.core.cues import CUES_ROOT, CueError, load_cues
from coach.core.events import (Answered, CommandHeard, ConfirmAsked, ConfirmDropped, Confirmed, Cue,
                               RepCounted, RepRecorded, RepUndone, SetEnded, SetStarted, WorkoutFinished)
from coach.core.policy_config import PolicyConfig
from coach.core.session import CONFIRM_WINDOW_S, Session
from coach.core.vocabulary import VocabError, load_vocabulary
from coach.io.log import event_record

EN = default_vocabulary("en")
LIB = load_cues(CUES_ROOT / "en")


class Coach:
    """The session and the cue policy wired as the runtime wires them: what was heard and what
    the session made of it go to the policy in one batch."""

    def __init__(self, library=LIB):
        self.session = Session(exercise="deadlift", vocabulary=EN)
        self.policy = CuePolicy(library, PolicyConfig(), "deadlift", EN, "coach")

    def hear(self, t: float, command: c.Command, unsure: bool = False) -> tuple[list, list[Cue]]:
        heard = CommandHeard(t, command, "", confirm=unsure)
        out = self.session.handle(heard)
        return out, self.policy.feed([heard, *out])

    def event(self, e: object) -> tuple[list, list[Cue]]:
        out = self.session.handle(e)
        return out, self.policy.feed([e, *out])

    def tick(self, t: float) -> tuple[list, list[Cue]]:
        out = self.session.tick(t)
        return out, self.policy.feed(out) + self.policy.tick(t)


def rep(t: float, n: int) -> RepCounted:
    return RepCounted(t, n, t - 2.0, t)


def types(events) -> list[type]:
    return [type(e) for e in events]


def texts(cues: list[Cue]) -> list[str]:
    return [q.text for q in cues]


def in_a_set() -> Coach:
    coach = Coach()
    coach.hear(1.0, c.StartSet())
    coach.event(rep(4.0, 1))
    coach.event(rep(7.0, 2))
    return coach


def test_an_unsure_finish_workout_is_asked_not_done():
    coach = in_a_set()
    out, cues = coach.hear(10.0, c.FinishWorkout(), unsure=True)
    assert out == [ConfirmAsked(10.0, c.FinishWorkout())]
    assert not coach.session.finished and coach.session.reps == 2
    assert texts(cues) == ["Finish the workout? Say yes."]
    assert cues[0].kind == "confirm" and cues[0].priority == PolicyConfig().priority("confirm")
    assert cues[0].key == "ask.finish_workout"


def test_yes_within_the_window_finishes_the_workout_at_the_yes():
    coach = in_a_set()
    coach.hear(10.0, c.FinishWorkout(), unsure=True)
    out, cues = coach.hear(10.0 + CONFIRM_WINDOW_S - 0.5, c.Yes())
    assert types(out) == [Confirmed, SetEnded, WorkoutFinished]
    assert out[0].command == c.FinishWorkout() and out[-1].t == 17.5 and out[-1].reps == 2
    assert coach.session.finished
    assert any("Workout done: 1 set, 2 reps." in q.text for q in cues)  # with the set's summary


def test_no_keeps_the_workout_going():
    coach = in_a_set()
    coach.hear(10.0, c.FinishWorkout(), unsure=True)
    out, cues = coach.hear(12.0, c.No())
    assert out == [ConfirmDropped(12.0, c.FinishWorkout(), "no")]
    assert texts(cues) == ["Okay, carrying on."]
    assert not coach.session.finished
    out, _ = coach.event(rep(14.0, 3))
    assert types(out) == [RepRecorded] and coach.session.reps == 3
    assert coach.hear(15.0, c.Yes()) == ([], [])  # nothing asked any more: a "yes" does nothing


def test_yes_after_the_window_does_nothing():
    coach = in_a_set()
    coach.hear(10.0, c.FinishWorkout(), unsure=True)
    out, cues = coach.hear(10.0 + CONFIRM_WINDOW_S + 0.5, c.Yes())  # no tick in between
    assert out == [ConfirmDropped(18.5, c.FinishWorkout(), "timeout")]
    assert texts(cues) == ["Carrying on."]
    assert not coach.session.finished and coach.session.current is not None


def test_a_tick_past_the_window_drops_the_question_and_a_late_yes_does_nothing():
    coach = in_a_set()
    coach.hear(10.0, c.EndSet(), unsure=True)
    assert coach.tick(10.0 + CONFIRM_WINDOW_S) == ([], [])  # the window's last moment: still asked
    out, cues = coach.tick(18.1)
    assert out == [ConfirmDropped(18.1, c.EndSet(), "timeout")] and texts(cues) == ["Carrying on."]
    assert coach.session.asking is None
    assert coach.hear(19.0, c.Yes()) == ([], [])
    assert coach.session.current is not None and coach.session.reps == 2


def test_another_command_drops_the_question_and_is_done():
    coach = in_a_set()
    coach.hear(10.0, c.EndSet(), unsure=True)
    out, cues = coach.hear(11.0, c.HowMany())
    assert types(out) == [ConfirmDropped, Answered] and out[0].reason == "other"
    assert texts(cues) == ["2 so far."]  # the answer, and no "carrying on"
    assert coach.session.current is not None
    assert coach.hear(12.0, c.Yes()) == ([], [])  # the set is not ended by a late "yes"
    assert coach.session.current is not None


def test_a_newer_unsure_command_replaces_the_one_asked_about():
    coach = in_a_set()
    coach.hear(10.0, c.UndoRep(), unsure=True)
    out, cues = coach.hear(11.0, c.FinishWorkout(), unsure=True)
    assert types(out) == [ConfirmDropped, ConfirmAsked] and out[1].command == c.FinishWorkout()
    assert texts(cues) == ["Finish the workout? Say yes."]
    out, _ = coach.hear(12.0, c.Yes())
    assert WorkoutFinished in types(out) and coach.session.total_reps == 2  # no rep was undone


def test_yes_to_an_unsure_undo_takes_the_rep_back():
    coach = in_a_set()
    _, cues = coach.hear(10.0, c.UndoRep(), unsure=True)
    assert texts(cues) == ["Take back the last rep? Say yes."] and coach.session.reps == 2
    out, cues = coach.hear(11.0, c.Yes())
    assert types(out) == [Confirmed, RepUndone] and coach.session.reps == 1
    assert texts(cues) == ["Okay, that one doesn't count. 1 so far."]


def test_pardon_asks_again_and_the_window_starts_over():
    coach = in_a_set()
    coach.hear(10.0, c.EndSet(), unsure=True)
    out, cues = coach.hear(15.0, c.Repeat())
    assert out == [ConfirmAsked(15.0, c.EndSet())]
    assert texts(cues) == ["End the set? Say yes."]  # once: the question, not the question twice
    out, _ = coach.hear(22.0, c.Yes())  # 12 s after the first ask, 7 s after the second
    assert types(out)[:2] == [Confirmed, SetEnded]


def test_an_unsure_start_set_is_done_at_once():
    coach = Coach()
    out, cues = coach.hear(1.0, c.StartSet(), unsure=True)
    assert types(out) == [SetStarted] and coach.session.asking is None
    assert not any(q.key.startswith("ask.") for q in cues)


def test_a_sure_finish_workout_is_done_at_once():
    coach = in_a_set()
    out, _ = coach.hear(10.0, c.FinishWorkout())
    assert types(out) == [SetEnded, WorkoutFinished] and coach.session.finished


def test_yes_or_no_with_nothing_asked_says_nothing():
    coach = in_a_set()
    for t, answer in ((8.0, c.Yes()), (8.5, c.No())):
        assert coach.hear(t, answer) == ([], [])
    assert coach.hear(9.0, c.Yes(), unsure=True) == ([], [])


def test_the_spoken_texts_come_from_the_cue_library(tmp_path):
    lib_dir = tmp_path / "en"
    shutil.copytree(CUES_ROOT / "en", lib_dir)
    coaching = lib_dir / "coaching.toml"
    text = coaching.read_text()
    for old, new in (('"Finish the workout? Say yes."', '"All done for today? Say yes."'),
                     ('"Okay, carrying on."', '"Right, we keep going."')):
        assert old in text
        text = text.replace(old, new)
    coaching.write_text(text)
    coach = in_a_set()
    coach.policy = CuePolicy(load_cues(lib_dir, "en"), PolicyConfig(), "deadlift", EN)
    assert texts(coach.hear(10.0, c.FinishWorkout(), unsure=True)[1]) == ["All done for today? Say yes."]
    assert texts(coach.hear(11.0, c.No())[1]) == ["Right, we keep going."]
    for key in ("ask.end_set", "ask.undo_rep", "ask.finish_workout", "ask.cancelled", "ask.timeout"):
        assert LIB.sources[key].endswith("coaching.toml")


def test_a_cue_library_without_an_ask_text_fails_naming_the_id(tmp_path):
    lib_dir = tmp_path / "en"
    shutil.copytree(CUES_ROOT / "en", lib_dir)
    coaching = lib_dir / "coaching.toml"
    coaching.write_text(coaching.read_text().replace('undo_rep = "Take back the last rep? Say yes."\n', ""))
    with pytest.raises(CueError, match=r"the cue ask\.undo_rep is missing") as e:
        load_cues(lib_dir, "en")
    assert str(lib_dir) in str(e.value) and "coaching.toml" in str(e.value)


def test_every_command_that_asks_has_its_own_question_in_the_library():
    for language in ("en", "ko"):
        vocab = default_vocabulary(language)
        asking = {spec.command for spec in vocab.commands if spec.confirm}
        assert asking == {"EndSet", "UndoRep", "FinishWorkout"}, language
        assert vocab.needs_confirmation(c.EndSet()) and not vocab.needs_confirmation("StartSet")
        assert {"Yes", "No"} <= {spec.command for spec in vocab.commands}
    for name in asking:
        assert LIB.has("ask." + "".join("_" + ch.lower() if ch.isupper() else ch for ch in name)[1:])


def test_yes_and_no_are_parsed_and_never_in_help():
    for text in ("yes", "coach yes", "yes please", "yeah", "yep", "do it", "confirm"):
        assert parse(text, EN) == c.Yes(), text
    for text in ("no", "cancel", "no thanks", "don't"):
        assert parse(text, EN) == c.No(), text
    assert parse("keep going", EN) is None  # to a paused lifter it means resume: not a "no"
    assert parse("네", default_vocabulary("ko")) == c.Yes()
    assert parse("아니요", default_vocabulary("ko")) == c.No()
    assert parse("취소", default_vocabulary("ko")) == c.UndoRep()
    for state in ("idle", "set", "rest", "paused"):
        assert not any("yes" in line.lower() for line in c.help_lines(state, EN))


def _vocab(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "xx.toml"
    p.write_text('language = "xx"\n[exercises]\nsquat = ["squat"]\n'
                 '[commands.yes]\ncommand = "Yes"\nphrasings = ["yes"]\n' + body)
    return p


@pytest.mark.parametrize("body,where", [
    ('[commands.a]\ncommand = "FinishWorkout"\nphrasings = ["finish"]\nconfirm = "maybe"\n',
     "commands.a.confirm: expected bool, got str"),
    ('[commands.a]\ncommand = "EndSet"\nphrasings = ["end"]\nconfirm = true\n'
     '[commands.b]\ncommand = "EndSet"\nphrasings = ["done"]\n', "commands.b.confirm"),
])
def test_vocabulary_confirm_errors_name_file_and_key(tmp_path, body, where):
    with pytest.raises(VocabError) as e:
        load_vocabulary(_vocab(tmp_path, body), c.COMMAND_FIELDS)
    assert "xx.toml" in str(e.value) and where in str(e.value)


def test_a_vocabulary_that_asks_needs_a_yes(tmp_path):
    p = tmp_path / "xx.toml"
    p.write_text('language = "xx"\n[exercises]\nsquat = ["squat"]\n'
                 '[commands.a]\ncommand = "FinishWorkout"\nphrasings = ["finish"]\nconfirm = true\n')
    with pytest.raises(VocabError, match=r"xx\.toml: commands\.a\.confirm: .*no command is Yes"):
        load_vocabulary(p, c.COMMAND_FIELDS)


def test_the_log_records_the_question_and_its_outcome():
    coach = in_a_set()
    heard = CommandHeard(10.0, c.FinishWorkout(), "finish workout", confirm=True)
    asked = coach.session.handle(heard)
    dropped = coach.session.handle(CommandHeard(11.0, c.No(), "no"))
    records = [json.loads(json.dumps(event_record(e))) for e in [heard, *asked, *dropped]]
    assert records[0]["type"] == "command_heard" and records[0]["confirm"] is True
    assert records[1] == {"type": "confirm_asked", "t": 10.0, "command": {"class": "FinishWorkout"}}
    assert records[2] == {"type": "confirm_dropped", "t": 11.0, "command": {"class": "FinishWorkout"},
                          "reason": "no"}
    coach.session.handle(CommandHeard(12.0, c.EndSet(), "end set", confirm=True))
    out = coach.session.handle(CommandHeard(13.0, c.Yes(), "yes"))
    assert event_record(out[0]) == {"type": "confirmed", "t": 13.0, "command": {"class": "EndSet"}}


def test_the_runtime_keeps_analysing_while_a_finish_is_only_asked_about():
    # the runner closes the analysis when the workout finishes: not on a finish that is only asked
    from coach.runtime.runner import _done_now
    s = Session(exercise="deadlift")
    unsure = CommandHeard(1.0, c.FinishWorkout(), "coach finish workout", confirm=True)
    assert _done_now(s, unsure) is None
    s.handle(unsure)
    assert _done_now(s, CommandHeard(2.0, c.Yes(), "yes")) == c.FinishWorkout()
    assert _done_now(s, CommandHeard(1.0 + CONFIRM_WINDOW_S + 1, c.Yes(), "yes")) is None
    assert _done_now(s, CommandHeard(3.0, c.Pause(), "coach pause", confirm=True)) == c.Pause()
