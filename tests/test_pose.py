"""Pose from pictures: the real MediaPipe model on videos animated from real photos of people."""

from __future__ import annotations

import os

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
pytest.importorskip("mediapipe")

import pose_media as pm  # noqa: E402
from coach.cli.main import main  # noqa: E402
from coach.core.landmarks import LEFT_HIP, RIGHT_HIP  # noqa: E402
from coach.pose import PoseSourceError, open_landmark_stream  # noqa: E402
from coach.pose.estimator import create_estimator  # noqa: E402
from coach.pose.guard import torso_of  # noqa: E402
from coach.pose.sources import CameraSource, RGBPrefetch, VideoFileSource  # noqa: E402
from coach.io.trace import read_trace  # noqa: E402

W, H, FPS = 320, 240, 15.0
BLANK = range(10, 14)  # frames of the walking video with nobody in them
SHIFT_PX = 4  # the person moves right by this much per frame


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("pose_media")
    fb, bp = pm.footballer(), pm.basketball_player()
    bg = pm.background(W, H)
    m = {}
    walk = [bg if i in BLANK else pm.place(bg, fb, 100 + SHIFT_PX * i, 125, 220) for i in range(24)]
    m["walk"] = pm.write_video(str(d / "walk.avi"), walk, FPS)
    m["walk_mp4"] = pm.write_video(str(d / "walk.mp4"), walk, FPS, "mp4v")
    m["turn"] = pm.write_video(str(d / "turn.avi"), [
        pm.place(bg, bp, 160, 122, 160 + 6 * i, angle_deg=(i - 6) * 2.5) for i in range(12)], FPS)
    m["cut"] = pm.write_video(str(d / "cut.avi"), [pm.place(bg, bp, 70, 120, 230)] * 8
                              + [pm.place(bg, fb, 240, 125, 220)] * 8, FPS)
    wide = pm.background(480, H)
    m["two"] = pm.write_video(str(d / "two.avi"), [
        pm.place(pm.place(wide, bp, 90, 120, 230), fb, 330 + 2 * i, 125, 220) for i in range(10)], FPS)
    m["nobody"] = pm.write_video(str(d / "nobody.avi"), [bg] * 6, FPS)
    vfr_times = [0, 100, 200, 250, 300, 500, 600, 700, 1000, 1100, 1133, 1166]
    vfr = pm.write_video(str(d / "vfr.mkv"), [pm.place(bg, fb, 150 + 2 * i, 125, 220)
                                               for i in range(len(vfr_times))], 10.0)
    pm.set_mkv_frame_times(vfr, vfr_times)
    m["vfr"], m["vfr_times"] = vfr, [ms / 1000 for ms in vfr_times]
    m["truncated"] = pm.truncate(m["walk"], str(d / "truncated.avi"), 0.6)
    m["truncated_mp4"] = pm.truncate(m["walk_mp4"], str(d / "truncated.mp4"), 0.6)
    m["not_video"] = str(d / "notes.mp4")
    (d / "notes.mp4").write_text("this is a shopping list, not a video\n")
    frames_dir = d / "astronaut_frames"
    frames_dir.mkdir()
    for i in range(6):
        cv2.imwrite(str(frames_dir / f"{i:03d}.png"), pm.place(pm.background(W, H), pm.astronaut(),
                                                                  150 + 3 * i, 140, 240))
    m["images"] = str(frames_dir)
    m["dir"] = d
    return m


def hip_x(frame) -> float:
    return float(frame.landmarks[[LEFT_HIP, RIGHT_HIP], 0].mean())


@pytest.fixture(scope="session")
def walk_frames(media):
    meta, frames = open_landmark_stream(media["walk"])
    return meta, list(frames)


def test_a_walking_person_is_found_and_tracked(walk_frames):
    meta, frames = walk_frames
    assert (meta.width, meta.height, meta.fps) == (W, H, FPS)
    assert len(frames) == 24
    seen = [f for i, f in enumerate(frames) if i not in BLANK]
    assert all(f.landmarks is not None for f in seen)
    for f in seen:
        assert f.landmarks.shape == (33, 4)
        assert np.isfinite(f.landmarks).all()
        assert f.landmarks[[11, 12, 23, 24], 3].min() > 0.5  # shoulders and hips clearly visible
        nose_y, hip_y, ankle_y = f.landmarks[0, 1], f.landmarks[[23, 24], 1].mean(), f.landmarks[[27, 28], 1].mean()
        assert 0 < nose_y < hip_y < ankle_y < 1.05  # head above hips above feet, in the picture
    # the hips follow the picture: SHIFT_PX per frame to the right
    idx = np.array([i for i in range(24) if i not in BLANK])
    slope = np.polyfit(idx, [hip_x(frames[i]) * W for i in idx], 1)[0]
    assert SHIFT_PX * 0.7 < slope < SHIFT_PX * 1.3


