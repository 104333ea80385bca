"""What the text output says: plain words for faults (ids stay in --json), plurals, "not judged"
never shown as clean, one set of counts for the report's text and its spoken summary."""

from __future__ import annotations

import json
import sys
import wave
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from view_figure import make_frames  # noqa: E402

from coach.cli.main import main  # noqa: E402
from coach.core.commands import StartSet  # noqa: E402
from coach.core.events import CommandHeard, Fault, FaultFound, RepCounted, RepJudged  # noqa: E402
from coach.core.session import Session  # noqa: E402
from coach.io.log import SessionLog, load_session  # noqa: E402
from coach.io.report import fault_name, plural, spoken_summary, text_report  # noqa: E402
from coach.io.trace import TraceMeta, TraceWriter  # noqa: E402

ROUND = Fault("spine_rounding", "bottom", "moderate", {"lumbar_flex_deg": 18.0})
DRIFT = Fault("load_drift", "rising", "mild", {"arm_forward_deg": 12.0, "limit": 10})
TOES = Fault("balance", "bottom", "severe", {"centre_of_mass_shift_forward": 0.09, "limit": 0.05})
LANDSCAPE = TraceMeta(1280, 720, 15.0)


def _log(directory, sid: str, events: list, finish_t: float | None = None) -> str:
    """A session log written the way the runtime writes it: each analysis event, then what the
    session made of it."""
    s = Session(exercise="deadlift")
    with SessionLog(directory, sid, {"mode": "test"}) as log:
        for e in events:
            if not isinstance(e, CommandHeard):
                log.event(e)
            for out in s.handle(e):
                log.event(out)
        for out in s.finish(finish_t if finish_t is not None else events[-1].t + 1):
            log.event(out)
    return log.path


def test_fault_names_and_plurals():
    assert fault_name("knee_dominant") == "knees forward (squatting the hinge)"
    assert fault_name("spine_rounding") == "rounded back"
    assert fault_name("some_new_fault") == "some new fault"
    assert [plural(n, "rep") for n in (0, 1, 2)] == ["0 reps", "1 rep", "2 reps"]


# --- coach listen --------------------------------------------------------------------------------

