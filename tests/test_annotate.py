"""`coach analyze VIDEO --annotate OUT` and `coach pose VIDEO --annotate OUT`: the real CLI and the
real MediaPipe model on a short video made from a real photo; the output is checked as a video
(frame count, frame rate, duration, codec family) and on its pixels (skeleton at the landmarks,
the panel with the rep counter)."""

from __future__ import annotations

import contextlib
import io
import json
import os
from importlib.resources import files

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
pytest.importorskip("mediapipe")

import pose_media as pm  # noqa: E402
from coach.cli.main import main  # noqa: E402
from coach.core.events import Fault, FaultFound, NotCounted, Phase, PhaseChanged, RepCounted  # noqa: E402
from coach.core.frames import Frame  # noqa: E402
from coach.io.annotated_video import (  # noqa: E402
    BONES, CAPTION_HOLD_S, FAULT_BOX, SKELETON, Overlay, codec_for, draw_overlay)
from coach.pose import open_landmark_stream  # noqa: E402

W, H, FPS, N = 640, 480, 15.0, 30  # 2 s of video
BLANK = range(12, 16)  # nobody in the picture: the frames must still be there in the output


def _frames() -> list[np.ndarray]:
    bg = pm.background(W, H)
    fb = pm.footballer()
    return [bg if i in BLANK else pm.place(bg, fb, 220 + 6 * i, 250, 440) for i in range(N)]


def _read(path: str) -> tuple[list[np.ndarray], float, int, str]:
    """Every decodable frame, the frame rate, the announced frame count and the FOURCC."""
    cap = cv2.VideoCapture(path)
    assert cap.isOpened(), f"{path} does not open"
    fps = cap.get(cv2.CAP_PROP_FPS)
    announced = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    fourcc = int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode().lower()
    frames = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        frames.append(image)
    cap.release()
    return frames, fps, announced, fourcc


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("annotate")
    frames = _frames()
    return {"dir": d, "mp4": pm.write_video(str(d / "walk.mp4"), frames, FPS, "mp4v"),
            "avi": pm.write_video(str(d / "walk.avi"), frames, FPS, "MJPG")}


@pytest.fixture(scope="module")
def analyzed(media):
    """`coach analyze walk.mp4 --exercise deadlift --annotate out.mp4 --json`, run once."""
    out = str(media["dir"] / "out.mp4")
    rc, stdout, stderr = _run(["analyze", media["mp4"], "--exercise", "deadlift", "--annotate", out, "--json"])
    return {"rc": rc, "stdout": stdout, "stderr": stderr, "out": out}


@pytest.fixture(scope="module")
def landmarks(media):
    """What MediaPipe sees in the input (the same model, the same frames as the annotation)."""
    _, frames = open_landmark_stream(media["mp4"])
    return [f.landmarks for f in frames]


def _near(image: np.ndarray, color: tuple[int, int, int], tol: int = 60) -> np.ndarray:
    """Pixels within `tol` of `color` on every channel (the codec smears colours a little)."""
    return (np.abs(image.astype(int) - np.array(color)) <= tol).all(axis=2)


def test_analyze_writes_a_video_with_the_inputs_frames_rate_and_duration(media, analyzed):
    assert analyzed["rc"] == 0, analyzed["stderr"]
    inp, in_fps, in_count, _ = _read(media["mp4"])
    out, out_fps, out_count, fourcc = _read(analyzed["out"])
    assert len(inp) == N
    assert len(out) == len(inp) and out_count == in_count
    assert out_fps == pytest.approx(in_fps, rel=1e-3)
    assert len(out) / out_fps == pytest.approx(len(inp) / in_fps, abs=1e-3)
    assert out[0].shape == inp[0].shape
    assert fourcc in ("fmp4", "mp4v")  # MPEG-4 input -> MPEG-4 output (OpenCV cannot write H.264)


def test_analyze_keeps_stdout_pure_json_and_says_one_line(analyzed):
    report = json.loads(analyzed["stdout"])  # nothing but the report on stdout
    assert report["exercise"] == "deadlift"
    lines = analyzed["stderr"].strip().splitlines()
    assert lines == [f"coach: {N} frames annotated, written to {analyzed['out']} (mp4v)"]


def test_the_skeleton_is_drawn_on_the_landmarks(media, analyzed, landmarks):
    inp, _, _, _ = _read(media["mp4"])
    out, _, _, _ = _read(analyzed["out"])
    checked = 0
    for i, (a, b, lm) in enumerate(zip(inp, out, landmarks)):
        if lm is None:
            assert i in BLANK
            assert _near(b, SKELETON).sum() < 20  # nobody: no skeleton
            continue
        assert _near(b, SKELETON).sum() > 300 and _near(a, SKELETON).sum() < 20
        for j, k in BONES:
            if min(lm[j, 3], lm[k, 3]) < 0.8 or j in (7, 8):
                continue
            if np.hypot((lm[j, 0] - lm[k, 0]) * W, (lm[j, 1] - lm[k, 1]) * H) < 25:
                continue  # a hand or foot bone: its middle is under the joint dots
            x = int(round((lm[j, 0] + lm[k, 0]) / 2 * W))
            y = int(round((lm[j, 1] + lm[k, 1]) / 2 * H))
            if not (3 <= x < W - 3 and 3 <= y < H - 3):
                continue
            patch_out, patch_in = b[y - 2:y + 3, x - 2:x + 3], a[y - 2:y + 3, x - 2:x + 3]
            assert _near(patch_out, SKELETON).any(), (i, j, k)  # the bone passes through its midpoint
            assert not _near(patch_in, SKELETON).any()
            checked += 1
    assert checked > 100
    assert all(landmarks[i] is None for i in BLANK)