def test_blank_frames_are_no_person(walk_frames):
    _, frames = walk_frames
    assert all(frames[i].landmarks is None for i in BLANK)


def test_timestamps_are_the_frame_times_of_the_video(walk_frames, media):
    _, frames = walk_frames
    assert [f.t for f in frames] == pytest.approx([i / FPS for i in range(24)], abs=1e-3)
    meta, vfr = open_landmark_stream(media["vfr"])
    assert [f.t for f in vfr] == pytest.approx(media["vfr_times"], abs=1e-3)  # not index / fps


def test_mp4_gives_the_same_landmarks_as_avi(walk_frames, media):
    _, avi = walk_frames
    _, mp4 = open_landmark_stream(media["walk_mp4"])
    mp4 = list(mp4)
    assert [f.landmarks is None for f in mp4] == [f.landmarks is None for f in avi]
    diffs = [abs(hip_x(a) - hip_x(b)) for a, b in zip(avi, mp4) if a.landmarks is not None]
    assert max(diffs) < 0.03


def test_a_person_turning_and_growing_is_tracked_with_a_growing_torso(media):
    meta, frames = open_landmark_stream(media["turn"])
    sizes = [torso_of(f.landmarks, meta.width, meta.height).size for f in frames if f.landmarks is not None]
    assert len(sizes) >= 10
    assert sizes[-1] > sizes[0] * 1.3  # the picture grows from 160 to 226 px tall


def test_a_cut_to_another_person_never_jumps_straight_to_them(media):
    meta, frames = open_landmark_stream(media["cut"])
    frames = list(frames)
    first, second = frames[:8], frames[8:]
    assert all(f.landmarks is not None and hip_x(f) < 0.4 for f in first[1:])
    assert second[0].landmarks is None and second[1].landmarks is None  # not trusted yet
    assert all(f.landmarks is not None and hip_x(f) > 0.6 for f in second[-4:])  # then re-acquired


def test_two_people_side_by_side_stay_one_person(media):
    meta, frames = open_landmark_stream(media["two"])
    xs = [hip_x(f) for f in frames if f.landmarks is not None]
    assert len(xs) >= 7
    assert max(xs) - min(xs) < 0.1  # always the same one of the two


def test_image_folder_of_an_upper_body(media):
    meta, frames = open_landmark_stream(media["images"], image_fps=10)
    frames = list(frames)
    assert (meta.width, meta.height, meta.fps) == (W, H, 10.0)
    assert [f.t for f in frames] == pytest.approx([i / 10 for i in range(6)])
    found = [f for f in frames if f.landmarks is not None]
    assert len(found) >= 5
    for f in found:  # shoulders in the picture and sure, hips cut off by the frame edge and unsure
        assert f.landmarks[[11, 12], 3].min() > 0.8
        assert f.landmarks[[11, 12], 1].max() < 1.0


def test_truncated_video_yields_what_it_has_then_a_clear_error(media):
    meta, frames = open_landmark_stream(media["truncated"])
    got = []
    with pytest.raises(PoseSourceError, match="corrupt or truncated") as err:
        for f in frames:
            got.append(f)
    assert 5 <= len(got) < 24
    assert any(f.landmarks is not None for f in got)
    assert "\n" not in str(err.value)


def test_a_truncated_mp4_is_named_corrupt(media):
    with pytest.raises(PoseSourceError, match="corrupt or truncated"):
        meta, frames = open_landmark_stream(media["truncated_mp4"])
        list(frames)


def test_not_a_video_and_missing_file(media):
    with pytest.raises(PoseSourceError, match="not a video"):
        open_landmark_stream(media["not_video"])
    with pytest.raises(PoseSourceError, match="no such file"):
        open_landmark_stream(str(media["dir"] / "absent.mp4"))


def test_a_video_with_nobody_says_so_after_the_run(media):
    meta, frames = open_landmark_stream(media["nobody"])
    got = []
    with pytest.raises(PoseSourceError, match="no person was found in any of its 6 frames"):
        for f in frames:
            got.append(f)
    assert len(got) == 6 and all(f.landmarks is None for f in got)


def test_tasks_api_with_a_task_bundle_finds_the_same_body(media):
    task = pm.pose_task_bundle(str(media["dir"] / "pose_full.task"))
    _, ref = open_landmark_stream(media["walk"])
    _, tasks = open_landmark_stream(media["walk"], model=task)
    ref, tasks = list(ref), list(tasks)
    assert [f.landmarks is None for f in tasks] == [f.landmarks is None for f in ref]
    body = [11, 12, 23, 24, 25, 26]  # shoulders, hips, knees (hands differ more between the two graphs)
    diffs = [np.abs(a.landmarks[body, :2] - b.landmarks[body, :2]).max() for a, b in zip(ref, tasks)
             if a.landmarks is not None]
    assert max(diffs) < 0.04


