import json

from coach.cli.main import main
from coach.core.events import Fault, RepCounted, RepJudged
from coach.io.log import SessionLog
from coach.core.session import Session

ROUND = Fault("spine_rounding", "lowering", "moderate", {"lumbar_flex_deg": 18.0})


def _session(directory, sid, reps, close=True):
    s = Session(exercise="deadlift")
    log = SessionLog(directory, sid, {"mode": "test"})
    for n in range(1, reps + 1):
        for e in (RepCounted(3.0 * n, n, 3.0 * n - 2, 3.0 * n), RepJudged(3.0 * n + 0.5, n, True, (ROUND,) if n == 2 else ())):
            for out in s.handle(e):
                log.event(out)
    if close:
        for out in s.finish(3.0 * reps + 1):
            log.event(out)
        log.close()
    return log.path


def test_history_lists_sessions_with_totals_as_json_and_text(tmp_path, capsys):
    _session(tmp_path, "2026-01-01_10-00-00", 3)
    _session(tmp_path, "2026-01-02_10-00-00", 5, close=False)  # a crashed one
    assert main(["history", "--log-dir", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {r["session"]: r for r in data["sessions"]}
    assert rows["2026-01-01_10-00-00"]["reps"] == 3 and rows["2026-01-01_10-00-00"]["faults"] == {"spine_rounding": 1}
    assert rows["2026-01-02_10-00-00"]["reps"] == 5 and not rows["2026-01-02_10-00-00"]["closed"]
    assert main(["history", "--log-dir", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "2 sessions, 2 sets, 8 reps" in text and "recovered" in text


def test_report_by_prefix_writes_text_and_plot(tmp_path, capsys):
    _session(tmp_path, "2026-01-01_10-00-00", 3)
    assert main(["report", "2026-01-01", "--log-dir", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reps"] == 3 and out["plot"].endswith(".png") and "3 reps" in out["summary"]


def test_bad_input_is_one_sentence_and_exit_2(tmp_path, capsys):
    assert main(["report", "nothing-like-this", "--log-dir", str(tmp_path)]) == 2
    assert "no session 'nothing-like-this'" in capsys.readouterr().err
    assert main(["demo", "--trace", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "missing.jsonl: no such file" in err and "Traceback" not in err
    assert main(["live", "--exercise", "bench_press"]) == 2
    assert "'bench_press' is not an exercise" in capsys.readouterr().err
