"""The runtime end to end with file-backed adapters (a trace as the camera, a WAV as the
microphone, a WAV file as the speaker), a real kill -9 mid-set, and missing devices."""

import json
import os
import signal
import subprocess
import sys
import time
import wave

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from voice_wav import command_wav  # noqa: E402

from coach.io.log import SessionLog, load_session, read_records  # noqa: E402
from coach.io.transcript import Transcript  # noqa: E402
from coach.pose.cameras import TraceCamera  # noqa: E402
from coach.runtime.devices import open_devices  # noqa: E402
from coach.runtime.runner import Runtime, RuntimeOptions  # noqa: E402
from coach.speech.sinks import WavSpeaker  # noqa: E402
from coach.voice.command_source import make_recognizer  # noqa: E402
from coach.voice.mics import WavMic  # noqa: E402
from coach.core.session import Session  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRACE = os.path.join(REPO, "coach", "data", "demo_trace.jsonl.gz")  # deadlifts, then swings
EXERCISE = "deadlift"


def counts_of(exercise, frames, since=0.0):
    """When the analysis itself counts reps on these frames (the runtime must match it)."""
    from coach.core.analysis import Analyzer
    from coach.io.trace import read_trace
    meta, _ = read_trace(TRACE)
    a = Analyzer(meta, exercise)
    out = []
    for f in frames:
        if f.t >= since:
            out += [e.t for e in a.feed(f) if type(e).__name__ == "RepCounted"]
    return out


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    """The bundled demo trace and a WAV of our own commands placed around its counted reps."""
    from coach.io.trace import read_trace
    d = tmp_path_factory.mktemp("runtime_media")
    with open(os.path.join(REPO, "coach", "data", "demo_commands.json")) as fh:
        seg = json.load(fh)["segments"]
    frames = list(read_trace(TRACE)[1])
    counts = counts_of(EXERCISE, frames)
    counts = [t for t in counts if t < seg[0]["end"]]
    assert len(counts) >= 4, counts
    end = frames[-1].t
    switch = seg[0]["end"] - 2.5
    phrases = [(0.5, "coach, start set"),
               (counts[1] + 0.3, "coach, how many reps"),
               (switch, "coach, switch to kettlebell swings"),
               (end - 3.0, "coach, finish workout")]
    wav = d / "commands.wav"
    script = command_wav(wav, phrases, end + 0.5)
    return {"trace": TRACE, "wav": str(wav), "script": script, "counts": counts, "end": end,
            "frames": frames, "switch_heard": script[2]["t"]}


def run(tmp_path, media, camera=True, mic=True, speaker=True, devices=None):
    d = devices
    if d is None:
        from coach.runtime.devices import Devices
        d = Devices()
        d.camera = TraceCamera(media["trace"]) if camera else None
        if mic:
            d.mic = WavMic(media["wav"])
            d.recognizer, _ = make_recognizer("en", script=media["script"])
        d.speaker = WavSpeaker(str(tmp_path / "speech.wav")) if speaker else None
    log = SessionLog(tmp_path, "run")
    transcript = Transcript(None)
    rt = Runtime(Session(exercise=EXERCISE), log, camera=d.camera, mic=d.mic, recognizer=d.recognizer,
                 speaker=d.speaker, options=RuntimeOptions(), transcript=transcript, messages=d.messages)
    result = rt.run()
    return result, load_session(log.path), list(read_records(log.path)), transcript.sorted_text()


