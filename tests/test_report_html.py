"""`coach report --html` and the history page: self-contained pages, checked in a real headless
chromium (tests/browser.py): no network request, no console error, the reps as the log has them,
a text alternative for every picture, and 7:1 contrast in the light and the dark theme."""

import json
import math
from pathlib import Path

import pytest

from browser import chromium
from test_cli_session import _session
from test_report import _logged

from coach.cli.main import main
from coach.core.commands import EndSet, SwitchExercise
from coach.core.events import CommandHeard, Fault, RepCounted, RepJudged, SetStarted
from coach.core.session import Session
from coach.io.log import SessionLog, load_session
from coach.io.report_html import history_html, session_html

ROUND = Fault("spine_rounding", "lowering", "moderate", {"lumbar_flex_deg": 18.0})
KNEES = Fault("knee_dominant", "lowering", "mild", {"knee_travel": 0.12})


def _workout(directory, sid="2026-03-02_18-30-00", started="2026-03-02T18:30:00", crash=False, exercise="deadlift"):
    """Two sets: 5 deadlifts (rep 2 rounded, rep 4 rounded and knees forward), then 4 Romanian
    deadlifts whose last rep never gets its verdict; hip angles dipping once a rep; two commands."""
    s = Session(exercise=exercise)
    log = SessionLog(directory, sid, {"mode": "test", "started": started})

    def feed(*events):
        for e in events:
            log.event(e)
            for out in s.handle(e):
                log.event(out)

    t, n = 0.0, 0
    for set_reps, faults in ((5, {2: (ROUND,), 4: (ROUND, KNEES)}), (4, {})):
        for i in range(1, set_reps + 1):
            n += 1
            start, end = t + 1.0, t + 4.0 + 0.2 * i  # the reps slow down as the set goes on
            k = 1
            while t + k * 0.1 <= end:  # standing, then 0 -> 70..90 degrees -> 0, bottom at 40 % of the rep
                tt = t + k * 0.1
                x = max(0.0, (tt - start) / (end - start))
                phase = x / 0.4 if x < 0.4 else (1 - x) / 0.6
                log.hip(tt, (70 + 4 * i) * math.sin(math.pi / 2 * phase))
                k += 1
            feed(RepCounted(end, n, start, end))
            if not (set_reps == 4 and i == set_reps):
                feed(RepJudged(end + 0.3, n, True, faults.get(i, ())))
            t = end
        if set_reps == 5:
            feed(CommandHeard(t + 1, EndSet(), "end set"),
                 CommandHeard(t + 2, SwitchExercise("romanian_deadlift"), "romanian deadlift next"))
            t += 60.0
    if not crash:
        for out in s.finish(t + 2):
            log.event(out)
        log.close()
    else:
        log._fh.flush()  # the process dies here: no session_end
    return log.path


# --- the browser ----------------------------------------------------------------------------------

_CHECK = """() => {
  const parse = s => { const m = /rgba?\\(([^)]+)\\)/.exec(s || ''); if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lin = c => { c /= 255; return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const lum = c => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const bgOf = el => { for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor); if (c && c[3] === 1) return c; }
    return null; };
  const body = document.body, cs = getComputedStyle(body);
  const texts = [];
  for (const el of body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('title, desc')) continue;
    const s = getComputedStyle(el);
    const fg = parse(el instanceof SVGElement ? s.fill : s.color), bg = bgOf(el);
    texts.push({text: el.textContent.trim().slice(0, 40), ratio: fg && bg ? ratio(fg, bg) : 0});
  }
  const named = id => { const e = document.getElementById(id); return e ? e.textContent.trim() : ''; };
  const pictures = [...document.querySelectorAll('img, svg')].map(el => el.tagName.toLowerCase() === 'img'
    ? {tag: 'img', role: 'img', name: (el.getAttribute('alt') || '').trim()}
    : {tag: 'svg', role: el.getAttribute('role'),
       name: (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean).map(named).join(' ').trim()});
  return {
    bodyRatio: ratio(parse(cs.color), bgOf(body)), background: cs.backgroundColor, texts, pictures,
    tables: [...document.querySelectorAll('table')].map(t => ({
      caption: t.caption ? t.caption.textContent.trim() : '',
      rows: [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent.trim())),
      unscoped: [...t.querySelectorAll('th')].filter(th => !th.getAttribute('scope')).length})),
    scripts: document.scripts.length, lang: document.documentElement.lang,
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    text: body.innerText,
  };
}"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _open(browser, path, scheme="light", width=1280, screenshot=None):
    """The page at `path` in chromium: what it requested, the errors it logged, and what _CHECK found."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests, errors, dialogs = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.emulate_media(color_scheme=scheme)
    url = Path(path).resolve().as_uri()
    page.goto(url, wait_until="load")
    found = page.evaluate(_CHECK)
    if screenshot:
        page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    # data: URIs are no network request, but the pages are meant to have none: they would show here
    found.update(requests=requests, errors=errors, dialogs=dialogs, url=url)
    return found


