"""The station display: the board (pure), its server (real aiohttp on loopback) and the page in a
real headless chromium following a replayed session."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from browser import chromium  # noqa: E402
from hinge_trace import write_hinge_trace  # noqa: E402

from coach.core import events as ev  # noqa: E402
from coach.core.board import ADVICE_SHOWN_S, Board, BoardKeeper  # noqa: E402
from coach.core.cues import load_cues_or_builtin  # noqa: E402
from coach.core.session import Session  # noqa: E402
from coach.display.server import DisplayError, StationDisplay  # noqa: E402

WORDS = load_cues_or_builtin("en")


def board(**kw) -> Board:
    base = dict(t=1.0, exercise="Deadlift", set_no=1, in_set=True, count=0, target=None, last_cue="",
                last_rep=None, last_faults=(), last_rep_judged=False, resting=False, rest_left_s=None,
                paused=False, finished=False, camera="seen", camera_text="Lifter in view")
    return Board(**(base | kw))


def rep(t, n, start=None, **kw):
    return ev.RepCounted(t, n, start if start is not None else t - 2.0, t, **kw)


# -- the board ---------------------------------------------------------------------------------
def test_the_board_follows_the_session_count_faults_undo_and_rest():
    s, k = Session(exercise="deadlift"), BoardKeeper(WORDS)
    for e in [ev.CommandHeard(0.5, _cmd("StartSet"))]:
        k.see(s.handle(e))
    for n in (1, 2):
        k.see(s.handle(rep(2.0 * n + 1, n)))
    b = k.board(s, 5.0)
    assert (b.exercise, b.set_no, b.in_set, b.count) == ("Deadlift", 1, True, 2)
    fault = ev.Fault("spine_rounding", "bottom", "moderate")
    k.see(s.handle(ev.RepJudged(5.5, 2, True, (fault,))))
    b = k.board(s, 5.5)
    assert b.last_rep == 2 and b.last_faults == (WORDS.render("fault.spine_rounding.name"),) and b.last_rep_judged
    assert b.last_faults[0] != "spine_rounding"  # words, not an id
    k.see(s.handle(ev.CommandHeard(6.0, _cmd("UndoRep"))))
    b = k.board(s, 6.0)
    assert b.count == 1 and b.last_rep is None  # the faults of a rep taken back go with it
    k.see(s.handle(ev.CommandHeard(7.0, _cmd("EndSet"))))
    b = k.board(s, 7.0)
    assert not b.in_set and b.count == 1 and b.resting and b.rest_left_s == 90
    assert k.board(s, 7.4).rest_left_s == 90 and k.board(s, 8.2).rest_left_s == 89  # whole seconds


def test_two_boards_that_show_the_same_screen_are_equal_whatever_their_time():
    assert board(t=1.0) == board(t=9.0)
    assert board(count=1) != board(count=2)


def test_the_camera_line_says_no_lifter_then_in_view_then_the_framing_advice_for_a_while():
    s, k = Session(exercise="deadlift"), BoardKeeper(WORDS)
    assert k.board(s, 0.0).camera == "no_lifter"
    k.see([ev.PoseFound(1.0)])
    assert k.board(s, 1.0).camera_text == "Lifter in view"
    advice = ev.Cue(2.0, "Step back so I can see your feet.", "view", 5)
    k.see([ev.CueSpoken(2.0, advice)])
    assert k.board(s, 3.0).camera_text == advice.text
    assert k.board(s, 3.0).last_cue == advice.text
    assert k.board(s, 2.0 + ADVICE_SHOWN_S + 1).camera == "seen"
    k.see([ev.CueSpoken(4.0, ev.Cue(4.0, "Three", "count", 5, rep=3))])
    assert k.board(s, 4.0).last_cue == advice.text  # counts are on the screen in large already
    k.see([ev.PoseLost(5.0)])
    assert k.board(s, 5.0).camera_text == "No lifter seen"
    assert BoardKeeper(WORDS, camera=False).board(s, 0.0).camera == "off"


def _cmd(name: str):
    from coach.core import commands
    return getattr(commands, name)()


# -- the server --------------------------------------------------------------------------------
@pytest.fixture()
def display():
    d = StationDisplay(port=0, history=lambda: "<!doctype html><title>past</title><p>3 sessions</p>",
                       write_timeout_s=1.0).start()
    yield d
    d.close()


def _get(url: str, method: str = "GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def test_the_page_its_assets_and_the_state_are_served_and_nothing_can_be_changed(display):
    status, headers, html = _get(display.url)
    assert status == 200 and 'id="count"' in html and 'data-theme="dark"' in html
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert 'data-theme="light"' in _get(display.url + "?theme=light")[2]
    assert 'data-theme="dark"' in _get(display.url + "?theme=<script>")[2]  # not echoed
    assert _get(display.url + "display.js")[0] == 200 and _get(display.url + "display.css")[0] == 200
    assert _get(display.url + "history")[2].endswith("3 sessions</p>")
    assert json.loads(_get(display.url + "state")[2]) == {}
    display.show(board(count=4))
    deadline = time.monotonic() + 5
    while json.loads(_get(display.url + "state")[2]).get("count") != 4 and time.monotonic() < deadline:
        pass
    assert json.loads(_get(display.url + "state")[2])["count"] == 4
    for method in ("POST", "PUT", "DELETE"):
        for path in ("", "state", "events"):
            assert _get(display.url + path, method)[0] == 405
    assert _get(display.url + "../etc/passwd")[0] == 404


def test_a_port_in_use_is_one_sentence(display):
    with pytest.raises(DisplayError) as e:
        StationDisplay(port=display.port).start()
    assert f"127.0.0.1:{display.port}" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(DisplayError, match="theme"):
        StationDisplay(theme="blue")


class SseReader(threading.Thread):
    """A browser stand-in that reads the event stream and keeps each board it is sent."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.boards, self.open = url, [], threading.Event()

    def run(self):
        with urllib.request.urlopen(self.url + "events", timeout=30) as r:
            self.open.set()
            for line in r:
                if line.startswith(b"data: "):
                    self.boards.append(json.loads(line[6:]))