def test_the_panel_shows_the_rep_counter(media, analyzed):
    inp, _, _, _ = _read(media["mp4"])
    out, _, _, _ = _read(analyzed["out"])
    for a, b in zip(inp, out):
        panel_in, panel_out = a[8:60, 8:200], b[8:60, 8:200]  # "REP 0" at the top left
        assert (panel_in.min(axis=2) > 200).sum() == 0  # a grey wall: no white
        assert (panel_out.min(axis=2) > 200).sum() > 300  # white letters ...
        assert (panel_out.max(axis=2) < 70).sum() > 1500  # ... on a dark box
        # away from the overlay the picture is the input's (the copy is faithful)
        assert np.abs(a[2:28, W - 200:W - 8].astype(int) - b[2:28, W - 200:W - 8]).mean() < 4


def test_pose_annotate_keeps_mjpg_and_every_frame(media):
    out = str(media["dir"] / "pose.avi")
    trace = str(media["dir"] / "pose.jsonl")
    rc, stdout, stderr = _run(["pose", media["avi"], "-o", trace, "--annotate", out])
    assert rc == 0, stderr
    assert stdout == ""
    inp, in_fps, _, _ = _read(media["avi"])
    got, fps, _, fourcc = _read(out)
    assert fourcc == "mjpg" and len(got) == len(inp) == N and fps == pytest.approx(in_fps)
    assert sum(_near(b, SKELETON).sum() > 300 for b in got) == N - len(BLANK)
    assert all((b[8:60, 8:200].min(axis=2) > 200).sum() > 50 for i, b in enumerate(got) if i not in BLANK)  # hip
    assert "and " + out in stderr


def test_a_trace_cannot_be_annotated(tmp_path):
    trace = str(files("coach.data") / "demo_trace.jsonl.gz")
    out = tmp_path / "out.mp4"
    rc, stdout, stderr = _run(["analyze", trace, "--exercise", "deadlift", "--annotate", str(out)])
    assert rc == 2 and stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "--annotate needs a video" in lines[0] and lines[0].endswith(".")
    assert not out.exists()


@pytest.mark.parametrize("name, message", [("missing/out.mp4", "does not exist"),
                                           ("out.txt", "must end in"),
                                           (".", "is a folder"),
                                           ("walk.mp4", "input video itself")])
def test_a_bad_output_is_one_sentence_before_any_work(media, name, message):
    out = os.path.join(media["dir"], name)
    rc, stdout, stderr = _run(["analyze", media["mp4"], "--exercise", "deadlift", "--annotate", out])
    assert rc == 2 and stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in stderr, stderr
    assert os.path.getsize(media["mp4"]) > 0  # the input is untouched


# --- the overlay's state and drawing, without a video ---

def test_overlay_counts_and_holds_each_fault_for_two_seconds():
    ov = Overlay(reps=0)
    ov.update(1.0, [PhaseChanged(1.0, Phase.LOWERING, 1)], 40.0)
    assert (ov.phase, ov.reps, ov.hip_flexion, ov.captions) == (Phase.LOWERING, 0, 40.0, [])
    fault = Fault("spine_rounding", "rising", "severe")
    ov.update(2.0, [RepCounted(2.0, 1, 0.5, 2.0), FaultFound(2.0, 1, fault)], 5.0)
    assert ov.reps == 1 and ov.flashing
    assert [c.text for c in ov.captions] == ["Rep 1: rounded back"]
    ov.update(2.9, [FaultFound(2.9, 1, fault), NotCounted(2.9, "partial", "turned back short")], 5.0)
    # the same fault again is not a second caption; the counter's flash is over
    assert [c.text for c in ov.captions] == ["Rep 1: rounded back", "Not counted: turned back short"]
    assert not ov.flashing
    ov.update(2.0 + CAPTION_HOLD_S + 0.1, [], None)
    assert [c.text for c in ov.captions] == ["Not counted: turned back short"]
    ov.update(2.9 + CAPTION_HOLD_S + 0.1, [], None)
    assert ov.captions == [] and ov.reps == 1 and ov.hip_flexion is None


@pytest.mark.parametrize("height", [720, 1080])
def test_a_fault_caption_is_a_red_box_with_white_text(height):
    width = height * 16 // 9
    image = np.full((height, width, 3), 150, np.uint8)
    ov = Overlay(reps=3)
    ov.update(10.0, [FaultFound(10.0, 3, Fault("knee_dominant", "rising", "mild"))], 30.0)
    draw_overlay(image, Frame(10.0, None), ov)
    bottom = image[int(height * 0.85):]
    assert _near(bottom, FAULT_BOX, 40).sum() > 0.01 * bottom.shape[0] * width
    assert (bottom.min(axis=2) > 240).sum() > 500
    # the rep number is large: its letters are at least 7% of the picture's height
    rows = np.where((image[:, : width // 3].min(axis=2) > 240).any(axis=1))[0]
    assert rows.size and rows[0] < 0.1 * height
    first_block = rows[rows < rows[0] + 0.15 * height]
    assert first_block.max() - first_block.min() >= 0.07 * height


def test_codec_family():
    assert codec_for("mjpg") == "MJPG"
    assert codec_for("h264") == codec_for("avc1") == codec_for("fmp4") == codec_for("vp90") == "mp4v"
