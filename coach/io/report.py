"""A finished (or crashed) session, told three ways: a readable text summary per set and rep
(tempo, faults with their evidence), a plot of the hip flexion over time with reps and faults
marked (PNG), and a few spoken-style sentences for people who cannot see the plot.
"""

from __future__ import annotations

import bisect
import math
import os
from functools import lru_cache
from typing import Any

from coach.core.cues import CueLibrary, load_cues_or_builtin
from coach.io.log import LoggedRep, LoggedSession, LoggedSet


def fault_name(fid: str) -> str:
    """A fault id in plain words ("knee_dominant" -> "knees forward (squatting the hinge)"), from
    the cue library (`fault.<id>.name`, cues/en/faults.toml)."""
    lib = _english()
    key = f"fault.{fid}.name"
    return lib.render(key) if lib.has(key) else fid.replace("_", " ")


@lru_cache(maxsize=1)
def _english() -> CueLibrary:
    return load_cues_or_builtin("en")


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """"1 rep", "2 reps", "0 reps"."""
    return f"{n} {noun if n == 1 else (nouns or noun + 's')}"


def join_words(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _fault_phrases() -> dict[str, str]:
    """fault id -> plural phrase for summaries ("with a rounded back"), from the cue library
    (validated on load; a broken one falls back to the built-in English)."""
    lib = _english()
    return {k.split(".")[1]: lib.render(k) for k in lib.messages
            if k.startswith("fault.") and k.endswith(".summary")}


def exercise_name(ex: str) -> str:
    """An exercise id as the reports write it ("romanian_deadlift" -> "romanian deadlift")."""
    return ex.replace("_", " ")


def duration_text(seconds: float) -> str:
    """"45 s", "3 min 05 s"."""
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def _inside(rep: LoggedRep, hip: list[tuple[float, float | None]]) -> list[tuple[float, float]]:
    """The hip flexion samples within the rep's window (the unseen ones left out). The samples are
    in time order (SessionLog.hip never writes one older than the last), so the window is found by
    bisection: an hour's session has 36 000 samples and hundreds of reps."""
    lo = bisect.bisect_left(hip, rep.start, key=lambda x: x[0])
    hi = bisect.bisect_right(hip, rep.end, lo=lo, key=lambda x: x[0])
    return [(t, a) for t, a in hip[lo:hi] if a is not None]


def rep_tempo(rep: LoggedRep, hip: list[tuple[float, float | None]]) -> tuple[float | None, float | None]:
    """(seconds down, seconds up): the rep window split at its deepest hip flexion."""
    inside = _inside(rep, hip)
    if len(inside) < 3:
        return None, None
    t_bottom = max(inside, key=lambda x: x[1])[0]
    return t_bottom - rep.start, rep.end - t_bottom


def rep_depth(rep: LoggedRep, hip: list[tuple[float, float | None]]) -> float | None:
    """The rep's deepest hip flexion in degrees (0 = standing tall); None when it was not seen."""
    return max((a for _, a in _inside(rep, hip)), default=None)


def _evidence(f: dict[str, Any]) -> str:
    ev = f.get("evidence") or {}
    nums = ", ".join(f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in ev.items())
    sev = f.get("severity", "")
    return f"{fault_name(f['id'])} ({sev}{'; ' + nums if nums else ''})"


def not_judged_words(rep: LoggedRep) -> str:
    """What of a rep could not be judged, and why ("weight on the toes not judged: the weight on
    the feet cannot be seen reliably with the bar at the floor"); "" when everything was."""
    by_reason: dict[str, list[str]] = {}
    for fid, why in rep.not_judged.items():
        by_reason.setdefault(why, []).append(fault_name(fid))
    return "; ".join(f"{join_words(names)} not judged: {why}" for why, names in by_reason.items())


def set_faults(s: LoggedSet, phrases: dict[str, str] | None = None) -> str:
    """The set's faults as the text and the spoken summary both say them: "3 lifted with the arms
    and 1 with a rounded back", most frequent first; "" for a clean set. One count per rep a
    fault was found on (LoggedSet.fault_counts)."""
    phrases = _fault_phrases() if phrases is None else phrases
    counts = sorted(s.fault_counts().items(), key=lambda x: -x[1])
    return join_words([f"{n} {phrases.get(fid) or 'with ' + fault_name(fid)}" for fid, n in counts])


def sets_line(data: LoggedSession) -> str:
    """"2 sets, 14 reps"."""
    return f"{plural(len(data.sets), 'set')}, {plural(data.total_reps, 'rep')}"


def text_report(data: LoggedSession) -> str:
    phrases = _fault_phrases()
    lines = [f"Session {data.session_id}: {sets_line(data)}, "
             f"{duration_text(data.duration_s)}{'' if data.finished else ' (ended without closing: log recovered)'}"]
    for s in data.sets:
        target = f" (target {s.target_reps})" if s.target_reps else ""
        faults = set_faults(s, phrases)
        lines.append("")
        lines.append(f"Set {s.set_no}: {exercise_name(s.exercise)}, {plural(len(s.reps), 'rep')}{target}"
                     f"{': ' + faults if faults else ', all clean'}")
        for r in s.reps:
            down, up = rep_tempo(r, data.hip)
            tempo = f"{r.end - r.start:4.1f} s"
            if down is not None and up is not None:
                tempo += f" (down {down:.1f} s, up {up:.1f} s)"
            verdict = "; ".join(_evidence(f) for f in r.faults) or \
                (not_judged_words(r) if not r.judged and r.not_judged else
                 "not judged" if not r.judged else
                 f"no fault seen; {not_judged_words(r)}" if r.not_judged else "clean")
            lines.append(f"  rep {r.rep:2d} at {r.end:6.1f} s  {tempo}  {verdict}")
    if data.commands:
        lines.append("")
        # "(unsure)": heard with low confidence, so a command that ends something was asked about
        lines.append("Voice commands: " + "; ".join(f"{c['t']:.1f} s \"{c.get('text') or c.get('command')}\""
                                                   + (" (unsure)" if c.get("confirm") is True else "")
                                                   for c in data.commands))
    return "\n".join(lines) + "\n"


def spoken_summary(data: LoggedSession) -> str:
    """The session in sentences: what the plot shows, for a listener. The faults are the same
    counts, in the same words, as the text report's set lines."""
    if not data.sets:
        return f"Session {data.session_id}: no reps were recorded."
    phrases = _fault_phrases()
    parts = [f"You did {plural(len(data.sets), 'set')} and {plural(data.total_reps, 'rep')} "
             f"in {duration_text(data.duration_s)}."]
    for s in data.sets:
        faults = set_faults(s, phrases)
        said = f"Set {s.set_no}, {exercise_name(s.exercise)}: {plural(len(s.reps), 'rep')}"
        said += f", {faults}" if faults else ", all clean"
        depths = [d for d in (rep_depth(r, data.hip) for r in s.reps) if d is not None]
        if depths:
            lo, hi = round(min(depths)), round(max(depths))
            said += (f"; your hips bent to {lo} degrees" if lo == hi
                     else f"; your hips bent to between {lo} and {hi} degrees")
        parts.append(said + ".")
    totals = data.fault_counts()
    if totals:
        worst = max(totals, key=lambda k: totals[k])
        parts.append(f"The fault to work on: {fault_name(worst)}, on {totals[worst]} "
                     f"of {plural(data.total_reps, 'rep')}.")
    else:
        parts.append("Every rep was clean." if data.total_reps != 1 else "The rep was clean.")
    return " ".join(parts)


_COLOURS = ("#c0392b", "#d35400", "#8e44ad", "#b7950b", "#16a085", "#2c3e50", "#e84393", "#6d4c41")


def _fault_colour(fid: str) -> str:
    return _COLOURS[sum(map(ord, fid)) % len(_COLOURS)]


def plot(data: LoggedSession, png_path: str | os.PathLike[str]) -> str:
    """Hip flexion over time (0 = standing tall), rep windows shaded, faults marked at their rep; writes a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(12, 4.5), dpi=100)
    ts = [t for t, a in data.hip]
    ys = [a if a is not None else math.nan for t, a in data.hip]
    ax.plot(ts, ys, color="#1f4e79", lw=1.2, label="hip flexion")
    colours = ["#d9e7f5", "#e6f2d9"]
    labelled = set()
    for i, s in enumerate(data.sets):
        for r in s.reps:
            ax.axvspan(r.start, r.end, color=colours[i % 2], alpha=0.8, lw=0)
            ax.text((r.start + r.end) / 2, 1.0, str(r.rep), transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=7)
            for j, f in enumerate(r.faults):  # faults as crosses near the top, one row each
                lbl = fault_name(f["id"]) if f["id"] not in labelled else None
                labelled.add(f["id"])
                ax.plot([r.end], [0.9 - 0.07 * j], marker="x", color=_fault_colour(f["id"]), ms=8, mew=2,
                        label=lbl, transform=ax.get_xaxis_transform(), ls="none")
        ax.text(s.reps[0].start, 0.02, f"set {s.set_no}: {exercise_name(s.exercise)}",
                transform=ax.get_xaxis_transform(), fontsize=8)
    seen = [a for a in ys if not math.isnan(a)]
    ax.set_ylim(max(0, min(seen, default=60) - 10), 190)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("hip flexion (degrees, 0 = standing)")
    ax.set_title(f"Session {data.session_id}: {sets_line(data)}")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    png_path = os.fspath(png_path)
    fig.savefig(png_path)
    plt.close(fig)
    return png_path


def write_report(data: LoggedSession, out_dir: str | os.PathLike[str]) -> tuple[str, str]:
    """Writes <id>.report.txt and <id>.png into out_dir; returns their paths."""
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    txt = os.path.join(out_dir, f"{data.session_id}.report.txt")
    with open(txt, "w", encoding="utf-8") as fh:
        fh.write(text_report(data))
        fh.write("\nIn words: " + spoken_summary(data) + "\n")
    png = plot(data, os.path.join(out_dir, f"{data.session_id}.png"))
    return txt, png
