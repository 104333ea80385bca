"""Adding an exercise is adding one file: a coach's own exercise folder ($COACH_EXERCISES_DIR)
with a new definition is counted by `coach analyze`, accepted in a plan, named by the coach and
switched to by voice, and counted in a live session replay."""

import json
import re

import pytest

from coach.cli.main import main
from coach.core.commands import SwitchExercise, default_vocabulary, parse
from coach.core.datafile import shipped
from coach.core.exercises import EXTRA_DIR_ENV, exercise_ids, load_exercise
from coach.core.session import Session, parse_plan
from coach.io.log import SessionLog, load_session
from coach.io.transcript import Transcript
from coach.pose.cameras import TraceCamera
from coach.runtime.runner import Runtime, RuntimeOptions
from coach.synth import make_trace, write_trace

NEW = "trap_bar_deadlift"


@pytest.fixture
def new_exercise(tmp_path, monkeypatch):
    """A trap-bar deadlift: the deadlift's definition under a new id and name, in its own folder."""
    folder = tmp_path / "exercises"
    folder.mkdir()
    text = shipped("exercises", "deadlift.toml").read_text()
    text = re.sub(r'^id = .*$', f'id = "{NEW}"', text, count=1, flags=re.M)
    text = re.sub(r'^name = .*$', 'name = "Trap bar deadlift"', text, count=1, flags=re.M)
    text = re.sub(r'^spoken = .*$', 'spoken = "trap bar deadlifts"', text, count=1, flags=re.M)
    (folder / f"{NEW}.toml").write_text(text)
    monkeypatch.setenv(EXTRA_DIR_ENV, str(folder))
    trace = tmp_path / "pulls.jsonl.gz"
    write_trace(make_trace("deadlift", reps=5, seed=3), trace)
    return trace


def test_the_new_file_is_an_exercise_everywhere(new_exercise):
    assert NEW in exercise_ids() and "deadlift" in exercise_ids()  # added, nothing lost
    assert load_exercise(NEW).kind == "floor_start"
    command = parse("coach switch to trap bar deadlifts", default_vocabulary("en"))
    assert command == SwitchExercise(NEW)


def test_analyze_counts_the_new_exercise(new_exercise, capsys):
    assert main(["analyze", str(new_exercise), "--exercise", NEW, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["exercise"] == NEW and out["rep_count"] == 5


def test_a_plan_and_a_live_replay_of_the_new_exercise(new_exercise, tmp_path):
    plan = parse_plan({"name": "trap bar day", "exercise": [{"name": NEW, "sets": 1, "reps": 5}]}, "plan.toml")
    session = Session(plan)
    assert session.exercise == NEW
    log = SessionLog(tmp_path, "replay")
    transcript = Transcript(None)
    result = Runtime(session, log, camera=TraceCamera(str(new_exercise)),
                     options=RuntimeOptions(), transcript=transcript).run()
    assert result.reps == 5
    data = load_session(log.path)
    assert [(s.exercise, len(s.reps)) for s in data.sets] == [(NEW, 5)]
    said = [cue.text for _, cue in result.cues]
    assert any("Trap bar deadlift" in text for text in said), said  # named from its file
    counted = [c.text.split(".")[0] for _, c in result.cues if c.key.startswith("count.")]
    assert counted == ["1", "2", "3", "4", "5"], said  # every rep's number said
