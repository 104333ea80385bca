import json

import pytest

from coach.core.commands import UndoRep
from coach.core.events import (CommandHeard, Fault, RepCounted, RepJudged, SetStarted)
from coach.io.log import (LogError, SessionLog, default_log_dir, find_session, load_session,
                       read_records, session_paths)
from coach.core.session import Session

ROUND = Fault("spine_rounding", "lowering", "moderate", {"lumbar_flex_deg": 18.0})


def run_session(log: SessionLog) -> None:
    s = Session(exercise="deadlift")
    for e in (RepCounted(3.0, 1, 1.0, 3.0), RepJudged(3.5, 1, True, (ROUND,)),
              RepCounted(6.0, 2, 4.0, 6.0), RepCounted(9.0, 3, 7.0, 9.0),
              CommandHeard(9.5, UndoRep(), "that wasn't a rep")):
        log.event(e)
        for out in s.handle(e):
            log.event(out)
    for i in range(100):
        log.hip(i * 0.05, 10.0 + i)


def test_a_session_round_trips_through_the_log(tmp_path):
    with SessionLog(tmp_path, "s1", {"exercise": "deadlift"}) as log:
        run_session(log)
    data = load_session(log.path)
    assert data.finished and data.session_id == "s1" and data.info["exercise"] == "deadlift"
    assert len(data.sets) == 1 and [r.rep for r in data.sets[0].reps] == [1, 2]  # rep 3 undone
    rep1 = data.sets[0].reps[0]
    assert rep1.judged and rep1.faults[0]["id"] == "spine_rounding"
    assert rep1.faults[0]["evidence"] == {"lumbar_flex_deg": 18.0}
    assert 45 <= len(data.hip) <= 51  # decimated to ~10 a second
    assert data.commands[0]["text"] == "that wasn't a rep" and data.commands[0]["command"] == "UndoRep"


def test_the_reader_skips_a_cut_off_last_line(tmp_path):
    log = SessionLog(tmp_path, "s2")
    run_session(log)
    log._fh.flush()  # simulate death mid-write: no session_end, half a line
    with open(log.path, "a") as fh:
        fh.write('{"type":"rep_recorded","t":12.0,"exercise":"dead')
    data = load_session(log.path)
    assert not data.finished and data.total_reps == 2
    assert all(json.dumps(r) for r in read_records(log.path))


def test_two_sessions_in_one_second_never_share_a_file(tmp_path):
    a, b = SessionLog(tmp_path, "same"), SessionLog(tmp_path, "same")
    a.close(), b.close()
    assert a.path != b.path and len(session_paths(tmp_path)) == 2
    assert find_session("last", tmp_path) == b.path
    with pytest.raises(LogError, match="matches 2 sessions"):
        find_session("sa", tmp_path)
    with pytest.raises(LogError, match="no session 'zzz'"):
        find_session("zzz", tmp_path)


def test_log_dir_comes_from_the_flag_then_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COACH_LOG_DIR", str(tmp_path / "env"))
    assert default_log_dir() == str(tmp_path / "env")
    assert default_log_dir(tmp_path / "flag") == str(tmp_path / "flag")
    monkeypatch.delenv("COACH_LOG_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert default_log_dir() == str(tmp_path / ".local/share/coach/sessions")


def test_set_started_is_logged_with_its_target(tmp_path):
    with SessionLog(tmp_path, "s3") as log:
        log.event(SetStarted(1.0, 1, "squat", 8))
    rec = [r for r in read_records(log.path) if r["type"] == "set_started"][0]
    assert rec["target_reps"] == 8 and rec["exercise"] == "squat"
