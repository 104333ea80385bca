"""The single-person guard on hand-made bodies (pure logic: no model needed)."""

import numpy as np

from coach.pose.guard import SinglePersonGuard, torso_of

W, H = 640, 480


def body(cx: float, cy: float = 240, size: float = 100) -> np.ndarray:
    """A (33, 4) body whose torso is centred at (cx, cy) px with a torso length of `size` px."""
    lm = np.zeros((33, 4))
    lm[:, 3] = 1.0
    half_w = size * 0.4
    for i, (dx, dy) in {11: (half_w, -size / 2), 12: (-half_w, -size / 2),
                        23: (half_w * 0.8, size / 2), 24: (-half_w * 0.8, size / 2)}.items():
        lm[i, 0], lm[i, 1] = (cx + dx) / W, (cy + dy) / H
    lm[:, :2] = np.where(lm[:, :2] == 0, [cx / W, cy / H], lm[:, :2])
    return lm


def run(guard, bodies, fps=30.0):
    return [guard.check(i / fps, b) is not None for i, b in enumerate(bodies)]


def test_torso_centre_and_size_are_in_pixels():
    torso = torso_of(body(300, 200, 120), W, H)
    assert abs(torso.x - 300) < 1e-6 and abs(torso.y - 200) < 1e-6
    assert abs(torso.size - 120) < 1e-6


def test_a_person_moving_smoothly_is_passed_through():
    guard = SinglePersonGuard(W, H)
    assert all(run(guard, [body(200 + 8 * i) for i in range(30)]))


def test_a_jump_to_another_body_gives_no_person_until_the_new_body_is_stable():
    guard = SinglePersonGuard(W, H)
    kept = run(guard, [body(150)] * 5 + [body(500)] * 6)
    assert kept == [True] * 5 + [False, False, True, True, True, True]
    assert guard.jumps == 1 and guard.last_jump_t == 5 / 30


def test_a_sudden_change_of_size_is_another_body():
    guard = SinglePersonGuard(W, H)
    kept = run(guard, [body(300, size=100)] * 4 + [body(310, size=200)] * 4)
    assert kept[:4] == [True] * 4 and kept[4:6] == [False, False]


def test_the_tracked_person_is_welcome_back_after_a_short_loss():
    guard = SinglePersonGuard(W, H)
    kept = run(guard, [body(300)] * 4 + [None] * 5 + [body(310)] * 3)
    assert kept == [True] * 4 + [False] * 5 + [True] * 3


def test_someone_else_after_a_loss_must_prove_stable_first():
    guard = SinglePersonGuard(W, H)
    kept = run(guard, [body(100)] * 4 + [None] * 3 + [body(560)] * 4)
    assert kept == [True] * 4 + [False] * 3 + [False, False, True, True]


def test_flicker_between_two_people_never_passes_the_other_one():
    guard = SinglePersonGuard(W, H)
    bodies = [body(150)] * 3 + [body(500), body(150)] * 5
    kept = run(guard, bodies)
    passed = [b for b, k in zip(bodies, kept) if k]
    assert all(abs(torso_of(b, W, H).x - 150) < 1 for b in passed)
    assert guard.jumps == 5  # each leap to the other body is counted: "two people" for framing
