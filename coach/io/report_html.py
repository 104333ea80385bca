"""A session, and the history of sessions, as self-contained HTML pages.

One file each, readable offline and with no network: inline CSS, no scripts, no fonts or pictures
fetched; the plots are inline SVG drawn here (crisp at any size, themed by the page's CSS). Every
picture has a text alternative (an SVG title and description, and a table of the same numbers).
High contrast (WCAG AAA, 7:1) in the light and the dark theme (`prefers-color-scheme`). Every
text from a log is escaped: a log is data, never markup.

`session_html` and `history_html` are pure functions of loaded sessions (the station display
serves the history page); `write_session_html` writes the report next to the text one.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from coach.io.log import LoggedRep, LoggedSession, LoggedSet
from coach.io.report import (
    duration_text,
    exercise_name,
    fault_name,
    join_words,
    not_judged_words,
    plural,
    rep_depth,
    rep_tempo,
    set_faults,
    sets_line,
    spoken_summary,
)


def _e(value: object) -> str:
    """Any text for the page, escaped (quotes too: some of it goes into attributes)."""
    return html.escape(str(value), quote=True)


def _n(x: float) -> str:
    """A coordinate for SVG: short, and no "nan" ever reaches the page."""
    return f"{x:.1f}".rstrip("0").rstrip(".") if math.isfinite(x) else "0"


# --- dates ----------------------------------------------------------------------------------------

def session_time(data: LoggedSession) -> _dt.datetime | None:
    """When the session started (local time, naive): the log's `started`, else its id's date."""
    started = data.info.get("started")
    if isinstance(started, str):
        try:
            t = _dt.datetime.fromisoformat(started)
            return t.astimezone().replace(tzinfo=None) if t.tzinfo else t
        except ValueError:
            pass
    try:
        return _dt.datetime.strptime(str(data.session_id)[:19], "%Y-%m-%d_%H-%M-%S")
    except ValueError:
        return None


def _when(data: LoggedSession) -> str:
    """"Monday 5 January 2026, 10:00" (the session id when the log has no date)."""
    t = session_time(data)
    return f"{t:%A} {t.day} {t:%B %Y, %H:%M}" if t else str(data.session_id)


def _when_short(data: LoggedSession) -> str:
    t = session_time(data)
    return f"{t:%a} {t.day} {t:%b %Y, %H:%M}" if t else str(data.session_id)


def _exercises(data: LoggedSession) -> list[str]:
    """The session's exercises in the order they were done (the planned one if no rep was)."""
    names = list(dict.fromkeys(exercise_name(s.exercise) for s in data.sets))
    planned = data.info.get("exercise")
    return names or ([exercise_name(planned)] if isinstance(planned, str) and planned else [])


# --- the page around it ---------------------------------------------------------------------------

