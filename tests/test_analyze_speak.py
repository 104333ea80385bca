"""`coach analyze TRACE --speak-to WAV`: what the coach would have said, when."""

import json
import re
import wave
from pathlib import Path

import numpy as np
import pytest

from coach.cli import main

DEMO = Path(__file__).resolve().parent.parent / "coach" / "data" / "demo_trace.jsonl.gz"


@pytest.mark.skipif(not DEMO.exists(), reason="no bundled demo trace")
def test_speak_to_writes_the_cues_on_the_trace_timeline(tmp_path, capsys):
    wav = tmp_path / "session.wav"
    assert main(["analyze", str(DEMO), "--exercise", "hip_hinge_drill", "--json",
                 "--speak-to", str(wav)]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)  # stdout stays pure JSON
    if not report["rep_count"]:
        pytest.skip("the demo trace has no reps for this exercise")
    lines = [m.groups() for m in re.finditer(r"^\s+([\d.]+)s\s+(\w+)\s+(.+)$", captured.err, re.M)]
    counts = [(float(t), text) for t, kind, text in lines if kind == "count"]
    assert counts, captured.err
    # the first count is said when the analysis counts the first rep: just after its end
    first_end = report["reps"][0]["end"]
    assert first_end - 0.01 <= counts[0][0] <= first_end + 0.5
    with wave.open(str(wav)) as fh:
        sr = fh.getframerate()
        x = np.frombuffer(fh.readframes(fh.getnframes()), "<i2").astype(np.float32) / 32768
    def rms(t0: float, t1: float) -> float:
        seg = x[int(t0 * sr): int(t1 * sr)]
        return float(np.sqrt((seg ** 2).mean())) if len(seg) else 0.0
    t = counts[0][0]
    assert rms(t, t + 0.3) > 0.02  # speech right at the count
    first_spoken = min(float(t0) for t0, _, _ in lines)
    assert rms(max(0.0, first_spoken - 0.5), first_spoken - 0.01) < 0.002  # silence before


def test_speak_to_an_unwritable_place_is_one_sentence(tmp_path):
    from coach.cli import CliError
    from coach.events import RepCounted
    from coach.speech.render import speak_to_for_cli

    with pytest.raises(CliError, match="cannot write the speech WAV"):
        speak_to_for_cli([RepCounted(1.0, 1, 0.0, 1.0)], str(tmp_path / "missing-dir" / "x.wav"),
                         "deadlift")
