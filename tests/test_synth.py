"""coach.synth: synthetic labelled traces that the analyzer can count, with faults it can see."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coach.core import landmarks as L
from coach.core.exercises import load_exercise
from coach.synth import EXERCISES, KNEE_THRESHOLD, make_trace, write_trace
from coach.io.trace import read_trace


def _px(tr, lm):
    return lm[:, :2] * [tr.meta.width, tr.meta.height]


def _at(tr, t):
    return min((f for f in tr.frames if f.landmarks is not None), key=lambda f: abs(f.t - t)).landmarks


def _angle(a, b, c):
    """Interior angle at b (degrees)."""
    u, v = a - b, c - b
    return math.degrees(math.acos(np.clip(u @ v / np.linalg.norm(u) / np.linalg.norm(v), -1, 1)))


def _flexion(tr, lm, joint):
    p = _px(tr, lm)
    chain = {"knee": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE), "hip": (L.LEFT_SHOULDER, L.LEFT_HIP, L.LEFT_KNEE)}
    a, b, c = chain[joint]
    return 180 - _angle(p[a], p[b], p[c])


def _bottom(tr, rep):
    """The deepest point of a rep (floor-start: the window start; swing/top-start: the deepest hip)."""
    start, end = tr.reps[rep]
    if load_exercise(tr.meta.source.split()[1]).kind == "floor_start":
        return _at(tr, start)
    frames = [f for f in tr.frames if start <= f.t <= end and f.landmarks is not None]
    return max(frames, key=lambda f: _flexion(tr, f.landmarks, "hip")).landmarks


@pytest.mark.parametrize("exercise", EXERCISES)
def test_shape_timing_and_windows(exercise):
    tr = make_trace(exercise, reps=4, fps=24)
    assert (tr.meta.width, tr.meta.height, tr.meta.fps) == (1280, 720, 24)
    ts = np.array([f.t for f in tr.frames])
    assert ts[0] == 0 and np.allclose(np.diff(ts), 1 / 24, atol=1e-3)
    assert all(f.landmarks.shape == (33, 4) and np.isfinite(f.landmarks).all() for f in tr.frames)
    assert len(tr.reps) == len(tr.rep_faults) == 4
    for (a, b), nxt in zip(tr.reps, tr.reps[1:] + [(ts[-1], ts[-1])]):
        assert 0 < a < b <= nxt[0] <= ts[-1]
        assert 0.6 < b - a < 3.5  # a rep takes about 1-3 s
    lm = np.stack([f.landmarks for f in tr.frames])
    assert 0 < lm[..., 0].min() and lm[..., 0].max() < 1 and 0 < lm[..., 1].min() and lm[..., 1].max() < 1


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_analyzer_counts_every_rep(exercise):
    from coach.core.analysis import analyze
    tr = make_trace(exercise, reps=5, seed=3)
    counted = [e for e in analyze(tr.meta, tr.frames, exercise) if type(e).__name__ == "RepCounted"]
    assert len(counted) == 5


def test_same_seed_same_trace_other_seed_other_trace():
    a, b, c = (make_trace("deadlift", reps=2, seed=s) for s in (1, 1, 2))
    assert a.reps == b.reps and all(np.array_equal(x.landmarks, y.landmarks) for x, y in zip(a.frames, b.frames))
    assert not np.allclose(a.frames[30].landmarks, c.frames[30].landmarks)


def test_dropouts_are_null_frames_and_swap_swaps_left_and_right():
    plain = make_trace("squat", reps=2)
    tr = make_trace("squat", reps=2, dropouts=[(1.0, 1.5)], swap=(3.0, 3.4))
    for p, f in zip(plain.frames, tr.frames):
        if 1.0 <= f.t <= 1.5:
            assert f.landmarks is None
        elif 3.0 <= f.t <= 3.4:
            assert np.array_equal(f.landmarks, p.landmarks[list(L.MIRROR)])
            assert f.landmarks[L.LEFT_HIP, 3] < f.landmarks[L.RIGHT_HIP, 3]  # the near side now reads "right"
        else:
            assert np.array_equal(f.landmarks, p.landmarks)


def test_views_face_opposite_ways_and_yaw_separates_the_sides():
    left, right = (make_trace("good_morning", reps=1, view=v, noise=0) for v in ("left", "right"))
    for tr, sign in ((left, 1), (right, -1)):
        lm = tr.frames[0].landmarks
        assert sign * (lm[L.LEFT_TOE, 0] - lm[L.LEFT_HEEL, 0]) > 0  # toes point where the person faces
        assert sign * (lm[L.NOSE, 0] - lm[L.LEFT_EAR, 0]) > 0
    assert left.frames[0].landmarks[L.LEFT_HIP, 3] > left.frames[0].landmarks[L.RIGHT_HIP, 3]
    assert right.frames[0].landmarks[L.RIGHT_HIP, 3] > right.frames[0].landmarks[L.LEFT_HIP, 3]
    assert left.frames[0].landmarks[L.LEFT_HIP, 2] < left.frames[0].landmarks[L.RIGHT_HIP, 2]  # near = negative z
    sep = [abs(np.diff(make_trace("squat", reps=1, yaw_deg=y, noise=0).frames[0].landmarks[[11, 12], 0])[0]) * 1280
           for y in (0, 30)]
    assert sep[0] < 2 and sep[1] > 40


def test_person_fills_about_two_thirds_of_the_image_height():
    lm = make_trace("deadlift", reps=1, noise=0, height=720).frames[0].landmarks
    assert 0.55 < lm[:, 1].max() - lm[:, 1].min() < 0.75


@pytest.mark.parametrize("exercise", ["deadlift", "kettlebell_deadlift", "romanian_deadlift", "kettlebell_swing",
                                      "hip_hinge_drill"])
def test_knee_dominant_bends_the_knees_past_the_threshold(exercise):
    tr = make_trace(exercise, reps=2, faults={2: ["knee_dominant"]}, noise=0)
    clean, fault = (_flexion(tr, _bottom(tr, i), "knee") for i in (0, 1))
    assert clean < KNEE_THRESHOLD[exercise] - 10 and fault > KNEE_THRESHOLD[exercise] + 5
    clean, fault = (_trunk_forward(tr, _bottom(tr, i)) for i in (0, 1))
    assert fault < clean - 5  # the hips drop rather than travel back: a more upright trunk


def _trunk_forward(tr, lm):
    """Degrees the hip->shoulder line tips forward of vertical (left view: the person faces +x)."""
    p = _px(tr, lm)
    d = p[L.LEFT_SHOULDER] - p[L.LEFT_HIP]
    return math.degrees(math.atan2(d[0], -d[1]))


@pytest.mark.parametrize("exercise", ["deadlift", "romanian_deadlift", "squat", "kettlebell_swing", "hip_thrust"])
def test_incomplete_lockout_leaves_the_hips_flexed_at_the_count(exercise):
    tr = make_trace(exercise, reps=2, faults={1: ["incomplete_lockout"]}, noise=0)
    fault, clean = (_flexion(tr, _at(tr, tr.reps[i][1]), "hip") for i in (0, 1))
    assert fault > 17 and abs(clean) < 8


@pytest.mark.parametrize("exercise", ["deadlift", "good_morning", "kettlebell_swing"])
def test_lockout_lean_back_tips_the_trunk_behind_vertical(exercise):
    tr = make_trace(exercise, reps=2, faults={2: ["lockout_lean_back"]}, noise=0)

    def lean(i):  # degrees the hip->shoulder line leans behind vertical (person faces +x)
        p = _px(tr, _at(tr, tr.reps[i][1]))
        d = p[L.LEFT_SHOULDER] - p[L.LEFT_HIP]
        return math.degrees(math.atan2(-d[0], -d[1]))
    assert lean(1) > 11 and abs(lean(0)) < 5


def test_rushed_lowering_shortens_the_descent():
    tr = make_trace("romanian_deadlift", reps=3, faults={2: ["rushed_lowering"]}, noise=0)
    durations = [b - a for a, b in tr.reps]
    assert durations[1] < durations[0] - 0.6


def test_load_drift_moves_the_hands_ahead_of_the_midfoot():
    tr = make_trace("deadlift", reps=2, faults={2: ["load_drift"]}, noise=0)

    def ahead(i):
        p = _px(tr, _bottom(tr, i))
        midfoot = (p[L.LEFT_HEEL, 0] + p[L.LEFT_TOE, 0]) / 2
        return p[L.LEFT_WRIST, 0] - midfoot
    scale = (_px(tr, tr.frames[0].landmarks)[:, 1].ptp()) / 1.7  # pixels per metre, roughly
    assert ahead(1) - ahead(0) > 0.08 * scale and abs(ahead(0)) < 0.04 * scale


def test_partials_add_motion_but_no_reps():
    plain = make_trace("good_morning", reps=3)
    tr = make_trace("good_morning", reps=3, partial_after=[1, 2])
    assert len(tr.reps) == 3 and tr.frames[-1].t > plain.frames[-1].t + 2


def test_rep_faults_are_listed_and_bad_requests_refused():
    tr = make_trace("kettlebell_swing", reps=3, faults={2: ["arm_driven_swing", "spine_rounding"]})
    assert tr.rep_faults == [[], ["arm_driven_swing", "spine_rounding"], []]
    with pytest.raises(ValueError, match="does not apply"):
        make_trace("squat", faults={1: ["load_drift"]})
    with pytest.raises(ValueError, match="unknown"):
        make_trace("curl")
    with pytest.raises(ValueError, match="rep numbers"):
        make_trace("squat", reps=2, faults={3: ["balance"]})


def test_write_trace_round_trips(tmp_path):
    tr = make_trace("hip_thrust", reps=1, dropouts=[(0.5, 0.6)])
    meta, frames = read_trace(write_trace(tr, tmp_path / "t.jsonl.gz"))
    frames = list(frames)
    assert meta.width == 1280 and len(frames) == len(tr.frames)
    assert sum(f.landmarks is None for f in frames) == sum(f.landmarks is None for f in tr.frames) > 0
    assert np.allclose(frames[-1].landmarks[:, :2], tr.frames[-1].landmarks[:, :2], atol=1e-4)


@pytest.mark.parametrize("exercise", ["deadlift", "good_morning", "squat"])
def test_spine_rounding_bends_the_upper_back_and_head_forward(exercise):
    tr = make_trace(exercise, reps=2, faults={1: ["spine_rounding"]}, noise=0)

    def bend(i):  # signed angle of the shoulder->ear line past the hip->shoulder line, forward positive
        p = _px(tr, _bottom(tr, i))
        u, v = p[L.LEFT_SHOULDER] - p[L.LEFT_HIP], p[L.LEFT_EAR] - p[L.LEFT_SHOULDER]
        return math.degrees(math.atan2(u[0] * v[1] - u[1] * v[0], u @ v))
    assert bend(0) - bend(1) > 12


def test_balance_lifts_the_heels_and_moves_the_knees_forward():
    tr = make_trace("squat", reps=2, faults={2: ["balance"]}, noise=0)
    clean, fault = (_px(tr, _bottom(tr, i)) for i in (0, 1))
    metre = _px(tr, tr.frames[0].landmarks)[:, 1].ptp() / 1.7
    assert clean[L.LEFT_HEEL, 1] - fault[L.LEFT_HEEL, 1] > 0.02 * metre  # image y grows downwards
    assert (fault[L.LEFT_KNEE, 0] - fault[L.LEFT_ANKLE, 0]) - (clean[L.LEFT_KNEE, 0] - clean[L.LEFT_ANKLE, 0]) > 0.03 * metre


def test_arm_driven_swing_bends_the_elbows_and_raises_the_bell():
    tr = make_trace("kettlebell_swing", reps=2, faults={2: ["arm_driven_swing"]}, noise=0)
    clean, fault = (_px(tr, _at(tr, tr.reps[i][1])) for i in (0, 1))
    elbow = [180 - _angle(p[L.LEFT_SHOULDER], p[L.LEFT_ELBOW], p[L.LEFT_WRIST]) for p in (clean, fault)]
    assert elbow[0] < 10 and elbow[1] > 35
    assert fault[L.LEFT_WRIST, 1] < clean[L.LEFT_WRIST, 1]