# Colours checked for 7:1 (text) against both the page and the panel background, in both themes.
_CSS = """
:root { color-scheme: light dark;
  --bg: #ffffff; --panel: #eef2f6; --fg: #111111; --muted: #333333; --rule: #5a6470;
  --accent: #0b3a75; --fault: #8c1010; --clean: #0a5a1f;
  --line: #0b3a75; --grid: #c4ccd6; --rep-a: #d6e4f3; --rep-b: #e4eef9; --bar: #5b8fd0; --bar-fault: #8c1010; }
@media (prefers-color-scheme: dark) { :root {
  --bg: #0e1116; --panel: #1a2029; --fg: #f2f4f7; --muted: #cdd3db; --rule: #8a96a6;
  --accent: #9cc8ff; --fault: #ffb3b3; --clean: #9be8ab;
  --line: #9cc8ff; --grid: #3a4452; --rep-a: #1f3550; --rep-b: #172636; --bar: #4f7fbf; --bar-fault: #ff8f8f; } }
html { background: var(--bg); }
body { background: var(--bg); color: var(--fg); margin: 0 auto; max-width: 64rem; padding: 1.5rem 1.25rem 3rem;
  font: 1.25rem/1.55 system-ui, "DejaVu Sans", "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 .4rem; }
h2 { font-size: 1.5rem; margin: 2.2rem 0 .5rem; padding-top: .8rem; border-top: 2px solid var(--rule); }
p { margin: .4rem 0 .8rem; }
.sub { color: var(--muted); font-size: 1.15rem; }
.summary { font-size: 1.35rem; max-width: 48rem; }
.note { background: var(--panel); border-left: .4rem solid var(--fault); padding: .6rem 1rem; }
figure { margin: 1rem 0; }
figcaption { color: var(--muted); font-size: 1.1rem; margin-top: .3rem; }
svg.plot { display: block; width: 100%; min-width: 600px; height: auto; background: var(--bg); }
svg.plot text { fill: var(--fg); font-family: inherit; }
svg.plot .tick { font-size: 16px; }
svg.plot .axis { stroke: var(--fg); stroke-width: 1.5; }
svg.plot .grid { stroke: var(--grid); stroke-width: 1; }
svg.plot .angle { stroke: var(--line); stroke-width: 3; fill: none; stroke-linejoin: round; }
svg.plot .rep-a { fill: var(--rep-a); } svg.plot .rep-b { fill: var(--rep-b); }
svg.plot .cross { stroke: var(--fault); stroke-width: 4; stroke-linecap: round; }
svg.plot .bar { fill: var(--bar); } svg.plot .bar-fault { fill: var(--bar-fault); }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 700; padding: .3rem 0; }
th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
thead th { background: var(--panel); border-bottom: 2px solid var(--fg); }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
.fault { color: var(--fault); font-weight: 600; }
.clean { color: var(--clean); }
.unjudged { color: var(--muted); font-style: italic; }
footer { margin-top: 3rem; color: var(--muted); font-size: 1.05rem; }
.explain { font-weight: 400; color: var(--muted); }
.wide { overflow-x: auto; }
.wide:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
@media (max-width: 40rem) {
  body { font-size: 1.125rem; padding: 1rem .75rem 2rem; }
  h1 { font-size: 1.6rem; } h2 { font-size: 1.35rem; }
  th, td { padding: .35rem .4rem; }
  table.sessions { min-width: 40rem; } }
"""


def _wide(inner: str, name_id: str) -> str:
    """`inner` in a box that scrolls sideways on a narrow screen (the page itself never does): the
    box is focusable, so a keyboard can scroll it, and named by the element `name_id`."""
    return f'<div class="wide" role="region" aria-labelledby="{name_id}" tabindex="0">{inner}</div>'


def _table(uid: str, caption: str, head: str, rows: list[str], cls: str = "") -> str:
    """A table (`caption` and `head` are markup) in a box named by its caption."""
    table = f'<table class="{cls}">' if cls else "<table>"
    return _wide(f'{table}<caption id="{uid}">{caption}</caption><thead><tr>{head}</tr></thead>'
                 f'<tbody>{"".join(rows)}</tbody></table>', uid)


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