def _assert_clean_and_readable(found):
    assert found["requests"] == [found["url"]]  # the file itself and nothing else, not even data:
    assert found["errors"] == [] and found["dialogs"] == [] and found["scripts"] == 0
    assert found["lang"] == "en"
    assert found["bodyRatio"] >= 7, found["background"]
    low = [t for t in found["texts"] if t["ratio"] < 7]
    assert found["texts"] and not low, low  # every piece of text, not only the body's colour
    for pic in found["pictures"]:
        assert pic["role"] == "img" and len(pic["name"]) > 20, pic
    for table in found["tables"]:
        assert table["caption"] and table["unscoped"] == 0
    assert found["overflow"] <= 0  # nothing wider than the window


# --- coach report --html ----------------------------------------------------------------------------

def test_report_html_opens_offline_with_every_rep_readable_in_both_themes(tmp_path, capsys, browser):
    log = _workout(tmp_path)
    data = load_session(log)
    assert main(["report", "2026-03-02", "--log-dir", str(tmp_path), "--html", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    page = Path(out["html"])
    assert page == tmp_path / "2026-03-02_18-30-00.html" and page.is_file()
    for scheme in ("light", "dark"):
        found = _open(browser, page, scheme)
        _assert_clean_and_readable(found)
    assert found["background"] != _open(browser, page, "light")["background"]  # the dark theme is dark
    reps = [t for t in found["tables"] if t["caption"].startswith("Set ")]
    assert [len(t["rows"]) for t in reps] == [len(s.reps) for s in data.sets] == [5, 4]
    assert [r[0] for r in reps[0]["rows"]] == ["1", "2", "3", "4", "5"]
    rows = reps[0]["rows"]
    assert rows[0][3] == "clean" and rows[1][3] == "rounded back, moderate"
    assert rows[3][3] == "rounded back, moderate; knees forward (squatting the hinge), mild"
    assert rows[0][1] == "74°" and rows[4][1] == "90°"  # the deepest hip flexion of each rep
    assert rows[0][2] == "1.3 s / 1.9 s"  # down / up: the bottom at 40 % of a 3.2 s rep
    assert reps[1]["rows"][3][3] == "not judged (the set ended before its form was checked)"
    assert "Set 2: romanian deadlift" in found["text"] and "Monday 2 March 2026, 18:30" in found["text"]
    assert "You did 2 sets and 9 reps" in found["text"]  # the spoken summary
    assert "romanian deadlift next" in found["text"]  # the voice commands
    plots = [p for p in found["pictures"] if p["tag"] == "svg"]
    assert len(plots) == 2 and "rep 5 90 degrees" in plots[0]["name"] and "Crosses mark reps 2 and 4" in plots[0]["name"]


def test_a_crashed_session_says_so_and_its_last_rep_was_not_judged(tmp_path, browser):
    data = load_session(_workout(tmp_path, crash=True))
    assert not data.finished
    path = tmp_path / "crash.html"
    path.write_text(session_html(data), encoding="utf-8")
    found = _open(browser, path, "dark", width=390)  # a phone: still nothing wider than the screen
    _assert_clean_and_readable(found)
    assert "ended without closing" in found["text"]
    assert found["tables"][-1]["rows"][-1][3] == "not judged (the session stopped before its form was checked)"


def test_the_report_of_test_report_s_session_matches_its_text_report(tmp_path, browser):
    data = _logged(tmp_path)  # the text report's own fixture: 5 reps, 2 and 4 rounded, 3 s down 2.5 s up
    path = tmp_path / "r1.html"
    path.write_text(session_html(data), encoding="utf-8")
    found = _open(browser, path)
    _assert_clean_and_readable(found)
    rows = found["tables"][0]["rows"]
    assert [r[2] for r in rows] == ["2.5 s / 2.5 s"] * 5 and [r[1] for r in rows] == ["90°"] * 5
    assert [r[3] == "rounded back, moderate" for r in rows] == [False, True, False, True, False]


def test_report_html_that_cannot_be_written_is_one_sentence_and_exit_2(tmp_path, capsys):
    _workout(tmp_path)
    blocker = tmp_path / "out"
    blocker.mkdir()
    (blocker / "2026-03-02_18-30-00.html").mkdir()  # a folder where the page should go
    assert main(["report", "last", "--log-dir", str(tmp_path), "--out", str(blocker), "--html"]) == 2
    err = capsys.readouterr().err
    assert "cannot write the HTML report" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


# --- escaping ---------------------------------------------------------------------------------------

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _evil_session(tmp_path):
    log = SessionLog(tmp_path, "evil", {"started": "2026-01-05T07:00:00"})
    # a tampered log: markup wherever the log has text, even where a number belongs
    log.write({"type": "set_started", "t": 0.0, "set_no": EVIL, "exercise": EVIL, "target_reps": EVIL})
    log.write({"type": "rep_recorded", "t": 3.0, "exercise": EVIL, "set_no": EVIL, "rep": 1, "start": 1.0, "end": 3.0,
               "judged": True, "faults": [{"id": EVIL, "severity": "<b>bad</b>", "evidence": {}}]})
    log.write({"type": "command_heard", "t": EVIL, "text": EVIL, "command": "UndoRep", "slots": {}})
    log.close()
    return load_session(log.path)


def test_log_text_is_escaped_never_markup(tmp_path):
    data = _evil_session(tmp_path)
    for page in (session_html(data), history_html([data])):
        assert "<script" not in page and "<img" not in page and "<b>" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_escaped_text_shows_as_text_in_the_browser(tmp_path, browser):
    data = _evil_session(tmp_path)
    path = tmp_path / "evil.html"
    path.write_text(session_html(data), encoding="utf-8")
    found = _open(browser, path)
    _assert_clean_and_readable(found)  # no script ran, no picture fetched, no alert
    assert EVIL.replace("_", " ") in found["text"]


# --- the history page -------------------------------------------------------------------------------

def test_history_page_with_no_sessions(tmp_path, browser):
    path = tmp_path / "history.html"
    path.write_text(history_html([]), encoding="utf-8")
    found = _open(browser, path, "dark")
    _assert_clean_and_readable(found)
    assert "No sessions yet." in found["text"] and found["tables"] == [] and found["pictures"] == []


def test_history_page_lists_sessions_newest_first_with_a_chart(tmp_path, browser):
    sessions = [load_session(p) for p in (
        _workout(tmp_path, "2026-03-02_18-30-00", "2026-03-02T18:30:00"),
        _session(tmp_path, "2026-03-04_07-15-00", 3),
        _workout(tmp_path, "2026-03-06_18-00-00", "2026-03-06T18:00:00", crash=True),
        _session(tmp_path, "2026-03-07_09-00-00", 0),  # opened, no rep
    )]
    for d in sessions[1::2]:
        d.info.pop("started")  # written as the test ran: these two are dated by their ids
    path = tmp_path / "history.html"
    path.write_text(history_html(sessions[::-1][1:] + sessions[-1:]), encoding="utf-8")  # given in any order
    for scheme in ("light", "dark"):
        found = _open(browser, path, scheme)
        _assert_clean_and_readable(found)
    rows = found["tables"][0]["rows"]
    assert [r[0] for r in rows] == ["Sat 7 Mar 2026, 09:00", "Fri 6 Mar 2026, 18:00 (not closed: recovered)",
                                    "Wed 4 Mar 2026, 07:15", "Mon 2 Mar 2026, 18:30"]
    assert [r[2:5] for r in rows] == [["0", "0", "0"], ["2", "9", "2"], ["1", "3", "1"], ["2", "9", "2"]]
    assert rows[0][5] == "-" and rows[2][5] == "rounded back (1 rep)"
    assert rows[1][1] == "deadlift, romanian deadlift"
    (chart,) = found["pictures"]
    assert "Wed 4 Mar 2026, 07:15: 3 reps, 1 with a fault" in chart["name"]
    assert "4 sessions, 21 reps, 5 with a fault" in found["text"]


def test_coach_history_html_writes_the_page(tmp_path, capsys):
    _session(tmp_path, "2026-01-01_10-00-00", 3)
    out = tmp_path / "page" / "history.html"
    assert main(["history", "--log-dir", str(tmp_path), "--html", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert ">Sessions, newest first</caption>" in page and "rounded back (1 rep)" in page
    assert str(out) in capsys.readouterr().err
    assert main(["history", "--log-dir", str(tmp_path), "--html", str(tmp_path)]) == 2  # a folder
    assert "cannot write" in capsys.readouterr().err
