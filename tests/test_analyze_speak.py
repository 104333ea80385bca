"""`coach analyze TRACE --speak-to WAV`: what the coach would have said, when."""

import json
import re
import wave
from pathlib import Path

import numpy as np
import pytest

from coach.cli.main import main



@pytest.fixture(scope="module")
def hinge_trace(tmp_path_factory) -> Path:
    """Four clean hip-hinge drill reps from coach.synth, written as a trace file."""
    synth = pytest.importorskip("coach.synth")
    from coach.io.trace import TraceWriter

    trace = synth.make_trace("hip_hinge_drill", reps=4, seed=2)
    path = tmp_path_factory.mktemp("speak") / "hinge.jsonl.gz"
    with TraceWriter(path, trace.meta) as w:
        for frame in trace.frames:
            w.write(frame)
    return path


def test_speak_to_writes_the_cues_on_the_trace_timeline(hinge_trace, tmp_path, capsys):
    wav = tmp_path / "session.wav"
    assert main(["analyze", str(hinge_trace), "--exercise", "hip_hinge_drill", "--json",
                 "--speak-to", str(wav)]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)  # stdout stays pure JSON
    assert report["rep_count"] == 4
    lines = [m.groups() for m in re.finditer(r"^\s+([\d.]+)s\s+(\w+)\s+(.+)$", captured.err, re.M)]
    counts = [(float(t), text) for t, kind, text in lines if kind == "count"]
    assert [text for _, text in counts] == ["1.", "2.", "3.", "4."]
    with wave.open(str(wav)) as fh:
        sr = fh.getframerate()
        x = np.frombuffer(fh.readframes(fh.getnframes()), "<i2").astype(np.float32) / 32768

    def rms(t0: float, t1: float) -> float:
        seg = x[int(t0 * sr): int(t1 * sr)]
        return float(np.sqrt((seg ** 2).mean())) if len(seg) else 0.0

    others = [float(t) for t, kind, _ in lines if kind != "count"]  # e.g. where the camera is
    for (t, _), rep in zip(counts, report["reps"]):
        # each count is said when the analysis counts the rep: just after its end
        assert rep["end"] - 0.01 <= t <= rep["end"] + 0.5
        assert rms(t, t + 0.25) > 0.02  # speech right at the count
        if not any(rep["start"] - 3.0 <= o <= rep["end"] for o in others):
            assert rms(rep["start"], rep["end"] - 0.05) < 0.002  # silence during a rep with nothing to say


def test_speak_to_an_unwritable_place_is_one_sentence(tmp_path):
    from coach.core.errors import CliError
    from coach.core.events import RepCounted
    from coach.speech.render import speak_to_for_cli

    with pytest.raises(CliError, match="cannot write the speech WAV"):
        speak_to_for_cli([RepCounted(1.0, 1, 0.0, 1.0)], str(tmp_path / "missing-dir" / "x.wav"),
                         "deadlift")
