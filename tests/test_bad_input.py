"""Bad input to the CLI: one sentence on stderr, exit code 2, no traceback, nothing written beside
the input; what was read before a problem is still used where `coach analyze` uses it."""

from __future__ import annotations

import gzip
import json
import os
import wave

import pytest

from coach.cli.main import main
from coach.core.errors import DeviceMissing
from coach.core.exercises import exercise_ids
from coach.core.session import PlanError, parse_plan
from coach.synth import make_trace, write_trace


def _silence(path) -> str:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0" * 32000 * 2)
    return str(path)


def _one_sentence(err: str) -> str:
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("coach: ")
    return lines[0]


@pytest.fixture(scope="module")
def truncated_trace(tmp_path_factory) -> str:
    """A gzip trace of four deadlifts cut in the middle of the compressed stream."""
    d = tmp_path_factory.mktemp("truncated")
    whole = write_trace(make_trace("deadlift", reps=4, seed=3), d / "whole.jsonl.gz")
    data = open(whole, "rb").read()
    cut = d / "truncated.jsonl.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    return str(cut)


# --- coach demo ----------------------------------------------------------------------------------

def test_demo_unknown_exercise_is_exit_2_naming_the_known_ones(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["demo", "--exercise", "deadlfit", "--out", str(out), "--quiet"]) == 2
    line = _one_sentence(capsys.readouterr().err)
    assert "deadlfit" in line and all(ex in line for ex in exercise_ids())
    assert not out.exists()  # refused before anything was written


def test_demo_on_a_truncated_trace_runs_on_what_was_read_like_analyze(truncated_trace, tmp_path, capsys):
    # analyze reports the reps read before the break and exits 2 with the sentence
    assert main(["analyze", truncated_trace, "--exercise", "deadlift", "--json"]) == 2
    captured = capsys.readouterr()
    read_before = json.loads(captured.out)["rep_count"]
    assert read_before >= 1
    assert "truncated" in _one_sentence(captured.err)
    # the demo does the same: exit 2, one sentence, the workout up to the break in its outputs
    out = tmp_path / "out"
    assert main(["demo", "--trace", truncated_trace, "--mic", _silence(tmp_path / "quiet.wav"),
                 "--out", str(out), "--quiet"]) == 2
    line = _one_sentence(capsys.readouterr().err)
    assert "truncated.jsonl.gz" in line and "truncated" in line.split("truncated.jsonl.gz", 1)[1]
    log = [json.loads(ln) for ln in open(out / "demo-session.jsonl", encoding="utf-8")]
    assert sum(r["type"] == "rep_counted" for r in log) == read_before
    assert (out / "demo-session.report.txt").exists()


def test_demo_given_a_video_says_how_to_make_a_trace(tmp_path, capsys):
    video = tmp_path / "lift.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4)
    out = tmp_path / "out"
    assert main(["demo", "--trace", str(video), "--out", str(out), "--quiet"]) == 2
    line = _one_sentence(capsys.readouterr().err)
    assert "corrupt" not in line
    assert "--trace takes a landmark trace" in line and f"coach pose {video}" in line
    assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == ["lift.mp4"]


def test_demo_given_a_text_file_says_it_is_no_trace(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("squats on monday\n")
    assert main(["demo", "--trace", str(notes), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "is not a landmark trace" in _one_sentence(capsys.readouterr().err)
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


# --- coach report --------------------------------------------------------------------------------

@pytest.mark.parametrize("name, content", [
    ("plot.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    ("notes.txt", b"deadlift 5x5, felt good\n"),
    ("other.jsonl", b'{"type": "something_else", "t": 1.0}\n'),
    ("trace.jsonl.gz", gzip.compress(b'{"meta": {"width": 640, "height": 480}}\n')),
    ("empty.jsonl", b""),
])
def test_report_on_a_file_that_is_no_session_log_writes_nothing(tmp_path, capsys, name, content):
    f = tmp_path / name
    f.write_bytes(content)
    assert main(["report", str(f)]) == 2
    line = _one_sentence(capsys.readouterr().err)
    assert "is not a session log" in line
    assert sorted(os.listdir(tmp_path)) == [name]  # no report, no plot beside it
    assert main(["report", str(f), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "is not a session log" in _one_sentence(captured.err)


def test_history_skips_a_file_that_is_no_session_log(tmp_path, capsys):
    (tmp_path / "other.jsonl").write_text('{"type": "something_else"}\n')
    assert main(["history", "--log-dir", str(tmp_path), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["sessions"] == []
    assert "other.jsonl" in _one_sentence(captured.err)


# --- plans ---------------------------------------------------------------------------------------

def test_plan_errors_count_exercises_from_1():
    with pytest.raises(PlanError, match=r"^p.toml: exercise 1: 'sets' must be a whole number$"):
        parse_plan({"exercise": [{"name": "deadlift", "sets": "three"}]}, "p.toml")
    with pytest.raises(PlanError, match=r"^p.toml: exercise 2: 'bench_press' is not an exercise"):
        parse_plan({"exercise": [{"name": "deadlift"}, {"name": "bench_press"}]}, "p.toml")
    with pytest.raises(PlanError, match=r"^p.toml: exercise 1 has an unknown key 'weight'"):
        parse_plan({"exercise": [{"name": "deadlift", "weight": 100}]}, "p.toml")
    with pytest.raises(PlanError, match=r"^p.toml: exercise 1 has no name"):
        parse_plan({"exercise": [{"sets": 3}]}, "p.toml")
    with pytest.raises(PlanError) as e:
        parse_plan({"exercise": [{"name": "deadlift", "rest": -5}]}, "p.toml")
    assert "[" not in str(e.value)


def test_live_with_a_bad_plan_says_exercise_1(tmp_path, capsys):
    plan = tmp_path / "plan.toml"
    plan.write_text('[[exercise]]\nname = "deadlift"\nreps = 0\n')
    assert main(["live", "--plan", str(plan), "--camera", "none", "--mic", "none", "--speaker", "none"]) == 2
    assert "exercise 1: 'reps' must be positive" in _one_sentence(capsys.readouterr().err)


# --- devices -------------------------------------------------------------------------------------

def test_a_missing_microphone_is_said_once(monkeypatch):
    import coach.runtime.devices as devices

    class NoMic:
        def __init__(self, *a, **kw):
            raise DeviceMissing("no microphone found (no audio input device)")

    monkeypatch.setattr(devices, "LiveMic", NoMic)
    d = devices.open_devices(camera="none", mic=None, speaker="none")
    assert d.mic is None
    assert d.messages == ["No microphone found (no audio input device). "
                          "Voice commands are off; the coach keeps counting."]


def test_device_reasons_read_as_one_sentence():
    from coach.runtime.devices import _because

    assert _because(DeviceMissing("no microphone found"), "no microphone found") == ""
    assert _because(DeviceMissing("no microphone named 'usb' (found: a; b)."), "no microphone found") == \
        ": no microphone named 'usb' (found: a; b)"
    assert _because(DeviceMissing("speaker busy"), "no speaker found") == " (speaker busy)"