def test_models_that_are_not_on_disk_are_refused_without_download(media, tmp_path):
    import mediapipe as mp
    lite = os.path.join(os.path.dirname(mp.__file__), "modules", "pose_landmark", "pose_landmark_lite.tflite")
    if os.path.exists(lite):
        pytest.skip("the lite model is installed here")
    with pytest.raises(PoseSourceError, match="never downloaded"):
        create_estimator("lite")
    assert not os.path.exists(lite)
    with pytest.raises(PoseSourceError, match="no such model file"):
        create_estimator(str(tmp_path / "pose.task"))
    with pytest.raises(PoseSourceError, match="unknown pose model"):
        create_estimator("yolo.onnx")
    bogus = tmp_path / "bogus.task"
    bogus.write_text("not a zip")
    with pytest.raises(PoseSourceError, match="not a usable PoseLandmarker model"):
        create_estimator(str(bogus))


def test_camera_keeps_only_the_newest_frame_and_reports_the_end(media):
    # OpenCV opens a file like a camera: the reader thread runs ahead of a slow consumer.
    frames_in_file = VideoFileSource(media["walk"]).frame_count
    cam = CameraSource(media["walk"])
    estimator = create_estimator(None)
    taken = []
    with pytest.raises(PoseSourceError, match="stopped delivering"):
        for t, bgr in cam:
            taken.append(t)
            estimator.estimate(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), t)  # real work: slower than reading
    estimator.close()
    assert taken == sorted(taken) and len(set(taken)) == len(taken)
    assert len(taken) + cam.dropped == frames_in_file
    assert cam.dropped > 0


def test_prefetch_gives_the_same_frames_in_rgb_and_stops_cleanly(media):
    import threading
    direct = list(VideoFileSource(media["walk"]))
    ahead = list(RGBPrefetch(VideoFileSource(media["walk"])))
    assert [t for t, _ in ahead] == [t for t, _ in direct]
    assert all(np.array_equal(rgb, bgr[:, :, ::-1]) for (_, rgb), (_, bgr) in zip(ahead, direct))
    frames = iter(RGBPrefetch(VideoFileSource(media["walk"])))
    next(frames)
    frames.close()  # a consumer that stops early leaves no thread behind
    assert not any(th.name == "frame-prefetch" and th.is_alive() for th in threading.enumerate())
    got = []
    with pytest.raises(PoseSourceError, match="corrupt or truncated"):
        for item in RGBPrefetch(VideoFileSource(media["truncated"])):
            got.append(item)
    assert len(got) >= 5  # the error comes after the frames before it


def test_a_camera_that_cannot_be_opened(media):
    with pytest.raises(PoseSourceError, match="cannot be opened"):
        CameraSource(str(media["dir"] / "video9"))


# --- the command line ---

def test_cli_pose_writes_the_trace(media, walk_frames, capsys):
    out = str(media["dir"] / "walk.jsonl.gz")
    assert main(["pose", media["walk"], "-o", out]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    meta, frames = read_trace(out)
    frames = list(frames)
    assert (meta.width, meta.height, meta.fps) == (W, H, FPS)
    assert len(frames) == 24
    _, ref = walk_frames
    assert [f.landmarks is None for f in frames] == [f.landmarks is None for f in ref]
    a, b = frames[5].landmarks, ref[5].landmarks
    assert np.abs(a[:, :2] - b[:, :2]).max() < 1e-3  # rounded to 4 decimals in the file


@pytest.mark.parametrize("name, message", [("truncated", "corrupt or truncated"),
                                           ("not_video", "not a video"),
                                           ("nobody", "no person"),
                                           ("absent", "no such file")])
def test_cli_pose_bad_input_is_one_sentence_and_exit_2(media, capsys, name, message):
    video = media.get(name, str(media["dir"] / "absent.avi"))
    out = str(media["dir"] / f"{name}.jsonl")
    assert main(["pose", video, "-o", out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]
    if name == "truncated":  # what was decoded before the break is kept
        meta, frames = read_trace(out)
        assert 5 <= len(list(frames)) < 24


def test_cli_pose_says_one_line_and_no_native_chatter(media, capfd):
    out = str(media["dir"] / "quiet.jsonl")
    assert main(["pose", media["turn"], "-o", out]) == 0
    captured = capfd.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coach: 12 frames"), lines


def test_cli_analyze_takes_a_video(media, capsys):
    import json
    pytest.importorskip("coach.cli.analyze")
    assert main(["analyze", media["walk"], "--exercise", "deadlift", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["exercise"] == "deadlift" and report["rep_count"] == 0  # a person walking, no lift
    assert main(["analyze", media["not_video"], "--exercise", "deadlift"]) == 2
    assert "not a video" in capsys.readouterr().err
