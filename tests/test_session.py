import pytest

from coach.core.events import (Answered, CommandHeard, ExerciseChanged, Fault, FaultFound, Paused,
                          RepCounted, RepJudged, RepRecorded, RepUndone, RestEnded, RestStarted,
                          Resumed, SetEnded, SetStarted, TargetChanged, WorkoutFinished)
from coach.core.session import PlanError, Session, load_plan, parse_plan

from coach.core import commands as real_commands
from coach.core.commands import (EndSet, FinishWorkout, HowMany, HowWasThatRep, Louder, Pause, Rest, Resume,
                                 SetTarget, SkipRest, StartSet, SwitchExercise, UndoRep)


def cmd(t, c):
    return CommandHeard(t, c, type(c).__name__)


def rep(t, n):
    return RepCounted(t, n, t - 2.0, t)


ROUND = Fault("spine_rounding", "lowering", "moderate", {"lumbar_flex_deg": 18.0})
KNEES = Fault("knees_forward", "lowering", "mild", {"knee_travel": 0.12})


def types(events):
    return [type(e) for e in events]


def test_reps_outside_a_set_start_an_implicit_set():
    s = Session(exercise="deadlift")
    out = s.handle(rep(3.0, 1))
    assert types(out) == [SetStarted, RepRecorded]
    assert out[0].set_no == 1 and out[0].exercise == "deadlift" and out[0].t == 1.0
    assert out[1].rep == 1 and out[1].set_no == 1
    s.handle(rep(6.0, 2))
    assert s.reps == 2


def test_faults_before_and_after_the_count_belong_to_their_rep_and_close_into_the_set_summary():
    s = Session(exercise="deadlift")
    s.handle(cmd(0.5, StartSet()))
    assert s.handle(FaultFound(2.0, 1, ROUND)) == []  # judged on the lowering, before the count
    out = s.handle(rep(3.0, 1))
    assert out[-1].faults == (ROUND,)
    s.handle(rep(6.0, 2))
    out = s.handle(RepJudged(6.5, 2, True, (KNEES, ROUND)))
    assert isinstance(out[0], RepRecorded) and out[0].judged and out[0].rep == 2
    s.handle(rep(9.0, 3))
    out = s.handle(cmd(10.0, EndSet()))
    ended = [e for e in out if isinstance(e, SetEnded)][0]
    assert ended.reps == 3 and dict(ended.fault_counts) == {"spine_rounding": 2, "knees_forward": 1}
    assert [e for e in out if isinstance(e, RestStarted)][0].seconds == 90.0


def test_rest_timer_runs_on_event_time_and_ends_itself():
    s = Session(exercise="squat")
    s.handle(rep(2.0, 1))
    out = s.handle(cmd(3.0, Rest(60)))
    assert types(out) == [SetEnded, RestStarted] and s.resting
    assert s.tick(62.9) == [] and s.rest_left(50.0) == pytest.approx(13.0)
    out = s.tick(63.0)
    assert types(out) == [RestEnded] and not out[0].skipped and not s.resting


def test_skip_rest_and_a_rep_during_rest_ends_it():
    s = Session(exercise="squat")
    s.handle(rep(2.0, 1))
    s.handle(cmd(3.0, EndSet()))
    assert types(s.handle(cmd(4.0, SkipRest()))) == [RestEnded]
    s.handle(cmd(5.0, Rest(30)))
    out = s.handle(rep(10.0, 1))
    assert types(out)[:2] == [RestEnded, SetStarted] and out[0].skipped


def test_target_reached_closes_the_set_once_the_last_rep_is_judged():
    s = Session(exercise="deadlift")
    out = s.handle(cmd(0.0, SetTarget(2)))
    assert types(out) == [TargetChanged]
    s.handle(cmd(0.1, StartSet()))
    s.handle(rep(3.0, 1))
    out = s.handle(rep(6.0, 2))
    assert SetEnded not in types(out)  # not yet: the lowering of rep 2 is still to be judged
    out = s.handle(RepJudged(7.0, 2, True, (ROUND,)))
    assert types(out) == [RepRecorded, SetEnded, RestStarted]
    assert dict(out[1].fault_counts) == {"spine_rounding": 1}


def test_target_reached_closes_the_set_after_a_grace_period_without_a_verdict():
    s = Session(exercise="hip_thrust")
    s.handle(cmd(0.0, SetTarget(1)))
    s.handle(rep(3.0, 1))
    assert s.tick(4.0) == []
    assert SetEnded in types(s.tick(6.5))


def test_pause_ignores_reps_and_resume_counts_again():
    s = Session(exercise="squat")
    s.handle(rep(2.0, 1))
    assert types(s.handle(cmd(3.0, Pause()))) == [Paused]
    assert s.handle(rep(5.0, 2)) == []
    assert types(s.handle(cmd(6.0, Resume()))) == [Resumed]
    s.handle(rep(8.0, 3))
    assert s.reps == 2


def test_undo_last_rep_and_how_many():
    s = Session(exercise="kettlebell_swing")
    for i in range(3):
        s.handle(rep(2.0 + i, i + 1))
    out = s.handle(cmd(6.0, UndoRep()))
    assert types(out) == [RepUndone] and out[0].reps == 2
    ans = s.handle(cmd(7.0, HowMany()))[0]
    assert isinstance(ans, Answered) and ans.question == "count" and ans.reps == 2
    s.handle(rep(9.0, 4))
    assert [r.rep for r in s.current.reps] == [1, 2, 3]


