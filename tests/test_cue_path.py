"""One cue path, a lifecycle that loses nothing: what a live session says and logs.

The runtime runs for real here (its threads, the WAV speaker with espeak-ng audio, the session
log); only the speech recognizer is replaced by the WAV's own script (what was said, as said),
so the tests are about the runtime, not about recognition."""

import os
import shutil
import sys
import threading


sys.path.insert(0, os.path.dirname(__file__))
from voice_wav import command_wav  # noqa: E402

from coach.cli.main import main  # noqa: E402
from coach.core.analysis import Analyzer  # noqa: E402
from coach.core.commands import default_vocabulary  # noqa: E402
from coach.core.cue_policy import CuePolicy  # noqa: E402
from coach.core.cues import load_cues_or_builtin  # noqa: E402
from coach.core.datafile import CUES_DIR_ENV, cues_root  # noqa: E402
from coach.core.events import Cue, RepCounted  # noqa: E402
from coach.core.policy_config import PolicyConfig  # noqa: E402
from coach.core.session import Session  # noqa: E402
from coach.core.speech_queue import PREEMPT, WAIT, SpeechQueue  # noqa: E402
from coach.io.log import SessionLog, read_records  # noqa: E402
from coach.io.transcript import Transcript  # noqa: E402
from coach.io.trace import TraceWriter  # noqa: E402
from coach.pose.cameras import TraceCamera  # noqa: E402
from coach.runtime.runner import Runtime, RuntimeOptions  # noqa: E402
from coach.speech.sinks import WavSpeaker  # noqa: E402
from coach.synth import make_trace  # noqa: E402
from coach.voice.command_source import ScriptRecognizer  # noqa: E402
from coach.voice.mics import WavMic  # noqa: E402

CFG = PolicyConfig()


def trace_of(tmp_path, exercise, reps, **kw):
    """A synthetic set on disk, and the moments the analysis counts its reps."""
    tr = make_trace(exercise, reps=reps, seed=4, **kw)
    path = tmp_path / f"{exercise}.jsonl.gz"
    with TraceWriter(path, tr.meta) as w:
        for f in tr.frames:
            w.write(f)
    a = Analyzer(tr.meta, exercise)
    counts = [e.t for f in tr.frames for e in a.feed(f) if isinstance(e, RepCounted)]
    return str(path), counts, tr.frames[-1].t


def replay(tmp_path, trace, exercise, phrases=(), end=None, log_cls=SessionLog):
    """The runtime on a trace (the camera), a WAV of `phrases` (the microphone) and a WAV speaker."""
    mic = recognizer = None
    if phrases:
        wav = tmp_path / "commands.wav"
        script = command_wav(wav, list(phrases), end)
        mic, recognizer = WavMic(str(wav)), ScriptRecognizer(script)
    log = log_cls(tmp_path, "replay")
    rt = Runtime(Session(exercise=exercise), log, camera=TraceCamera(trace), mic=mic, recognizer=recognizer,
                 speaker=WavSpeaker(str(tmp_path / "speech.wav")), options=RuntimeOptions(),
                 transcript=Transcript(None))
    return rt.run(), list(read_records(log.path))


def test_one_scale_a_count_cuts_the_greeting_help_and_corrections_and_what_still_matters_follows():
    lib = load_cues_or_builtin("en")
    policy = CuePolicy(lib, CFG, "deadlift", default_vocabulary("en"), wake_word="coach")
    (greeting,) = policy.greeting(0.0, "deadlift")
    assert "Say 'coach, help'" in greeting.text  # the phrase that works, wake word and all
    q = SpeechQueue(CFG)
    q.offer(greeting, 0.0)
    count = Cue(1.0, "1.", "count", CFG.priority("count"), "count.rep", 1)
    assert q.offer(count, 1.0, said_share=0.4) == PREEMPT  # the number is said now
    (help_cue,) = policy.help(1.1)
    assert q.offer(help_cue, 1.1) == WAIT  # an answer waits for the number...
    correction = Cue(1.1, "Hips back.", "correction", CFG.priority("correction"), "fault.x.short", 1)
    assert q.offer(correction, 1.1) == WAIT
    after = [q.finished(1.4).key, q.finished(2.0).key]
    assert after == ["fault.x.short", "help"]  # ...then what it cut; the greeting is moot once reps count
    q.finished(2.5)
    q.offer(Cue(3.0, "Squat. Say 'coach, help' for commands.", "help", CFG.priority("help"), "system.greeting"), 3.0)
    assert q.offer(Cue(3.5, "Set 1. Go.", "set", CFG.priority("set"), "set.start"), 3.5) == PREEMPT
    assert q.finished(4.0) is None  # a set that starts makes the greeting moot: not said again
    assert q.finished(5.0) is None
    q.offer(Cue(6.0, "Set 1.", "set", CFG.priority("set"), "set.start"), 6.0)
    assert q.offer(Cue(6.1, "Sorry?", "confirm", CFG.priority("confirm"), "system.rejection"), 6.1) == PREEMPT
    q.offer(Cue(6.2, "You can say...", "help", CFG.priority("help"), "help"), 6.2)
    assert q.finished(7.0).key == "set.start"  # the cut announcement, re-timed from the cut
    assert q.finished(8.5) is None and q.dropped[-1].key == "help"  # 2.3 s late: dropped
    safety = Cue(9.0, "Stop. Reset your back.", "safety", CFG.priority("safety"), "safety.x")
    q.offer(safety, 9.0)
    assert q.offer(Cue(9.1, "2.", "count", CFG.priority("count"), "count.rep", 2), 9.1) == PREEMPT
    assert q.finished(9.5).text == "Stop. Reset your back."  # the number, then the safety message


