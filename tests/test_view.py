"""The camera view: side, yaw and framing from landmarks the tests build (tests/view_figure.py),
what each view allows to judge, the spoken set-up guidance, and `coach check-camera`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from view_figure import make_frames  # noqa: E402

from coach.core import landmarks as lm  # noqa: E402
from coach.cli.main import main as coach_main  # noqa: E402
from coach.core.cues import load_cues_or_builtin, placeholders  # noqa: E402
from coach.core.events import ViewChanged  # noqa: E402
from coach.core.framing import BUILTIN_EN, FramingGuide, view_sentences  # noqa: E402
from coach.io.trace import Frame, TraceMeta, TraceWriter  # noqa: E402
from coach.core.view import View, ViewEstimator, view_of  # noqa: E402
from coach.core.view_rules import (ViewRulesError, judgeable_faults, load_view_rules,  # noqa: E402
                              view_json)

LANDSCAPE = TraceMeta(1280, 720, 15.0)
PORTRAIT = TraceMeta(720, 1280, 15.0)


def swap_labels(frames: list[Frame], start: float, end: float) -> list[Frame]:
    """A MediaPipe left/right label swap of the whole body (with its visibility) in [start, end)."""
    out = []
    for f in frames:
        if f.landmarks is not None and start <= f.t < end:
            out.append(Frame(f.t, f.landmarks[list(lm.MIRROR)]))
        else:
            out.append(f)
    return out


def guide_texts(meta: TraceMeta, frames: list[Frame], exercise: str = "deadlift",
                in_rep=lambda t: False) -> list[str]:
    guide = FramingGuide(meta, exercise, load_cues_or_builtin("en"))
    return [c.text for f in frames for c in guide.feed(f, rep_in_progress=in_rep(f.t))]


# --- the view ------------------------------------------------------------------------------

@pytest.mark.parametrize("meta", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("yaw, lo, hi", [(0, 0, 6), (30, 24, 36), (60, 52, 68)])
def test_side_and_yaw_of_a_projected_figure(meta, side, yaw, lo, hi):
    v = view_of(meta, make_frames(meta, side, yaw, hinge=True, jitter=0.002))
    assert v is not None
    assert v.side == side
    assert lo <= v.yaw_deg <= hi
    assert v.in_frame


def test_frontal_camera_is_far_from_the_side_view():
    v = view_of(LANDSCAPE, make_frames(LANDSCAPE, "left", 90, jitter=0.002))
    assert v is not None and v.yaw_deg >= 60


@pytest.mark.parametrize("toward", ["front", "back"])
def test_which_way_the_camera_is_turned(toward):
    v = view_of(LANDSCAPE, make_frames(LANDSCAPE, "right", 30, toward=toward, jitter=0.002))
    assert v.toward == toward


def test_other_body_proportions_still_give_a_close_yaw():
    """Narrow shoulders and hips (a slight person): the typical-proportion model stays close."""
    frames = make_frames(LANDSCAPE, "left", 30)
    narrow = []
    for f in frames:
        a = f.landmarks.copy()
        for l, r in (lm.SIDE_JOINTS["shoulder"], lm.SIDE_JOINTS["hip"]):
            mid = (a[l, 0] + a[r, 0]) / 2
            a[l, 0] = mid + 0.8 * (a[l, 0] - mid)
            a[r, 0] = mid + 0.8 * (a[r, 0] - mid)
        narrow.append(Frame(f.t, a))
    v = view_of(LANDSCAPE, narrow)
    assert 18 <= v.yaw_deg <= 30


def test_label_swaps_and_dropouts_do_not_move_the_view():
    frames = make_frames(LANDSCAPE, "right", 30, seconds=10, jitter=0.003, seed=3)
    frames = swap_labels(frames, 2.0, 3.5)
    frames = swap_labels(frames, 6.0, 6.8)
    frames = [Frame(f.t, None) if 4.0 <= f.t < 5.0 else f for f in frames]
    est = ViewEstimator(LANDSCAPE)
    events = [e for f in frames if (e := est.feed(f)) is not None]
    assert events and all(e.side == "right" for e in events)
    assert 22 <= est.current().yaw_deg <= 38


def test_steady_view_is_announced_once_and_a_real_turn_flips_it():
    frames = make_frames(LANDSCAPE, "left", 10, seconds=8)
    turned = make_frames(LANDSCAPE, "right", 10, seconds=20)
    frames += [Frame(f.t + 8.0 + 1 / 15, f.landmarks) for f in turned]
    est = ViewEstimator(LANDSCAPE)
    events = [e for f in frames if (e := est.feed(f)) is not None]
    assert isinstance(events[0], ViewChanged) and events[0].side == "left"
    assert [e.side for e in events] == ["left", "right"]
    assert events[1].t > 8.0
    assert est.settled().side == "right"  # the view that held longest


def test_empty_frames_give_no_view():
    est = ViewEstimator(LANDSCAPE)
    assert all(est.feed(Frame(k / 15, None)) is None for k in range(60))
    assert est.current() is None
    assert view_json(None, "deadlift")["side"] is None


def test_feet_cut_off_at_the_bottom_is_not_in_frame():
    frames = make_frames(LANDSCAPE, "left", 0, height_frac=0.9, centre=(0.5, 0.62))
    assert frames[0].landmarks[lm.LEFT_HEEL, 1] > 1.0
    v = view_of(LANDSCAPE, frames)
    assert v.side == "left" and not v.in_frame


# --- what can be judged ----------------------------------------------------------------------

def test_side_view_judges_every_fault_of_the_exercise():
    ok, not_ok = judgeable_faults("deadlift", View("left", 5.0, True, 1.0))
    assert "spine_rounding" in ok and "load_drift" in ok
    assert list(not_ok) == ["balance"]  # its exercise file says no view can show it on this lift
    ok, _ = judgeable_faults("kettlebell_swing", View("left", 5.0, True, 1.0))
    assert "arm_driven_swing" in ok and "load_drift" not in ok  # not a swing fault at all


def test_sixty_degrees_cannot_judge_the_back_or_the_bar_path():
    view = view_of(LANDSCAPE, make_frames(LANDSCAPE, "left", 60))
    ok, not_ok = judgeable_faults("romanian_deadlift", view)
    assert "spine_rounding" in not_ok and "load_drift" in not_ok
    assert "rushed_lowering" in ok  # timing works from anywhere
    assert "side" in not_ok["spine_rounding"]
    j = view_json(view, "romanian_deadlift")
    assert j["side"] == "left" and j["yaw_deg"] > 50 and j["in_frame"] is True
    assert "spine_rounding" not in j["judgeable_faults"]
    json.dumps(j)


def test_balance_needs_the_whole_body():
    ok, not_ok = judgeable_faults("squat", View("right", 10.0, False, 1.0))
    assert "balance" in not_ok and "spine_rounding" in ok


def test_rules_file_errors_name_the_file_and_key(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text('[fault.spine_rounding]\nmax_yaw_deg = 120\nreason = "x"\n')
    with pytest.raises(ViewRulesError, match=r"rules.toml: fault.spine_rounding.max_yaw_deg"):
        load_view_rules(bad)
    bad.write_text('[fault.spine_rounding]\nmax_yaw_deg = 30\nreason = "x"\n'
                   '[exercise.squat]\nfaults = ["knee_travel"]\n')
    with pytest.raises(ViewRulesError, match=r"exercise.squat.faults names 'knee_travel'"):
        load_view_rules(bad)


# --- what is said ------------------------------------------------------------------------------

def test_the_view_sentence_says_the_side_and_what_can_be_judged():
    texts = guide_texts(LANDSCAPE, make_frames(LANDSCAPE, "left", 0, seconds=6))
    # (a deadlift: its balance is not judged from any view, so it is not promised)
    assert texts == ["I can see you from your left side. I can judge your hinge, your back, "
                     "your lockout, the bar path and your tempo."]


def test_a_camera_too_far_to_the_front_is_told_to_move():
    texts = guide_texts(LANDSCAPE, make_frames(LANDSCAPE, "right", 60, seconds=6))
    assert len(texts) == 1
    assert texts[0].startswith("I can see you from your right side.")
    assert texts[0].endswith(
        "I can judge your tempo. The camera is too far to your front to judge your hinge, your "
        "back, your lockout and the bar path: move it to your side.")


def test_frontal_view_is_said_plainly():
    lines = view_sentences(View("left", 85.0, True, 0.0, "front"), "deadlift")
    assert lines[0][1] == "I can see you mostly from the front."
    assert "too far to your front" in lines[-1][1]


def test_feet_out_of_frame_then_fixed():
    cut = make_frames(LANDSCAPE, "left", 0, seconds=5, height_frac=0.9, centre=(0.5, 0.62))
    ok = make_frames(LANDSCAPE, "left", 0, seconds=6)
    frames = cut + [Frame(f.t + 5.0, f.landmarks) for f in ok]
    texts = guide_texts(LANDSCAPE, frames)
    assert texts[0] == "Step back, I can't see your feet."
    assert texts[1] == "That's good. Stay there."
    assert texts[2].startswith("I can see you from your left side.")
    assert len(texts) == 3  # once set up, it stops talking


def test_small_person_is_asked_to_come_closer():
    texts = guide_texts(PORTRAIT, make_frames(PORTRAIT, "right", 0, seconds=4, height_frac=0.2))
    assert texts[0] == "Come closer, you're small in the picture."


def test_nobody_there():
    texts = guide_texts(LANDSCAPE, [Frame(k / 15, None) for k in range(60)])
    assert texts == ["I can't see anyone. Step in front of the camera."]


def test_two_people_when_the_landmarks_jump_between_bodies():
    a = make_frames(LANDSCAPE, "left", 0, seconds=6, centre=(0.3, 0.5))
    b = make_frames(LANDSCAPE, "right", 0, seconds=6, centre=(0.75, 0.5))
    frames = [f if (k // 3) % 2 == 0 else b[k] for k, f in enumerate(a)]
    texts = guide_texts(LANDSCAPE, frames)
    assert texts[0] == "I can see more than one person. Only the lifter in the picture, please."


def test_too_dark_when_visibility_is_low_everywhere():
    frames = make_frames(LANDSCAPE, "left", 0, seconds=4)
    dim = []
    for f in frames:
        a = f.landmarks.copy()
        a[:, 3] *= 0.45
        dim.append(Frame(f.t, a))
    assert guide_texts(LANDSCAPE, dim)[0].startswith("It's too dark or blurry")


def test_never_talks_during_a_rep():
    frames = make_frames(LANDSCAPE, "left", 0, seconds=10)
    guide = FramingGuide(LANDSCAPE, "deadlift")
    said = [(f.t, c) for f in frames for c in guide.feed(f, rep_in_progress=f.t < 7.0)]
    assert len(said) == 1 and said[0][0] >= 7.0


def test_cue_file_and_builtin_english_hold_the_same_ids():
    lib = load_cues_or_builtin("en")
    assert not lib.fallback
    for cue_id, text in BUILTIN_EN.items():
        assert lib.has(cue_id), cue_id
        assert all(placeholders(v) == placeholders(text) for v in lib.variants(cue_id)), cue_id


# --- coach check-camera ------------------------------------------------------------------------

def test_check_camera_on_a_trace_prints_json(tmp_path, capsys):
    path = tmp_path / "side30.jsonl.gz"
    with TraceWriter(path, LANDSCAPE) as w:
        for f in make_frames(LANDSCAPE, "right", 30, seconds=6, jitter=0.002):
            w.write(f)
    assert coach_main(["check-camera", str(path), "--exercise", "squat", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["view"]["side"] == "right"
    assert 22 <= out["view"]["yaw_deg"] <= 38
    assert out["view"]["judgeable_faults"] == ["spine_rounding", "balance", "rushed_lowering",
                                               "incomplete_lockout"]
    assert out["framing"] == "good"
    assert any(m["text"].startswith("I can see you from your right side.") for m in out["messages"])


def test_check_camera_bad_input_is_one_sentence(tmp_path, capsys):
    assert coach_main(["check-camera", str(tmp_path / "missing.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("coach: ") and err.count("\n") == 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert coach_main(["check-camera", str(empty)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_view_rules_default_file_is_valid_for_every_exercise():
    rules = load_view_rules()
    for ex in ("deadlift", "romanian_deadlift", "kettlebell_deadlift", "kettlebell_swing",
               "good_morning", "hip_thrust", "squat", "hip_hinge_drill"):
        assert rules.exercise_faults[ex]
    assert np.isclose(rules.max_yaw("hip_thrust", "lockout_lean_back"), 45)


# --- real MediaPipe on real pixels (photos from opencv-doc, see tests/pose_media.py) -------------

@pytest.fixture(scope="session")
def camera_videos(tmp_path_factory):
    import pose_media as pm

    d = tmp_path_factory.mktemp("check_camera")
    bg, person = pm.background(320, 240), pm.footballer()
    return {
        "full": pm.write_video(str(d / "full.avi"), [pm.place(bg, person, 160, 120, 215)] * 75, 15.0),
        "feet_cut": pm.write_video(str(d / "cut.avi"), [pm.place(bg, person, 160, 190, 300)] * 45, 15.0),
        "nobody": pm.write_video(str(d / "nobody.avi"), [bg] * 45, 15.0),
    }


def check_camera_json(path: str, capsys) -> dict:
    assert coach_main(["check-camera", path, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_check_camera_on_a_video_of_a_whole_person(camera_videos, capsys):
    out = check_camera_json(camera_videos["full"], capsys)
    assert out["framing"] == "good" and out["view"]["in_frame"] is True
    assert [m["text"].split(".")[0] for m in out["messages"]] == [
        f"I can see you from your {out['view']['side']} side"]


def test_check_camera_on_a_video_with_the_feet_cut_off(camera_videos, capsys):
    out = check_camera_json(camera_videos["feet_cut"], capsys)
    assert out["messages"][0]["text"] == "Step back, I can't see your feet."
    assert out["framing"] == "feet_out"


def test_check_camera_on_a_video_with_nobody(camera_videos, capsys):
    out = check_camera_json(camera_videos["nobody"], capsys)
    assert [m["text"] for m in out["messages"]] == ["I can't see anyone. Step in front of the camera."]
    assert out["view"]["side"] is None


def test_faults_the_view_cannot_judge_are_dropped_with_a_reason():
    from coach.core.events import Fault, FaultFound, RepCounted, RepJudged
    from coach.core.view_rules import restrict_to_view

    view = View("left", 50.0, True, 1.0, "front")
    back, tempo = Fault("spine_rounding", "bottom", "moderate"), Fault("rushed_lowering", "lowering", "mild")
    assert restrict_to_view(FaultFound(3.0, 1, back), "deadlift", view) is None
    assert restrict_to_view(FaultFound(3.0, 1, tempo), "deadlift", view) is not None
    judged = restrict_to_view(RepJudged(4.0, 1, True, (back, tempo)), "deadlift", view)
    assert judged.faults == (tempo,) and judged.judged
    assert "side" in judged.not_judged["spine_rounding"]
    counted = RepCounted(3.0, 1, 1.0, 3.0)
    assert restrict_to_view(counted, "deadlift", view) is counted
    side_on = View("left", 5.0, True, 1.0)
    assert restrict_to_view(RepJudged(4.0, 1, True, (back,)), "deadlift", side_on).faults == (back,)


def test_an_unmirrored_camera_is_learned_from_the_near_side():
    """A webcam whose picture is the other way round from the eval suite's (the person showing
    their left side faces image-left): visibility and depth still say which side is near, and
    the estimator learns how facing maps to side within seconds."""
    frames = make_frames(LANDSCAPE, "left", 20, seconds=12, jitter=0.002)
    flipped = []
    for f in frames:
        a = f.landmarks.copy()
        a[:, 0] = 1.0 - a[:, 0]
        flipped.append(Frame(f.t, a))
    est = ViewEstimator(LANDSCAPE)
    for f in flipped:
        est.feed(f)
    assert est.mirror == -1.0
    assert est.current().side == "left" and 12 <= est.current().yaw_deg <= 28
    assert est.current().toward == "front"  # a mirror changes neither side nor direction
    assert est.settled().side == "left"


def test_check_camera_speaks_into_a_wav_on_the_timeline(tmp_path, capsys):
    """Real espeak-ng: silence while nobody is there, then the spoken set-up."""
    import wave

    path = tmp_path / "walk_in.jsonl"
    with TraceWriter(path, LANDSCAPE) as w:
        for k in range(45):
            w.write(Frame(k / 15, None))
        for f in make_frames(LANDSCAPE, "left", 0, seconds=6):
            w.write(Frame(f.t + 3.0, f.landmarks))
    wav = tmp_path / "said.wav"
    assert coach_main(["check-camera", str(path), "--speak-to", str(wav)]) == 0
    printed = capsys.readouterr().out
    assert "I can't see anyone" in printed and "from your left side" in printed
    with wave.open(str(wav)) as r:
        rate = r.getframerate()
        samples = np.frombuffer(r.readframes(r.getnframes()), dtype=np.int16)
    assert len(samples) / rate >= 8.5
    first_cue = 2.0  # "I can't see anyone" holds NOBODY_HOLD_S before it is said
    assert np.abs(samples[: int(0.9 * first_cue * rate)]).max() == 0
    assert np.abs(samples[int(first_cue * rate): int((first_cue + 1.5) * rate)]).max() > 1000


@pytest.mark.parametrize("yaw", [15, 45])
def test_yaw_with_a_level_trunk(yaw):
    """A trunk that is never upright (a held good morning, a hip thrust): its length along the
    facing direction is foreshortened by the yaw too, and the estimate allows for it."""
    v = view_of(LANDSCAPE, make_frames(LANDSCAPE, "right", yaw, hold_deg=88, jitter=0.002))
    assert v.side == "right"
    assert abs(v.yaw_deg - yaw) <= 6


def test_near_equal_visibility_is_not_taken_for_a_label_swap():
    """Turned toward the front, MediaPipe sees both sides about equally well: noise in the
    visibility must not flip the left-right measurements and shrink the yaw."""
    rng = np.random.default_rng(5)
    frames = []
    for f in make_frames(LANDSCAPE, "left", 45, jitter=0.002):
        a = f.landmarks.copy()
        a[:, 3] = np.clip(0.9 + rng.normal(0, 0.03, 33), 0, 1)
        frames.append(Frame(f.t, a))
    v = view_of(LANDSCAPE, frames)
    assert abs(v.yaw_deg - 45) <= 6