def test_listen_to_silence_says_no_commands_heard(tmp_path, capsys):
    wav = tmp_path / "silence.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0" * 32000 * 3)
    assert main(["listen", str(wav)]) == 0
    assert capsys.readouterr().out.strip() == "no commands heard"
    assert main(["listen", str(wav), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # pure JSON: an empty list


# --- coach history -------------------------------------------------------------------------------

def test_history_counts_faulty_reps_not_faults(tmp_path, capsys):
    _log(tmp_path, "2026-03-01_10-00-00", [
        RepCounted(3.0, 1, 1.0, 3.0), RepJudged(3.5, 1, True, (ROUND, DRIFT)),  # one rep, two faults
        RepCounted(6.0, 2, 4.0, 6.0), RepJudged(6.5, 2, True, ()),
    ])
    assert main(["history", "--log-dir", str(tmp_path), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["sessions"][0]
    assert row["faulty_reps"] == 1 and row["faults"] == {"spine_rounding": 1, "load_drift": 1}
    assert main(["history", "--log-dir", str(tmp_path)]) == 0
    row_line, total = capsys.readouterr().out.splitlines()
    assert " 1 with faults " in row_line and "faulty" not in row_line  # not 2: one rep, two faults
    assert " 1 set " in row_line and " 2 reps " in row_line
    assert total.startswith("1 session, 1 set, 2 reps (1 with faults) in ")


# --- coach report --------------------------------------------------------------------------------

def test_report_text_and_words_tell_the_same_counts(tmp_path):
    """The set ends before the rep's final verdict: the fault the session counted (and the coach
    said in the set summary) is in the report's text and in its words alike."""
    path = _log(tmp_path, "s1", [
        RepCounted(6.2, 1, 3.1, 6.1), FaultFound(6.2, 1, TOES),
        CommandHeard(6.6, StartSet(), "coach start set"),  # ends set 1 before the verdict
    ], finish_t=10.0)
    said = [json.loads(ln) for ln in open(path, encoding="utf-8") if '"set_ended"' in ln]
    assert said[0]["fault_counts"] == {"balance": 1}
    data = load_session(path)
    text, words = text_report(data), spoken_summary(data)
    assert "Set 1: deadlift, 1 rep: 1 tipping onto the toes" in text
    assert "weight on the toes (severe;" in text and "balance" not in text
    assert "all clean" not in text and "clean" not in words
    assert "1 set and 1 rep" in words and "1 rep, 1 tipping onto the toes" in words
    assert "The fault to work on: weight on the toes, on 1 of 1 rep." in words


def test_report_two_faults_on_one_rep_in_plain_words(tmp_path, capsys):
    path = _log(tmp_path, "s2", [RepCounted(3.0, 1, 1.0, 3.0), RepJudged(3.5, 1, True, (ROUND, DRIFT)),
                                 RepCounted(6.0, 2, 4.0, 6.0), RepJudged(6.5, 2, True, ())])
    assert main(["report", path, "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "Session s2: 1 set, 2 reps" in out
    assert "Set 1: deadlift, 2 reps: 1 with a rounded back and 1 with the load drifting away" in out
    assert "rounded back (moderate; lumbar_flex_deg 18); load drifting away (mild;" in out
    assert "spine_rounding" not in out and "load_drift" not in out
    words = out.split("In words: ", 1)[1]
    assert "2 reps, 1 with a rounded back and 1 with the load drifting away" in words
    assert main(["report", path, "--out", str(tmp_path / "r"), "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["faults"] == {"spine_rounding": 1, "load_drift": 1}  # ids stay in --json


def test_a_later_verdict_keeps_the_reps_after_it(tmp_path):
    """A rep judged after the next one was counted replaces itself only."""
    path = _log(tmp_path, "s3", [RepCounted(3.0, 1, 1.0, 3.0), RepCounted(6.0, 2, 4.0, 6.0),
                                 RepJudged(6.5, 1, True, (ROUND,))], finish_t=8.0)
    data = load_session(path)
    assert [r.rep for r in data.sets[0].reps] == [1, 2]
    assert data.sets[0].reps[0].faults[0]["id"] == "spine_rounding"


# --- coach analyze -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def front_hinges(tmp_path_factory) -> str:
    """Hinges filmed 70 degrees toward the front: most faults cannot be judged from there."""
    path = tmp_path_factory.mktemp("front") / "front70.jsonl.gz"
    with TraceWriter(path, LANDSCAPE) as w:
        for f in make_frames(LANDSCAPE, "left", 70, seconds=20, hinge=True, jitter=0.002):
            w.write(f)
    return str(path)


def test_analyze_never_shows_an_unjudged_rep_as_clean(front_hinges, capsys):
    assert main(["analyze", front_hinges, "--exercise", "romanian_deadlift", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rep_count"] >= 3 and all(r["not_judged"] for r in report["reps"])
    assert "spine_rounding" in report["reps"][0]["not_judged"]  # ids in --json
    assert main(["analyze", front_hinges, "--exercise", "romanian_deadlift"]) == 0
    text = capsys.readouterr().out
    rows = [ln for ln in text.splitlines() if ln[:4].strip().isdigit()]
    assert len(rows) == report["rep_count"]
    assert all("not judged" in row and not row.rstrip().endswith("-") for row in rows)
    assert "rounded back on every rep" in text and "spine_rounding" not in text


def test_analyze_table_reads_each_verdict():
    from coach.cli.analyze import _table

    def rep(i, faults=(), judged=True, not_judged=None):
        r = {"index": i, "start": float(i), "end": i + 0.8, "judged": judged,
             "faults": [{"id": f, "phase": "bottom", "severity": "mild", "evidence": {}} for f in faults]}
        if not_judged:
            r["not_judged"] = not_judged
        return r

    everything = {f: "poor visibility" for f in ("knee_dominant", "spine_rounding", "balance")}
    report = {"exercise": "squat", "rep_count": 4, "not_counted": [], "reps": [
        rep(1), rep(2, ("knee_dominant", "balance")), rep(3, judged=False, not_judged=everything),
        rep(4, not_judged={"balance": "the feet are out of the picture"})]}
    rows = _table(report, n_faults=3).splitlines()
    assert rows[0] == "squat: 4 reps"
    assert rows[3].endswith("clean")
    assert rows[4].endswith("knees forward (squatting the hinge), weight on the toes")
    assert rows[5].endswith("not judged: poor visibility")
    assert rows[6].endswith("none seen; 1 of 3 not judged (below)")


# --- coach check-camera --------------------------------------------------------------------------

def test_check_camera_does_not_call_a_front_view_good(tmp_path, capsys):
    path = tmp_path / "front44.jsonl.gz"
    with TraceWriter(path, LANDSCAPE) as w:
        for f in make_frames(LANDSCAPE, "left", 44, seconds=6, jitter=0.002):
            w.write(f)
    assert main(["check-camera", str(path), "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    blocked = [f for f, why in js["view"]["not_judgeable"].items() if "degrees toward the front" in why]
    assert len(blocked) >= 3
    assert main(["check-camera", str(path)]) == 0
    text = capsys.readouterr().out
    framing = [ln for ln in text.splitlines() if ln.startswith("framing:")]
    assert framing and "good" not in framing[0].replace("not good", "")
    assert all(fault_name(f) in framing[0] for f in blocked)
    assert "move the camera to your side" in framing[0]


def test_check_camera_side_view_is_good(tmp_path, capsys):
    path = tmp_path / "side10.jsonl.gz"
    with TraceWriter(path, LANDSCAPE) as w:
        for f in make_frames(LANDSCAPE, "right", 10, seconds=6, jitter=0.002):
            w.write(f)
    assert main(["check-camera", str(path)]) == 0
    text = capsys.readouterr().out
    assert "framing: good" in text.splitlines()
    # balance is never judged on a deadlift: said, but not blamed on the camera
    assert "not judged on a deadlift from any camera: weight on the toes" in text