def test_a_workout_runs_end_to_end_on_a_trace_and_a_wav(tmp_path, media):
    result, data, records, text = run(tmp_path, media)
    kinds = [r["type"] for r in records]
    started = [r for r in records if r["type"] == "set_started"]
    # "start set" started set 1 before any rep (not an implicit set)
    assert started[0]["exercise"] == EXERCISE and started[0]["t"] < media["counts"][0]
    # "how many" answered with the reps counted so far
    answer = [r for r in records if r["type"] == "answered"][0]
    assert answer["question"] == "count" and answer["reps"] == 2
    # "switch to romanian deadlifts" ended the set; later reps belong to set 2
    assert [r["exercise"] for r in records if r["type"] == "exercise_changed"] == ["kettlebell_swing"]
    switched = [r["t"] for r in records if r["type"] == "exercise_changed"][0]
    assert abs(switched - media["switch_heard"]) < 1.0
    assert [(s.exercise, len(s.reps)) for s in data.sets][0] == (EXERCISE, len([t for t in media["counts"] if t < switched]))
    swings = counts_of("kettlebell_swing", media["frames"], since=switched)
    assert len(swings) >= 3
    assert (data.sets[1].exercise, len(data.sets[1].reps)) == ("kettlebell_swing", len(swings))
    # "finish workout" closed the log cleanly
    assert "workout_finished" in kinds and data.finished
    assert len(data.hip) > 100  # the hip flexion signal for the report's plot
    # the speech WAV holds sound where the coach spoke, silence well before the first cue
    with wave.open(str(tmp_path / "speech.wav")) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(float)
    spoken = [r for r in records if r["type"] == "cue_spoken"]
    assert len(spoken) >= 6
    for r in spoken:
        i = int(r["t"] * rate)
        assert np.sqrt(np.mean(x[i: i + int(0.3 * rate)] ** 2)) > 300, r["text"]
    assert any("so far" in r["text"] or " of " in r["text"] for r in spoken)  # the count, said
    assert '"coach switch to kettlebell swings" -> SwitchExercise' in text


def test_kill_9_mid_set_leaves_a_valid_log_with_every_finished_rep(tmp_path, media):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "coach.cli", "demo", "--realtime", "--speed", "4",
                             "--out", str(out), "--quiet"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "err.txt", "w"))
    log = out / "demo-session.jsonl"
    seen: list[dict] = []
    try:
        deadline = time.monotonic() + 120  # a loaded machine starts Python slowly
        while time.monotonic() < deadline:  # synchronise on the log itself: 2 reps written
            if log.exists():
                seen = [r for r in read_records(log) if r["type"] == "rep_recorded"]
                if len({r["rep"] for r in seen}) >= 2:
                    break
            assert proc.poll() is None, "the demo ended before two reps: " + (tmp_path / "err.txt").read_text()
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert len({r["rep"] for r in seen}) >= 2
    data = load_session(log)
    assert not data.finished  # really killed: no closing line
    reps = [r.rep for s in data.sets for r in s.reps]
    kept = {(s.set_no, r.rep) for s in data.sets for r in s.reps}
    assert {(r["set_no"], r["rep"]) for r in seen} <= kept  # every rep written before the kill
    with open(log, encoding="utf-8") as fh:  # every complete line is valid JSON
        lines = fh.read().split("\n")
    for line in lines[:-1]:
        json.loads(line)
    # and the report reads it
    r = subprocess.run([sys.executable, "-m", "coach.cli", "report", str(log), "--out", str(tmp_path / "rep"),
                        "--json"], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["reps"] == len(reps)


def _start_paced_demo(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "coach.cli", "demo", "--realtime", "--speed", "4",
                             "--out", str(out), "--quiet"], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / "err.txt", "w"))
    log = out / "demo-session.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # synchronise on the log: two reps of the set written
        if log.exists() and len({r["rep"] for r in read_records(log) if r["type"] == "rep_recorded"}) >= 2:
            return proc, log
        assert proc.poll() is None, "the demo ended before two reps: " + (tmp_path / "err.txt").read_text()
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("no two reps within 120 s")


def test_sigterm_mid_set_says_the_set_summary_and_closes_the_log(tmp_path):
    proc, log = _start_paced_demo(tmp_path)
    try:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    records = list(read_records(log))
    kinds = [r["type"] for r in records]
    assert kinds[-1] == "session_end" and "set_ended" in kinds and "workout_finished" in kinds
    ended = [r for r in records if r["type"] == "set_ended"][-1]
    assert ended["reps"] >= 1
    said = [r["text"] for r in records if r["type"] == "cue_spoken"]
    assert any(t.startswith(f"Set {ended['set_no']} done") for t in said)