def _wait(cond, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.02)
    return cond()


def test_a_browser_that_stops_reading_is_dropped_and_the_others_still_get_the_newest_board(display):
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", display.port))
    stalled.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")  # and never reads again
    reader = SseReader(display.url)
    reader.start()
    assert reader.open.wait(5) and _wait(lambda: display.browsers == 2)
    big = "x" * 8000  # a long cue: the stalled browser's buffers fill in a few dozen boards
    for n in range(1, 201):  # one at a time, each taken by the reading browser
        display.show(board(count=n, last_cue=big))
        assert _wait(lambda: reader.boards and reader.boards[-1]["count"] == n)
    assert _wait(lambda: display.stats.dropped == 1), display.stats
    assert display.browsers == 1
    counts = [b["count"] for b in reader.boards]
    assert counts == sorted(counts)  # never an older board after a newer one
    stalled.close()


# -- the page in a real browser, during a replayed session -------------------------------------
def _contrast(a, b) -> float:
    def lum(rgb):
        c = np.asarray(rgb, float) / 255.0
        c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def count_on_screenshot(png: bytes, box: dict) -> tuple[float, float]:
    """(the count's ink height in pixels, its contrast with the background) from a screenshot."""
    img = cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    x, y, w, h = (int(round(box[k])) for k in ("x", "y", "width", "height"))
    crop = img[y:y + h, x:x + w].reshape(-1, 3)
    colours, n = np.unique(crop, axis=0, return_counts=True)
    bg = colours[np.argmax(n)]
    far = np.abs(colours.astype(int) - bg.astype(int)).sum(axis=1)
    fg = colours[np.argmax(far * (n > 50))]  # the ink: the farthest colour with real area (not antialiasing)
    ink = np.all(img[y:y + h, x:x + w] == fg, axis=2)
    rows = np.flatnonzero(ink.any(axis=1))
    return float(rows[-1] - rows[0] + 1), _contrast(fg, bg)


