"""Each exercise's rep machine on traces the tests build (coach.synth), and what is not a rep."""

from __future__ import annotations

import json

import pytest

from coach.core.analysis import analyze
from coach.cli.main import main
from coach.core.events import PhaseChanged, RepCounted
from coach.core.exercises import ExerciseError, exercise_ids, load_exercise, load_exercise_file
from coach.synth import make_trace, write_trace

EXERCISES = ["deadlift", "kettlebell_deadlift", "hip_thrust", "romanian_deadlift", "good_morning",
             "squat", "hip_hinge_drill", "kettlebell_swing"]


def counted(trace, exercise):
    events = list(analyze(trace.meta, trace.frames, exercise))
    return [e for e in events if isinstance(e, RepCounted)], events


def iou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def test_every_exercise_has_a_valid_definition():
    assert sorted(exercise_ids()) == sorted(EXERCISES)
    for ex in EXERCISES:
        assert load_exercise(ex).id == ex


@pytest.mark.parametrize("exercise", EXERCISES)
def test_counts_each_rep_once_at_the_right_moment(exercise):
    trace = make_trace(exercise, reps=5, seed=1)
    reps, events = counted(trace, exercise)
    assert len(reps) == len(trace.reps) == 5
    for rep, truth in zip(reps, trace.reps):
        assert iou((rep.start, rep.end), truth) >= 0.5
        # Counted the moment it completes (a loaded pull is confirmed by the load staying in
        # straight arms for up to 1.2 s after lockout).
        assert truth[1] - 0.3 <= rep.t <= truth[1] + 1.5
    phases = {e.phase for e in events if isinstance(e, PhaseChanged)}
    assert {"top", "lowering", "bottom", "rising"} <= phases


@pytest.mark.parametrize("exercise", ["deadlift", "romanian_deadlift", "squat", "kettlebell_swing"])
@pytest.mark.parametrize("variant", [
    dict(view="right"), dict(yaw_deg=30.0), dict(fps=15.0), dict(width=720, height=1280),
])
def test_counting_holds_across_views_and_cameras(exercise, variant):
    trace = make_trace(exercise, reps=4, seed=2, **variant)
    reps, _ = counted(trace, exercise)
    assert len(reps) == 4


@pytest.mark.parametrize("exercise", ["romanian_deadlift", "deadlift", "hip_thrust"])
def test_partial_movements_are_not_reps(exercise):
    trace = make_trace(exercise, reps=4, seed=3, partial_after=[1, 3])
    reps, _ = counted(trace, exercise)
    assert len(reps) == 4


@pytest.mark.parametrize("exercise", ["deadlift", "kettlebell_deadlift", "romanian_deadlift", "kettlebell_swing"])
def test_setup_and_ending_are_not_reps(exercise):
    """Gripping the bar, an RDL's first pull off the floor, parking the bell, standing up
    unloaded after the set: none of it counts."""
    trace = make_trace(exercise, reps=3, seed=4, setup=True, ending=True)
    reps, _ = counted(trace, exercise)
    assert len(reps) == 3


def test_dropouts_and_label_swaps_are_bridged():
    trace = make_trace("romanian_deadlift", reps=5, seed=5)
    a, b = trace.reps[2]
    mid = (a + b) / 2
    trace = make_trace("romanian_deadlift", reps=5, seed=5, dropouts=[(mid - 0.3, mid + 0.2)],
                       swap=(trace.reps[1][0], trace.reps[1][0] + 1.5))
    reps, _ = counted(trace, "romanian_deadlift")
    assert len(reps) == 5


def test_a_clip_ending_at_lockout_holds_that_rep():
    full = make_trace("deadlift", reps=3, seed=6, ending=False)
    end = full.reps[-1][1] + 0.05
    frames = [f for f in full.frames if f.t <= end]
    reps, _ = counted(type(full)(full.meta, frames, full.reps, full.rep_faults), "deadlift")
    assert len(reps) == 3


def test_a_long_absence_forgets_the_rep_in_progress():
    trace = make_trace("good_morning", reps=3, seed=7)
    a, b = trace.reps[1]
    # The person vanishes from mid-descent until well after that rep would have ended.
    cut = [f for f in trace.frames if not (a + 0.3 <= f.t <= b + 3.0)]
    reps, _ = counted(type(trace)(trace.meta, cut, trace.reps, trace.rep_faults), "good_morning")
    assert len(reps) == 2


def test_analyze_json_matches_the_contract(tmp_path, capsys):
    trace = make_trace("kettlebell_deadlift", reps=3, seed=8)
    path = tmp_path / "kb.jsonl.gz"
    write_trace(trace, path)
    assert main(["analyze", str(path), "--exercise", "kettlebell_deadlift", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["exercise"] == "kettlebell_deadlift" and report["rep_count"] == 3
    assert [r["index"] for r in report["reps"]] == [1, 2, 3]
    for r, truth in zip(report["reps"], trace.reps):
        assert iou((r["start"], r["end"]), truth) >= 0.5
        assert isinstance(r["faults"], list) and r["judged"] is True
    assert main(["analyze", str(path), "--exercise", "kettlebell_deadlift"]) == 0
    table = capsys.readouterr().out
    assert "kettlebell_deadlift: 3 reps" in table


def test_broken_exercise_file_names_file_and_key(tmp_path):
    good = load_exercise("squat").source
    text = open(good).read()
    bad = tmp_path / "squat.toml"
    bad.write_text(text.replace("bottom_fraction = 0.55", 'bottom_fraction = "deep"'))
    with pytest.raises(ExerciseError, match=r"squat.toml.*bottom_fraction"):
        load_exercise_file(bad)
    bad.write_text(text.replace("[faults.spine_rounding]", "[faults.spine_roundin]"))
    with pytest.raises(ExerciseError, match="spine_roundin"):
        load_exercise_file(bad)
    bad.write_text(text.replace("max_fold_deg", "max_fold_dg"))  # a typo in a limit
    with pytest.raises(ExerciseError, match=r"squat.toml.*faults\.spine_rounding\.max_fold_dg"):
        load_exercise_file(bad)
    bad.write_text(text.replace("max_hip_flexion_deg = 16\n", ""))  # a limit left out
    with pytest.raises(ExerciseError, match=r"squat.toml.*faults\.incomplete_lockout.*max_hip_flexion_deg"):
        load_exercise_file(bad)
    bad.write_text("id = ")
    with pytest.raises(ExerciseError, match="not valid TOML"):
        load_exercise_file(bad)