def test_missing_microphone_is_said_and_the_coach_keeps_counting(tmp_path, media):
    d = open_devices(media["trace"], "no-such-microphone", str(tmp_path / "speech.wav"))
    assert d.mic is None and any("microphone" in m for m in d.messages)
    result, data, records, text = run(tmp_path, media, devices=d)
    assert data.total_reps == len(counts_of(EXERCISE, media["frames"]))
    said = [r["text"] for r in records if r["type"] == "cue_spoken"]
    assert any("No microphone found" in s for s in said)  # spoken into the speech WAV


def test_missing_speaker_prints_the_cues_and_the_session_goes_on(tmp_path, media):
    d = open_devices(media["trace"], "none", "no-such-speaker")
    assert d.speaker is None and any("No speaker found" in m for m in d.messages)
    result, data, records, text = run(tmp_path, media, devices=d)
    assert "No speaker found" in text and data.total_reps == len(counts_of(EXERCISE, media["frames"]))
    assert "coach  Set 1 done" in text or "Set 1 done" in text


def test_missing_camera_is_said_and_voice_commands_still_work(tmp_path, media):
    d = open_devices("/dev/no-such-camera", media["wav"], str(tmp_path / "speech.wav"), script=media["script"])
    assert d.camera is None and any("camera" in m for m in d.messages)
    result, data, records, text = run(tmp_path, media, devices=d)
    kinds = [r["type"] for r in records]
    assert "set_started" in kinds and "exercise_changed" in kinds and "workout_finished" in kinds
    said = [r["text"] for r in records if r["type"] == "cue_spoken"]
    assert any("camera" in s for s in said)


def test_coach_demo_counts_cues_two_faults_and_obeys_three_voice_commands(tmp_path):
    """The README's main command, on its bundled trace and WAV, through the real recogniser."""
    from coach.cli.main import main
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    records = list(read_records(out / "demo-session.jsonl"))
    commands = [r["command"] for r in records if r["type"] == "command_heard"]
    assert {"SwitchExercise", "StartSet", "HowMany"} <= set(commands)
    assert any(r["type"] == "exercise_changed" for r in records)
    assert any(r["type"] == "answered" and r["question"] == "count" for r in records)
    assert len([r for r in records if r["type"] == "rep_recorded" and not r["judged"]]) >= 8
    cued = {r["key"].split(".")[1] for r in records if r["type"] == "cue_spoken" and r["key"].startswith("fault.")}
    assert len(cued) >= 2, cued
    for name in ("coach-speech.wav", "transcript.txt", "demo-session.report.txt", "demo-session.png"):
        assert (out / name).stat().st_size > 500, name


def test_speech_meant_for_the_coach_but_not_understood_gets_say_that_again(tmp_path):
    from coach.runtime.devices import Devices
    from coach.voice.command_source import ScriptRecognizer
    from coach.core.commands import default_vocabulary
    wav = tmp_path / "asides.wav"
    script = command_wav(wav, [(0.5, "coach, banana bread"), (3.0, "coach, finish workout")], 6.0)
    d = Devices()
    d.mic = WavMic(str(wav))
    d.recognizer = ScriptRecognizer(script)   # what was said, as said: the runtime's part only
    d.speaker = WavSpeaker(str(tmp_path / "speech.wav"))
    log = SessionLog(tmp_path, "asides")
    rt = Runtime(Session(exercise=EXERCISE), log, camera=None, mic=d.mic, recognizer=d.recognizer,
                 speaker=d.speaker, options=RuntimeOptions(), transcript=Transcript(None), messages=[])
    rt.run()
    records = list(read_records(log.path))
    rejected = [r for r in records if r["type"] == "command_rejected"]
    assert [r["text"] for r in rejected] == ["coach, banana bread"]
    said = [r for r in records if r["type"] == "cue_spoken"]
    sorry = [r for r in said if r["text"] == default_vocabulary("en").rejection]
    assert len(sorry) == 1 and sorry[0]["t"] >= rejected[0]["t"]
    assert "workout_finished" in [r["type"] for r in records]   # the next command still obeyed