def test_the_page_follows_a_replayed_session_rep_by_rep_in_a_real_browser(tmp_path):
    from coach.io.log import SessionLog, load_session
    from coach.pose.cameras import TraceCamera
    from coach.runtime.runner import Runtime, RuntimeOptions
    trace = write_hinge_trace(tmp_path / "hinges.jsonl", reps=6, rep_s=2.0, pause_s=0.6)
    from coach.display.history import history_page
    log = SessionLog(tmp_path, "display")
    with StationDisplay(port=0, history=history_page(str(tmp_path))) as display, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 720}, bypass_csp=True)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(display.url)
        assert _wait(lambda: display.browsers == 1)
        rt = Runtime(Session(exercise="hip_hinge_drill"), log, camera=TraceCamera(trace),
                     options=RuntimeOptions(realtime=True, speed=2.0), display=display)
        result = rt.run()
        page.wait_for_function("window.coachSeen.length > 0 && window.coachSeen.at(-1).paint_ms !== null")
        seen = page.evaluate("window.coachSeen")
        shots = {}
        for theme in ("dark", "light"):
            page.goto(display.url + "?theme=" + theme)
            page.wait_for_function(f"document.getElementById('count').textContent === '{result.reps}'")
            shots[theme] = (page.screenshot(), page.locator("#count").bounding_box())
        page.goto(display.url + "history")  # the session just finished is in the station's history
        history = page.inner_text("body")
    session = load_session(log.path)
    assert result.reps == 6 and session.total_reps == 6
    # after each rep the page showed the session's count: 0, 1, 2, ... 6 in order, none skipped
    counts = [s["count"] for s in seen]
    assert sorted(set(counts)) == list(range(0, 7)) and counts == sorted(counts)
    first_shown = {c: next(s for s in seen if s["count"] == c) for c in range(1, 7)}
    lag_ms = sorted(s["paint_ms"] - s["sent_ms"] for s in first_shown.values())
    print(f"page behind the count event: median {lag_ms[len(lag_ms) // 2]:.0f} ms, max {lag_ms[-1]:.0f} ms")
    assert lag_ms[-1] < 1000  # the target (p95 <= 250 ms) is measured by bench/bench_display.py
    assert not errors
    assert "1 session, 6 reps" in history, history[:300]
    for theme, (png, box) in shots.items():
        height, contrast = count_on_screenshot(png, box)
        assert height >= 720 / 3, (theme, height)
        assert contrast >= 7.0, (theme, contrast)


def test_coach_live_serves_the_display_and_says_when_it_cannot(tmp_path):
    trace = write_hinge_trace(tmp_path / "hinges.jsonl", reps=2, rep_s=2.0, pause_s=0.6)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "coach.cli", "live", "--camera", trace, "--mic", "none",
                              "--speaker", "none", "--exercise", "hip_hinge_drill", "--log-dir", str(tmp_path),
                              "--display", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr and "Traceback" not in out.stderr
    assert "reps in" in out.stderr  # the session went on without it
    bad = subprocess.run([sys.executable, "-m", "coach.cli", "live", "--camera", trace, "--display", "nowhere"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "HOST:PORT" in bad.stderr and "Traceback" not in bad.stderr


def test_the_page_shows_the_rest_timer_the_camera_state_and_the_end_in_words(display):
    with chromium() as browser:
        page = browser.new_page(bypass_csp=True)
        page.goto(display.url)
        assert _wait(lambda: display.browsers == 1)
        display.show(board(in_set=False, count=8, target=8, resting=True, rest_left_s=90, camera="no_lifter",
                           camera_text="No lifter seen"))
        page.wait_for_function("document.getElementById('count').textContent === '8'")
        rest = page.inner_text("#rest")
        assert rest in ("Rest 1:30", "Rest 1:29"), rest
        assert page.inner_text("#set") == "Set 1 done" and page.inner_text("#target") == "of 8"
        assert page.inner_text("#camera") == "No lifter seen"
        display.show(board(in_set=False, count=8, finished=True))
        page.wait_for_function("document.getElementById('set').textContent === 'Workout finished'")
        assert not page.is_visible("#rest")


def test_the_count_is_a_third_of_a_landscape_screen_and_never_overflows_any_screen(display):
    with chromium() as browser:
        for width, height in [(1280, 720), (800, 480), (1920, 1080), (800, 1280), (390, 844)]:
            page = browser.new_page(viewport={"width": width, "height": height}, bypass_csp=True)
            page.goto(display.url)
            for count in (3, 12, 100):
                display.show(board(count=count, target=12, last_faults=("rounded back",), last_rep=count,
                                   last_cue="Brace your core like you're about to get punched."))
                page.wait_for_function(f"document.getElementById('count').textContent === '{count}'")
                box = page.locator("#count").bounding_box()
                ink, _ = count_on_screenshot(page.screenshot(), box)
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, height, count)
                assert page.evaluate("document.querySelector('main').scrollHeight <= innerHeight")
                if width > height or count < 10:  # portrait: as wide as the screen allows
                    assert ink >= height / 3, (width, height, count, ink)
            page.close()


def test_the_page_reconnects_by_itself_when_the_station_starts_a_new_session():
    first = StationDisplay(port=0).start()
    port = first.port
    with chromium() as browser:
        page = browser.new_page(bypass_csp=True)
        page.goto(first.url)
        first.show(board(count=5))
        page.wait_for_function("document.getElementById('count').textContent === '5'")
        first.close()  # the service restarts: a new session, a new server on the same port
        page.wait_for_function("document.getElementById('link').textContent.startsWith('Reconnecting')")
        with StationDisplay(port=port) as second:
            assert _wait(lambda: second.browsers == 1, 15)
            second.show(board(count=0, set_no=0, in_set=False))
            page.wait_for_function("document.getElementById('count').textContent === '0'")
            assert page.inner_text("#link") == ""