def test_every_count_is_said_within_300_ms_even_while_corrections_play(tmp_path):
    trace, counts, end = trace_of(tmp_path, "kettlebell_swing", 8, faults={i: ["arm_driven_swing"] for i in range(2, 9)})
    result, records = replay(tmp_path, trace, "kettlebell_swing")
    said = [(c.rep, t - c.t) for t, c in result.cues if c.kind == "count"]
    assert [rep for rep, _ in said] == list(range(1, len(counts) + 1))
    assert max(lag for _, lag in said) <= 0.3
    assert any(c.kind == "correction" for _, c in result.cues)


def test_policy_toml_is_honoured_in_a_session_and_a_broken_one_is_one_sentence(tmp_path, monkeypatch, capsys):
    cues = tmp_path / "cues"
    shutil.copytree(cues_root(), cues)
    policy = cues / "policy.toml"
    policy.write_text(policy.read_text().replace("count_every = 1 ", "count_every = 2 "))
    monkeypatch.setenv(CUES_DIR_ENV, str(cues))
    trace, counts, _ = trace_of(tmp_path, "romanian_deadlift", 4)
    result, _ = replay(tmp_path, trace, "romanian_deadlift")
    assert [c.text for _, c in result.cues if c.kind == "count"] == ["2.", "4."]

    policy.write_text(policy.read_text().replace("count_every = 2 ", 'count_every = "two" '))
    for argv in (["demo", "--out", str(tmp_path / "demo"), "--quiet"],
                 ["live", "--camera", trace, "--mic", "none", "--speaker", "none", "--exercise", "squat"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "policy.toml" in err[0] and "count_every" in err[0], err


def test_verdicts_are_kept_when_the_lifter_switches_exercise_right_after_a_rep(tmp_path):
    trace, counts, end = trace_of(tmp_path, "romanian_deadlift", 2, ending=False)
    result, records = replay(tmp_path, trace, "romanian_deadlift",
                             [(counts[-1] + 0.05, "coach switch to squats")], end + 3.0)
    judged = [r["rep"] for r in records if r["type"] == "rep_judged"]
    assert judged == [1, 2]
    first_set = [r for r in records if r["type"] == "rep_recorded" and r["set_no"] == 1]
    assert {r["rep"] for r in first_set if r["judged"]} == {1, 2}


def test_verdicts_are_kept_when_the_workout_is_finished_at_lockout(tmp_path):
    trace, counts, end = trace_of(tmp_path, "deadlift", 2, ending=False)
    result, records = replay(tmp_path, trace, "deadlift",
                             [(counts[-1] + 0.05, "coach finish workout")], end + 3.0)
    assert [r["rep"] for r in records if r["type"] == "rep_judged"] == [1, 2]
    assert records[-1]["type"] == "session_end"


class ThreadNotingLog(SessionLog):
    writers: set[str] = set()

    def write(self, record):
        if record.get("type") != "session_start":  # written by whoever opens the log, before the session
            ThreadNotingLog.writers.add(threading.current_thread().name)
        super().write(record)


def test_the_log_is_written_by_one_thread(tmp_path):
    trace, counts, end = trace_of(tmp_path, "squat", 3)
    ThreadNotingLog.writers = set()
    result, records = replay(tmp_path, trace, "squat", [(counts[0] + 0.3, "coach how many")], end + 1.0,
                             log_cls=ThreadNotingLog)
    assert any(r["type"] == "cue_spoken" for r in records) and records[-1]["type"] == "session_end"
    assert ThreadNotingLog.writers == {"coach-core"}


def test_live_without_an_exercise_asks_and_counts_once_told(tmp_path):
    trace, counts, end = trace_of(tmp_path, "good_morning", 3)
    wav = tmp_path / "commands.wav"
    script = command_wav(wav, [(0.5, "coach good mornings")], end + 1.0)
    log = SessionLog(tmp_path, "ask")
    rt = Runtime(Session(), log, camera=TraceCamera(trace), mic=WavMic(str(wav)),
                 recognizer=ScriptRecognizer(script), speaker=WavSpeaker(str(tmp_path / "s.wav")),
                 options=RuntimeOptions(wake_word="coach"), transcript=Transcript(None))
    result = rt.run()
    first = result.cues[0][1]
    assert "Which exercise?" in first.text and "coach, help" in first.text
    records = list(read_records(log.path))
    assert [r["exercise"] for r in records if r["type"] == "exercise_changed"] == ["good_morning"]
    assert result.reps == len(counts) == 3


def test_a_cue_handed_over_late_is_said_from_now_never_over_another():
    import numpy as np

    from coach.speech.timeline import Layout
    layout = Layout(lambda text: np.ones(len(text) * 100, np.float32), 1000, CFG)
    layout.add(Cue(5.0, "Set 1. Go.", "set", CFG.priority("set"), "set.start"))
    layout.add(Cue(3.0, "The camera stopped.", "system", CFG.priority("system"), "system.message"))
    layout.finish()
    segs = layout.segments
    assert all(s.start >= 5.0 for s in segs)
    assert all(a.end <= b.start + 1e-9 for a, b in zip(segs, segs[1:]))
