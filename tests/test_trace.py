"""Trace reading and `coach analyze` on bad input: one sentence, exit code 2, no traceback."""

from __future__ import annotations

import gzip
import json
import math

import numpy as np
import pytest

from coach.cli.main import main
from coach.io.trace import Frame, TraceError, TraceMeta, TraceReader, TraceWriter, read_trace


def _frame_line(t: float, n: int = 33, value: float = 0.5) -> str:
    return json.dumps({"t": t, "landmarks": [[value, value, 0.0, 0.9]] * n})


def _write(path, lines: list[str], gz: bool = False) -> str:
    text = "\n".join(lines) + "\n"
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return str(path)


META = json.dumps({"meta": {"width": 640, "height": 480, "fps": 30}})


def test_reads_plain_and_gzip_alike(tmp_path):
    lines = [META, _frame_line(0.0), json.dumps({"t": 0.033, "landmarks": None}), _frame_line(0.066)]
    for gz in (False, True):
        meta, frames = read_trace(_write(tmp_path / f"t{gz}.jsonl", lines, gz))
        frames = list(frames)
        assert (meta.width, meta.height, meta.fps) == (640, 480, 30.0)
        assert [f.t for f in frames] == [0.0, 0.033, 0.066]
        assert frames[1].landmarks is None
        assert frames[0].landmarks.shape == (33, 4)


def test_nan_inf_and_far_out_values_become_missing_points(tmp_path):
    lms = [[0.5, 0.5, 0.0, 0.9]] * 33
    lms[11] = [float("nan"), 0.5, 0.0, 0.9]
    lms[12] = [0.5, float("inf"), 0.0, 0.9]
    lms[13] = [55.0, 0.5, 0.0, 0.9]
    lms[14] = [0.5, 0.5, 0.0, 7.0]  # visibility out of range is clipped, not fatal
    line = json.dumps({"t": 0.0, "landmarks": lms}).replace("Infinity", "Infinity")
    _, frames = read_trace(_write(tmp_path / "nan.jsonl", [META, line]))
    (frame,) = list(frames)
    assert math.isnan(frame.landmarks[11, 0]) and math.isnan(frame.landmarks[12, 0])
    assert math.isnan(frame.landmarks[13, 0])
    assert frame.landmarks[14, 3] == 1.0
    assert frame.landmarks[0, 0] == 0.5


def test_write_then_read_round_trip(tmp_path):
    lm = np.full((33, 4), 0.25)
    lm[5] = np.nan
    path = tmp_path / "out.jsonl.gz"
    with TraceWriter(path, TraceMeta(1280, 720, 24.0)) as w:
        w.write(Frame(0.0, lm))
        w.write(Frame(0.04, None))
    meta, frames = read_trace(path)
    frames = list(frames)
    assert meta.width == 1280 and frames[1].landmarks is None
    assert math.isnan(frames[0].landmarks[5, 0]) and frames[0].landmarks[0, 0] == 0.25


def test_the_reader_streams(tmp_path):
    """Frames come one at a time: reading the first frame of a big trace does not parse it all."""
    lines = [META] + [_frame_line(i / 30) for i in range(3000)] + ["{broken"]
    reader = TraceReader(_write(tmp_path / "big.jsonl", lines))
    it = iter(reader)
    assert next(it).t == 0.0  # the broken last line has not been reached yet
    with pytest.raises(TraceError, match="line 3002"):
        for _ in it:
            pass


@pytest.mark.parametrize("lines, message", [
    ([], "empty"),
    ([META, _frame_line(0.0, n=17)], "expected 33 landmarks, got 17"),
    ([META, '{"t": 0.0, "landmarks": [[0.5'], "line 2"),
    (['{"width": 3}'], "meta"),
    ([META, '{"landmarks": null}'], "line 2"),
])
def test_malformed_traces_name_the_line(tmp_path, lines, message):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines))
    with pytest.raises(TraceError, match=message):
        _, frames = read_trace(str(path))
        list(frames)


@pytest.mark.parametrize("content", ["", META + "\n" + '{"t": 0.0, "landmarks": [[0.5, 0.5', "not json at all"])
def test_analyze_bad_input_exits_2_with_one_sentence(tmp_path, capsys, content):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    assert main(["analyze", str(path), "--exercise", "deadlift", "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("coach: ") and "Traceback" not in err and len(err.splitlines()) == 1


def test_analyze_missing_file_and_unknown_exercise(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "nope.jsonl"), "--exercise", "deadlift"]) == 2
    assert "no such file" in capsys.readouterr().err
    path = _write(tmp_path / "ok.jsonl", [META, _frame_line(0.0)])
    assert main(["analyze", path, "--exercise", "bench_press"]) == 2
    assert "unknown exercise 'bench_press'" in capsys.readouterr().err


def test_truncated_gzip_is_a_clear_error(tmp_path, capsys):
    good = tmp_path / "good.jsonl.gz"
    _write(good, [META] + [_frame_line(i / 30) for i in range(400)], gz=True)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert main(["analyze", str(cut), "--exercise", "squat", "--json"]) == 2
    captured = capsys.readouterr()
    assert "corrupt or truncated" in captured.err
    # What was read before the cut is still reported.
    assert json.loads(captured.out)["rep_count"] == 0