# --- plots ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Frame:
    """A plot's drawing area inside its viewBox, and its data ranges."""
    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    x0: float
    x1: float
    y0: float
    y1: float
    y_down: bool = False  # larger values lower on the page (the hips bending = the line going down)

    def x(self, v: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return self.left + (v - self.x0) / span * (self.width - self.left - self.right)

    def y(self, v: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        frac = (v - self.y0) / span
        inner = self.height - self.top - self.bottom
        return self.top + (frac if self.y_down else 1 - frac) * inner


def _step(span: float, most: int, steps: Sequence[float]) -> float:
    """The smallest of `steps` that puts at most `most` ticks on `span`."""
    return next((s for s in steps if span / s <= most), steps[-1])


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def _clock_of(t: object) -> str:
    """"1:05: " for a log line's time; "" when it has none that is a number."""
    if isinstance(t, (int, float)) and not isinstance(t, bool) and math.isfinite(t):
        return f"{_clock(float(t))}: "
    return ""


def _svg_open(width: int, height: int, uid: str, title: str, desc: str) -> str:
    # role=img + aria-labelledby: a screen reader reads the title and the description, not the parts
    return (f'<svg class="plot" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{uid}-t {uid}-d" '
            f'xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{uid}-t">{_e(title)}</title><desc id="{uid}-d">{_e(desc)}</desc>')


def _traces(hip: Iterable[tuple[float, float | None]], t0: float, t1: float,
            gap_s: float = 1.0) -> list[list[tuple[float, float]]]:
    """The samples in [t0, t1] as unbroken runs: a run ends where the person was not seen or a
    stretch of samples is missing (a line drawn across it would invent angles)."""
    runs: list[list[tuple[float, float]]] = []
    run: list[tuple[float, float]] = []
    last = -math.inf
    for t, a in hip:
        if t < t0 or t > t1:
            continue
        if a is None or t - last > gap_s:
            if len(run) > 1:
                runs.append(run)
            run = []
        if a is not None:
            run.append((t, a))
        last = t
    if len(run) > 1:
        runs.append(run)
    return runs


def _thin(run: list[tuple[float, float]], buckets: int) -> list[tuple[float, float]]:
    """At most ~2 points per bucket (a screen column), keeping each one's lowest and highest angle:
    an hour at 10 samples a second stays a small file and every rep's depth still shows."""
    if len(run) <= 2 * buckets:
        return run
    t0, span = run[0][0], (run[-1][0] - run[0][0]) or 1.0
    cols: dict[int, list[tuple[float, float]]] = {}
    for p in run:
        cols.setdefault(min(buckets - 1, int((p[0] - t0) / span * buckets)), []).append(p)
    out: list[tuple[float, float]] = []
    for col in cols.values():
        lo, hi = min(col, key=lambda p: p[1]), max(col, key=lambda p: p[1])
        out.extend(sorted({lo, hi}))
    return out


def _set_plot(data: LoggedSession, s: LoggedSet, depths: list[float | None], uid: str) -> str:
    """The set's hip flexion over time (0 at the top, deeper lower), its reps shaded and numbered,
    a cross over each rep with a fault."""
    t0, t1 = s.reps[0].start - 2.0, s.reps[-1].end + 2.0
    runs = _traces(data.hip, t0, t1)
    seen = [a for run in runs for _, a in run]
    y1 = max(90.0, math.ceil((max(seen, default=0.0) + 10) / 30) * 30)
    f = _Frame(800, 300, left=62, right=16, top=50, bottom=50, x0=t0, x1=t1, y0=0.0, y1=y1, y_down=True)
    parts: list[str] = []
    ystep = 15 if y1 <= 90 else 30
    for v in range(0, int(y1) + 1, ystep):
        y = _n(f.y(v))
        parts.append(f'<line class="grid" x1="{_n(f.left)}" x2="{_n(f.width - f.right)}" y1="{y}" y2="{y}"/>'
                     f'<text class="tick" x="{_n(f.left - 10)}" y="{y}" text-anchor="end" '
                     f'dominant-baseline="middle">{v}°</text>')
    every = 1 if (f.x(s.reps[-1].end) - f.x(s.reps[0].start)) / len(s.reps) >= 22 else 5
    for i, r in enumerate(s.reps):
        xa, xb = f.x(r.start), f.x(r.end)
        parts.append(f'<rect class="{"rep-a" if i % 2 == 0 else "rep-b"}" x="{_n(xa)}" y="{_n(f.top)}" '
                     f'width="{_n(max(xb - xa, 1.0))}" height="{_n(f.height - f.top - f.bottom)}"/>')
        xm = (xa + xb) / 2
        if r.rep % every == 0 or every == 1 or r.rep == 1:
            parts.append(f'<text class="tick" x="{_n(xm)}" y="{_n(f.top - 30)}" text-anchor="middle">{r.rep}</text>')
        if r.faults:
            c, yc = 7.0, f.top - 12
            parts.append(f'<path class="cross" d="M{_n(xm - c)} {_n(yc - c)}L{_n(xm + c)} {_n(yc + c)}'
                         f'M{_n(xm - c)} {_n(yc + c)}L{_n(xm + c)} {_n(yc - c)}"/>')
    for run in runs:
        pts = " ".join(f"{_n(f.x(t))},{_n(f.y(a))}" for t, a in _thin(run, 480))
        parts.append(f'<polyline class="angle" points="{pts}"/>')
    tstep = _step(t1 - t0, 9, (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600))
    base = f.height - f.bottom
    for k in range(math.ceil(t0 / tstep), math.floor(t1 / tstep) + 1):
        x = _n(f.x(k * tstep))
        parts.append(f'<line class="axis" x1="{x}" x2="{x}" y1="{_n(base)}" y2="{_n(base + 6)}"/>'
                     f'<text class="tick" x="{x}" y="{_n(base + 24)}" text-anchor="middle">{_clock(k * tstep)}</text>')
    parts.append(f'<line class="axis" x1="{_n(f.left)}" x2="{_n(f.width - f.right)}" y1="{_n(base)}" y2="{_n(base)}"/>'
                 f'<text class="tick" x="{_n(f.width - f.right)}" y="{_n(base + 45)}" text-anchor="end">'
                 f'time into the session (min:s)</text>'
                 f'<text class="tick" x="{_n(f.left - 10)}" y="{_n(f.top - 30)}" text-anchor="end">rep</text>')
    title = f"Hip flexion during set {s.set_no} ({exercise_name(s.exercise)})"
    desc = _plot_words(s, depths, bool(seen))
    return _svg_open(int(f.width), int(f.height), uid, title, desc) + "".join(parts) + "</svg>"


def _plot_words(s: LoggedSet, depths: list[float | None], seen: bool) -> str:
    """What the set's plot shows, in sentences: the plot's text alternative."""
    if not seen:
        return (f"No hip angle was recorded during set {s.set_no}; "
                f"the shaded bands are its {plural(len(s.reps), 'rep')}.")
    said = [f"The line dips once for each of the {plural(len(s.reps), 'rep')}, as the hips bend."]
    known = [(r.rep, round(d)) for r, d in zip(s.reps, depths) if d is not None]
    if known:
        said.append("Deepest hip flexion: " + ", ".join(f"rep {n} {d} degrees" for n, d in known) + ".")
    faulty = [str(r.rep) for r in s.reps if r.faults]
    if len(faulty) == 1:
        said.append(f"A cross marks rep {faulty[0]}, the rep with a fault.")
    elif faulty:
        said.append(f"Crosses mark reps {join_words(faulty)}, the reps with a fault.")
    return " ".join(said)


# --- one session ----------------------------------------------------------------------------------

def _form(rep: LoggedRep, last_of_crash: bool) -> tuple[str, str]:
    """(css class, words) for a rep's form: its faults, or clean, or not judged and why."""
    if rep.faults:
        words = []
        for f in rep.faults:
            sev = f.get("severity")
            words.append(fault_name(str(f["id"])) + (f", {sev}" if isinstance(sev, str) and sev else ""))
        return "fault", "; ".join(words)
    if not rep.judged and rep.not_judged:  # seen too poorly to judge
        return "unjudged", not_judged_words(rep)
    if not rep.judged:  # the verdict comes after the count; this one never reached the log
        why = ("the session stopped before its form was checked" if last_of_crash
               else "the set ended before its form was checked")
        return "unjudged", f"not judged ({why})"
    if rep.not_judged:  # judged, but not on everything: say what was not, so "clean" is not claimed
        return "clean", f"no fault seen; {not_judged_words(rep)}"
    return "clean", "clean"


def _tempo_words(rep: LoggedRep, hip: list[tuple[float, float | None]]) -> str:
    down, up = rep_tempo(rep, hip)
    if down is None or up is None:
        return f"{rep.end - rep.start:.1f} s"
    return f"{down:.1f} s / {up:.1f} s"


def _set_section(data: LoggedSession, s: LoggedSet, index: int) -> str:
    depths = [rep_depth(r, data.hip) for r in s.reps]
    faults = set_faults(s)
    target = f", target {s.target_reps}" if s.target_reps else ""
    no = _e(s.set_no)  # as the log has it: a number, unless the log was tampered with
    uid = f"set{index}"
    out = [f'<section aria-labelledby="{uid}-h">',
           f'<h2 id="{uid}-h">Set {no}: {_e(exercise_name(s.exercise))}</h2>',
           f"<p>{_e(plural(len(s.reps), 'rep'))}{_e(target)}: "
           + (f'<span class="fault">{_e(faults)}</span>' if faults else '<span class="clean">all clean</span>')
           + "</p>"]
    if data.hip:
        plot = _wide(_set_plot(data, s, depths, uid), f"{uid}-t")
        out.append(f"<figure>{plot}<figcaption>Hip flexion through set {no}: "
                   "0° is standing tall and the line goes down as the hips bend. Each shaded band is a rep, "
                   "numbered at the top; a cross marks a rep with a fault. The table gives the same numbers."
                   "</figcaption></figure>")
    rows = []
    for r, d in zip(s.reps, depths):
        cls, words = _form(r, s is data.sets[-1] and r is s.reps[-1] and not data.finished)
        rows.append(f'<tr><th scope="row" class="num">{r.rep}</th>'
                    f'<td class="num">{"not seen" if d is None else f"{round(d)}°"}</td>'
                    f'<td class="num">{_e(_tempo_words(r, data.hip))}</td>'
                    f'<td class="{cls}">{_e(words)}</td></tr>')
    caption = (f'Set {no}, rep by rep <span class="explain">(depth: the deepest hip flexion; '
               "tempo: seconds down / up)</span>")
    head = ('<th scope="col" class="num">Rep</th><th scope="col" class="num">Depth</th>'
            '<th scope="col" class="num">Tempo</th><th scope="col">Form</th>')
    out.append(_table(f"{uid}-c", caption, head, rows) + "</section>")
    return "\n".join(out)


def session_html(data: LoggedSession) -> str:
    """One session as a self-contained HTML page: its sets, each rep's depth, tempo and faults in
    words, the hip flexion plot per set, and the session in sentences."""
    exercises = ", ".join(_exercises(data))
    when = _when(data)
    body = ["<header>", f"<h1>Session: {_e(when)}</h1>",
            f'<p class="sub">{_e(exercises or "no exercise")} · {_e(sets_line(data))} · '
            f"{_e(duration_text(data.duration_s))}</p>"]
    if not data.finished:
        body.append('<p class="note">This session ended without closing its log (the coach stopped or the power '
                    "went); the report shows what the log kept.</p>")
    body += ["</header>", "<main>", '<section aria-labelledby="words-h"><h2 id="words-h">In words</h2>',
             f'<p class="summary">{_e(spoken_summary(data))}</p></section>']
    for i, s in enumerate(data.sets, 1):
        body.append(_set_section(data, s, i))
    if data.commands:
        items = "".join(f"<li>{_e(_clock_of(c.get('t')))}“{_e(c.get('text') or c.get('command') or '')}”"
                        + (" (heard unsure)" if c.get("confirm") is True else "") + "</li>"
                        for c in data.commands)
        body.append(f'<section aria-labelledby="voice-h"><h2 id="voice-h">Voice commands heard</h2><ul>{items}</ul>'
                    "</section>")
    body += ["</main>", f"<footer>coach report of session {_e(data.session_id)}</footer>"]
    title = f"Session {when}" + (f": {exercises}" if exercises else "")
    return _page(title, "\n".join(body))


def write_session_html(data: LoggedSession, out_dir: str | os.PathLike[str]) -> str:
    """Writes <out_dir>/<session id>.html; returns its path. OSError if it cannot."""
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{data.session_id}.html")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(session_html(data))
    return path


# --- the history ----------------------------------------------------------------------------------

def _by_time(sessions: Iterable[LoggedSession]) -> list[LoggedSession]:
    """Oldest first; a session with no date by its id, before the dated ones."""
    return sorted(sessions, key=lambda d: (session_time(d) or _dt.datetime.min, str(d.session_id)))


def _top_fault(data: LoggedSession) -> str:
    counts = data.fault_counts()
    if not counts:
        return "none" if data.total_reps else "-"
    fid, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))  # ties: the same one every time
    return f"{fault_name(fid)} ({plural(n, 'rep')})"