def test_how_was_that_rep_names_the_last_reps_faults():
    s = Session(exercise="deadlift")
    s.handle(rep(3.0, 1))
    s.handle(RepJudged(3.5, 1, True, (ROUND,)))
    ans = s.handle(cmd(4.0, HowWasThatRep()))[0]
    assert ans.question == "last_rep" and ans.faults == ("spine_rounding",) and ans.reps == 1


def test_switch_exercise_ends_the_set_and_restarts_rep_numbering():
    s = Session(exercise="deadlift")
    s.handle(rep(3.0, 1))
    s.handle(rep(6.0, 2))
    out = s.handle(cmd(7.0, SwitchExercise("kettlebell_swing")))
    assert types(out) == [SetEnded, ExerciseChanged] and out[1].exercise == "kettlebell_swing"
    out = s.handle(rep(9.0, 1))  # the new analyzer counts from 1 again
    assert out[0].set_no == 2 and out[0].exercise == "kettlebell_swing" and out[-1].rep == 1
    assert s.handle(cmd(10.0, SwitchExercise("kettlebell_swing"))) == []


def test_start_set_while_in_a_set_starts_the_next_one():
    s = Session(exercise="deadlift")
    s.handle(cmd(0.0, StartSet()))
    s.handle(rep(3.0, 1))
    out = s.handle(cmd(5.0, StartSet()))
    assert types(out) == [SetEnded, SetStarted] and out[1].set_no == 2


def test_empty_set_leaves_no_trace():
    s = Session(exercise="deadlift")
    s.handle(cmd(0.0, StartSet()))
    out = s.handle(cmd(1.0, EndSet()))
    assert types(out) == [SetEnded] and out[0].reps == 0 and s.sets == []


def test_finish_closes_the_open_set_and_ignores_what_follows():
    s = Session(exercise="deadlift")
    s.handle(rep(3.0, 1))
    out = s.handle(cmd(4.0, FinishWorkout()))
    assert types(out) == [SetEnded, WorkoutFinished] and out[1].reps == 1 and out[1].sets == 1
    assert s.handle(rep(6.0, 2)) == []


def test_speech_settings_are_not_the_sessions_business():
    assert Session().handle(cmd(1.0, Louder())) == []


def test_the_real_parsers_commands_drive_the_session():
    from coach.core.commands import default_vocabulary
    vocab = default_vocabulary("en")

    def say(t, text):
        c = real_commands.parse(text, vocab)
        assert c is not None, text
        return s.handle(CommandHeard(t, c, text))

    s = Session(exercise="deadlift")
    assert types(say(1.0, "switch to kettlebell swings")) == [ExerciseChanged]
    assert s.exercise == "kettlebell_swing"
    assert types(say(2.0, "target twelve reps")) == [TargetChanged] and s.target_reps == 12
    assert types(say(3.0, "start set")) == [SetStarted]
    s.handle(rep(5.0, 1))
    s.handle(rep(6.0, 2))
    assert say(7.0, "how many reps")[0].reps == 2
    assert types(say(7.5, "that wasn't a rep")) == [RepUndone]
    assert say(8.0, "how was that rep")[0].question == "last_rep"
    assert types(say(8.5, "pause")) == [Paused]
    assert types(say(9.0, "resume")) == [Resumed]
    assert types(say(10.0, "rest ninety seconds")) == [SetEnded, RestStarted] and s.rest_left(10.0) == 90.0
    assert types(say(11.0, "skip rest")) == [RestEnded]
    assert say(12.0, "louder") == []
    assert types(say(13.0, "finish workout")) == [WorkoutFinished]


def test_plan_file_loads_and_errors_name_the_file_and_key(tmp_path):
    good = tmp_path / "plan.toml"
    good.write_text('name = "hinge day"\n[[exercise]]\nname = "deadlift"\nsets = 3\nreps = 5\nrest = 120\n'
                    '[[exercise]]\nname = "kettlebell_swing"\nsets = 2\nreps = 15\n')
    plan = load_plan(good)
    assert plan.name == "hinge day" and [p.exercise for p in plan.exercises] == ["deadlift", "kettlebell_swing"]
    assert plan.exercises[0].rest_s == 120.0 and plan.exercises[1].rest_s == 90.0
    s = Session(plan)
    out = s.handle(rep(3.0, 1))
    assert out[0].target_reps == 5
    bad = tmp_path / "bad.toml"
    bad.write_text('[[exercise]]\nname = "deadlift"\nsets = "three"\n')
    with pytest.raises(PlanError, match=r"bad.toml: exercise 1: 'sets' must be a whole number"):
        load_plan(bad)
    with pytest.raises(PlanError, match="'bench_press' is not an exercise"):
        parse_plan({"exercise": [{"name": "bench_press"}]}, "p.toml")
    with pytest.raises(PlanError, match="not valid TOML"):
        (tmp_path / "x.toml").write_text("[[exercise\n")
        load_plan(tmp_path / "x.toml")
    with pytest.raises(PlanError, match="no such plan file"):
        load_plan(tmp_path / "missing.toml")


def test_a_start_set_answered_after_the_set_began_does_not_end_it():
    # "coach, start set" said at 0.5 s, heard by a slow recognizer after the first rep began the set
    s = Session(exercise="deadlift")
    s.handle(rep(3.0, 1))
    assert s.handle(CommandHeard(0.5, StartSet(), "coach start set")) == []
    assert s.current.set_no == 1 and s.reps == 1
    # said after the set began, it is a new set, as always
    assert SetStarted in types(s.handle(CommandHeard(4.0, StartSet(), "coach start set")))