_CHART_MAX = 30  # sessions in the chart (the table lists them all)


def _history_chart(oldest_first: list[LoggedSession]) -> str:
    """Bars, one per session (oldest left): the height is its reps, the lower part in the fault
    colour its reps with a fault."""
    shown = oldest_first[-_CHART_MAX:]
    most = max(10, max(d.total_reps for d in shown))
    ystep = int(_step(most, 6, (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000)))
    top = math.ceil(most / ystep) * ystep
    f = _Frame(800, 330, left=56, right=16, top=56, bottom=60, x0=0, x1=len(shown), y0=0, y1=top)
    parts = [f'<rect class="bar" x="{_n(f.left)}" y="8" width="22" height="22"/>'
             f'<text class="tick" x="{_n(f.left + 30)}" y="26">reps</text>'
             f'<rect class="bar-fault" x="{_n(f.left + 110)}" y="8" width="22" height="22"/>'
             f'<text class="tick" x="{_n(f.left + 140)}" y="26">reps with a fault</text>']
    for v in range(0, top + 1, ystep):
        y = _n(f.y(v))
        parts.append(f'<line class="grid" x1="{_n(f.left)}" x2="{_n(f.width - f.right)}" y1="{y}" y2="{y}"/>'
                     f'<text class="tick" x="{_n(f.left - 10)}" y="{y}" text-anchor="end" '
                     f'dominant-baseline="middle">{v}</text>')
    slot = f.x(1) - f.x(0)
    label_every = max(1, math.ceil(len(shown) / 10))
    base = f.y(0)
    for i, d in enumerate(shown):
        w = min(64.0, slot * 0.6)
        x = f.x(i + 0.5) - w / 2
        for cls, n in (("bar", d.total_reps), ("bar-fault", d.faulty_reps)):
            if n:
                parts.append(f'<rect class="{cls}" x="{_n(x)}" y="{_n(f.y(n))}" width="{_n(w)}" '
                             f'height="{_n(base - f.y(n))}"/>')
        if slot >= 26:
            parts.append(f'<text class="tick" x="{_n(x + w / 2)}" y="{_n(f.y(d.total_reps) - 8)}" '
                         f'text-anchor="middle">{d.total_reps}</text>')
        if (len(shown) - 1 - i) % label_every == 0:  # the newest always labelled
            t = session_time(d)
            label = f"{t.day} {t:%b}" if t else str(d.session_id)[:10]
            parts.append(f'<text class="tick" x="{_n(x + w / 2)}" y="{_n(base + 24)}" '
                         f'text-anchor="middle">{_e(label)}</text>')
    parts.append(f'<line class="axis" x1="{_n(f.left)}" x2="{_n(f.width - f.right)}" y1="{_n(base)}" y2="{_n(base)}"/>'
                 f'<text class="tick" x="{_n(f.width - f.right)}" y="{_n(base + 50)}" text-anchor="end">'
                 "sessions, oldest to newest</text>")
    desc = (f"Reps per session, the {plural(len(shown), 'session')} oldest to newest: "
            + "; ".join(f"{_when_short(d)}: {plural(d.total_reps, 'rep')}, {d.faulty_reps} with a fault"
                        for d in shown) + ".")
    title = "Reps and reps with a fault per session"
    return _svg_open(int(f.width), int(f.height), "hist", title, desc) + "".join(parts) + "</svg>"


def history_html(sessions: list[LoggedSession]) -> str:
    """Past sessions as an HTML page, newest first: date, exercises, sets, reps, reps with a
    fault and the most common fault, with a chart of reps and faulty reps over time. A pure
    function of the sessions given (no files read): the station display serves it."""
    oldest_first = _by_time(sessions)
    body = ["<header>", "<h1>Workout history</h1>"]
    if not oldest_first:
        body += ['<p class="summary">No sessions yet.</p>', "</header>"]
        return _page("Workout history", "\n".join(body))
    reps = sum(d.total_reps for d in oldest_first)
    faulty = sum(d.faulty_reps for d in oldest_first)
    body += [f'<p class="sub">{_e(plural(len(oldest_first), "session"))}, {_e(plural(reps, "rep"))}, '
             f"{faulty} with a fault.</p>", "</header>", "<main>"]
    shown = min(len(oldest_first), _CHART_MAX)
    body.append(f"<figure>{_wide(_history_chart(oldest_first), 'hist-t')}<figcaption>Reps per session, "
                f"{'the last ' + str(shown) + ' sessions, ' if shown < len(oldest_first) else ''}oldest on the left: "
                "each bar's height is the session's reps, and its lower part, coloured as in the key, "
                "the reps with a fault. "
                "The table below lists the same numbers.</figcaption></figure>")
    rows = []
    for d in reversed(oldest_first):
        top_cls = ' class="fault"' if d.faulty_reps else ""
        note = "" if d.finished else ' <span class="unjudged">(not closed: recovered)</span>'
        rows.append(f'<tr><th scope="row">{_e(_when_short(d))}{note}</th>'
                    f"<td>{_e(', '.join(_exercises(d)) or '-')}</td>"
                    f'<td class="num">{len(d.sets)}</td><td class="num">{d.total_reps}</td>'
                    f'<td class="num">{d.faulty_reps}</td>'
                    f"<td{top_cls}>{_e(_top_fault(d))}</td></tr>")
    head = ('<th scope="col">Date</th><th scope="col">Exercises</th><th scope="col" class="num">Sets</th>'
            '<th scope="col" class="num">Reps</th><th scope="col" class="num">Reps with a fault</th>'
            '<th scope="col">Most common fault</th>')
    body.append(_table("sessions-c", "Sessions, newest first", head, rows, "sessions"))
    body.append("</main>")
    return _page("Workout history", "\n".join(body))
