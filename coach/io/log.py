"""The crash-safe workout log: one JSON object a line, appended as things happen.

Every rep, set and command line is flushed and fsynced before the writer returns, so a killed
process (kill -9, power cut on a gym station) loses at most the rep in progress. The dense
angle samples (~10 a second, for the report's plot) are flushed but only fsynced with the next
important line: the disk is not hammered ten times a second on a Raspberry Pi's SD card.

The reader tolerates a cut-off last line (the process died mid-write) and skips it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from coach.core import events as ev
from coach.core.errors import CoachError

LOG_SUFFIX = ".jsonl"
FORMAT = "coach-session-log/1"


class LogError(CoachError):
    """A session log that cannot be found or read; str() names the file."""


def default_log_dir(override: str | os.PathLike[str] | None = None) -> str:
    """--log-dir, else $COACH_LOG_DIR, else ~/.local/share/coach/sessions."""
    if override:
        return os.fspath(override)
    env = os.environ.get("COACH_LOG_DIR")
    if env:
        return env
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "coach", "sessions")


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _plain(value: Any) -> Any:
    if isinstance(value, ev.Fault):
        return value.to_json()
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in dict(value).items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"class": type(value).__name__,
                **{f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    return value


def event_record(event: object) -> dict[str, Any]:
    """An event as a log line: {"type": "rep_recorded", "t": ..., fields...}."""
    if isinstance(event, ev.CommandHeard):
        c = event.command
        return {"type": "command_heard", "t": _plain(event.t), "text": event.text,
                "command": type(c).__name__ if not isinstance(c, str) else c,
                "slots": _plain(c) if dataclasses.is_dataclass(c) else {},
                "confirm": event.confirm}  # heard unsure: asked about, if it ends something
    if isinstance(event, ev.CueSpoken):
        return {"type": "cue_spoken", "t": _plain(event.t), "text": event.cue.text,
                "kind": event.cue.kind, "key": event.cue.key, "cue_t": _plain(event.cue.t)}
    # the rest field by field; a command in a field (confirm_asked, confirmed, confirm_dropped)
    # as {"class": "FinishWorkout", its slots}
    rec = {"type": _snake(type(event).__name__)}
    if dataclasses.is_dataclass(event):
        for f in dataclasses.fields(event):
            rec[f.name] = _plain(getattr(event, f.name))
    return rec


# Lines that must survive a crash: fsync right away. The rest rides along with the next one.
_DURABLE = {"rep_recorded", "rep_undone", "set_started", "set_ended", "exercise_changed",
            "command_heard", "workout_finished", "session_start", "session_end", "rest_started",
            "paused", "resumed", "target_changed", "confirm_asked", "confirmed", "confirm_dropped"}


def new_session_id(now: _dt.datetime | None = None) -> str:
    now = now or _dt.datetime.now()
    return now.strftime("%Y-%m-%d_%H-%M-%S")


class SessionLog:
    """Appends one session's lines to DIR/<session_id>.jsonl."""

    def __init__(self, directory: str | os.PathLike[str], session_id: str | None = None,
                 info: dict[str, Any] | None = None):
        directory = os.fspath(directory)
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as e:
            raise LogError(f"{directory}: cannot create the log directory ({e.strerror or e})") from None
        base = session_id or new_session_id()
        path, n = os.path.join(directory, base + LOG_SUFFIX), 1
        while os.path.exists(path):  # two sessions in one second: never overwrite a log
            n += 1
            path = os.path.join(directory, f"{base}-{n}{LOG_SUFFIX}")
        self.path = path
        self.session_id = os.path.basename(path)[: -len(LOG_SUFFIX)]
        try:
            # open for the session's lifetime: close() closes it
            self._fh: IO[str] | None = open(path, "x", encoding="utf-8")  # noqa: SIM115 - see above
        except OSError as e:
            raise LogError(f"{path}: cannot write the session log ({e.strerror or e})") from None
        self._last_angle_t = -math.inf
        self.write({"type": "session_start", "format": FORMAT, "session": self.session_id,
                    "started": _dt.datetime.now().isoformat(timespec="seconds"), **(info or {})})

    def write(self, record: dict[str, Any]) -> None:
        if self._fh is None:
            return
        self._fh.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._fh.flush()
        if record.get("type") in _DURABLE:
            os.fsync(self._fh.fileno())

    def event(self, event: object) -> None:
        self.write(event_record(event))

    def hip(self, t: float, flexion: float | None, every_s: float = 0.1) -> None:
        """A sample of the hip flexion the reps are counted on (degrees, 0 = standing tall),
        decimated to one per `every_s`; None while no person is seen."""
        if t - self._last_angle_t < every_s - 1e-9:
            return
        self._last_angle_t = t
        self.write({"type": "hip", "t": round(t, 3),
                    "flexion": None if flexion is None or not math.isfinite(flexion) else round(flexion, 1)})

    def close(self, info: dict[str, Any] | None = None) -> None:
        if self._fh is None:
            return
        self.write({"type": "session_end", "ended": _dt.datetime.now().isoformat(timespec="seconds"),
                    **(info or {})})
        self._fh.close()
        self._fh = None

    def __enter__(self) -> SessionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_records(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The log's lines as dicts. A cut-off or garbled line (a crash mid-write) is skipped."""
    path = os.fspath(path)
    try:
        fh = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115 - `with fh` below; only open() fails here
    except FileNotFoundError:
        raise LogError(f"{path}: no such session log") from None
    except OSError as e:
        raise LogError(f"{path}: cannot be read ({e.strerror or e})") from None
    with fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict) and isinstance(obj.get("type"), str):
                yield obj


# --- reading a session back ---------------------------------------------------------------------

@dataclass
class LoggedRep:
    rep: int
    start: float
    end: float
    faults: list[dict[str, Any]] = field(default_factory=list)
    judged: bool = False
    # fault id -> why it could not be judged on this rep ("the feet cannot be seen"), from the
    # analysis' verdict; a rep judged on none of its faults has them all here
    not_judged: dict[str, str] = field(default_factory=dict)


@dataclass
class LoggedSet:
    set_no: int
    exercise: str
    started: float
    target_reps: int | None = None
    ended: float | None = None
    reps: list[LoggedRep] = field(default_factory=list)

    @property
    def faulty_reps(self) -> int:
        """Reps with at least one fault (a rep with two faults is one faulty rep)."""
        return sum(1 for r in self.reps if r.faults)

    def fault_counts(self) -> dict[str, int]:
        """fault id -> the number of reps it was found on."""
        counts: dict[str, int] = {}
        for r in self.reps:
            for f in r.faults:
                counts[f["id"]] = counts.get(f["id"], 0) + 1
        return counts


@dataclass
class LoggedSession:
    path: str
    session_id: str
    info: dict[str, Any]
    sets: list[LoggedSet]
    hip: list[tuple[float, float | None]]  # (t, hip flexion in degrees, 0 = standing tall)
    cues: list[dict[str, Any]]
    commands: list[dict[str, Any]]
    finished: bool  # closed cleanly (session_end written)
    duration_s: float

    @property
    def total_reps(self) -> int:
        return sum(len(s.reps) for s in self.sets)

    @property
    def faulty_reps(self) -> int:
        return sum(s.faulty_reps for s in self.sets)

    def fault_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.sets:
            for k, v in s.fault_counts().items():
                counts[k] = counts.get(k, 0) + v
        return counts


def _first_record(path: str) -> dict[str, Any] | None:
    """The log's first line as a dict, or None when it is no JSON object (a picture, a text file)."""
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    return None
                return obj if isinstance(obj, dict) else None
    except FileNotFoundError:
        raise LogError(f"{path}: no such session log") from None
    except OSError as e:
        raise LogError(f"{path}: cannot be read ({e.strerror or e})") from None
    return None


def check_session_log(path: str | os.PathLike[str]) -> None:
    """LogError unless `path` is a session log: JSON Lines whose first record is `session_start`."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise LogError(f"{path} is a folder, not a session log")
    first = _first_record(path)
    if first is None or first.get("type") != "session_start":
        raise LogError(f"{path} is not a session log (a coach session log is JSON Lines that "
                       "starts with a session_start line; see: coach history)")


def _is_fault(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("id"), str)


def load_session(path: str | os.PathLike[str]) -> LoggedSession:
    """A session log read back; LogError (one sentence) for a file that is not one."""
    path = os.fspath(path)
    check_session_log(path)
    info: dict[str, Any] = {}
    sets: dict[int, LoggedSet] = {}
    hip: list[tuple[float, float | None]] = []
    cues: list[dict[str, Any]] = []
    commands: list[dict[str, Any]] = []
    finished, last_t = False, 0.0
    # The analysis' fault_found lines, tied to their rep by its window: a rep whose final verdict
    # never reached the log (the set or the session ended first) still carries the faults the
    # session counted for it (what the coach said in the set's summary).
    counted: dict[int, tuple[float, float]] = {}  # analysis rep -> (start, end)
    early: dict[int, list[dict[str, Any]]] = {}  # faults found before their rep was counted
    found: dict[tuple[float, float], list[dict[str, Any]]] = {}
    unjudged: dict[tuple[float, float], dict[str, str]] = {}  # the verdict's faults not judged, and why
    for r in read_records(path):
        try:
            kind, t = r["type"], r.get("t")
            if isinstance(t, (int, float)):
                last_t = max(last_t, float(t))
            if kind == "rep_counted" and isinstance(r.get("rep"), int):
                key = (float(r["start"]), float(r["end"]))
                counted[r["rep"]] = key
                found.setdefault(key, []).extend(early.pop(r["rep"], []))
            elif kind == "fault_found" and _is_fault(r.get("fault")) and isinstance(r.get("rep"), int):
                where = counted.get(r["rep"])
                (found.setdefault(where, []) if where else early.setdefault(r["rep"], [])).append(r["fault"])
            elif kind == "rep_judged" and isinstance(r.get("rep"), int) and counted.get(r["rep"]):
                reasons = r.get("not_judged") or {}
                unjudged[counted[r["rep"]]] = {str(k): str(v) for k, v in reasons.items()} \
                    if isinstance(reasons, dict) else {}
            elif kind == "exercise_changed":  # a new analysis: its rep numbers start over
                counted.clear()
                early.clear()
            if kind == "session_start":
                info = r
            elif kind == "session_end":
                finished = True
            elif kind == "set_started":
                sets[r["set_no"]] = LoggedSet(r["set_no"], r.get("exercise", "?"), float(r["t"]), r.get("target_reps"))
            elif kind == "rep_recorded":
                s = sets.setdefault(r["set_no"], LoggedSet(r["set_no"], r.get("exercise", "?"), float(r["start"])))
                rep = LoggedRep(int(r["rep"]), float(r["start"]), float(r["end"]),
                                [f for f in r.get("faults") or [] if _is_fault(f)], bool(r.get("judged")))
                # a later line for a rep replaces it (its judged verdict after the count)
                s.reps = sorted([x for x in s.reps if x.rep != rep.rep] + [rep], key=lambda x: x.rep)
            elif kind == "rep_undone":
                undone = sets.get(r["set_no"])
                if undone:
                    undone.reps = [x for x in undone.reps if x.rep <= int(r["reps"])]
            elif kind == "set_ended":
                ended = sets.get(r["set_no"])
                if ended:
                    ended.ended = float(r["t"])
            elif kind == "hip":
                flexion = r.get("flexion")
                hip.append((float(r["t"]), float(flexion) if isinstance(flexion, (int, float)) else None))
            elif kind == "angle":  # logs before 0.2: the interior hip angle, 180 = standing
                deg = r.get("deg")
                hip.append((float(r["t"]), None if deg is None else 180.0 - float(deg)))
            elif kind == "cue_spoken":
                cues.append(r)
            elif kind == "command_heard":
                commands.append(r)
        except (KeyError, TypeError, ValueError):  # a line with missing or mistyped fields: skipped
            continue
    for s in sets.values():
        for rep in s.reps:
            rep.not_judged = unjudged.get((rep.start, rep.end), {})
            have = {f.get("id") for f in rep.faults}
            for f in found.get((rep.start, rep.end), []):
                if f.get("id") not in have:
                    have.add(f.get("id"))
                    rep.faults.append(f)
    sid = info.get("session") or os.path.basename(path).removesuffix(LOG_SUFFIX)
    kept = [s for s in sorted(sets.values(), key=lambda s: s.set_no) if s.reps]
    return LoggedSession(path, sid, info, kept, hip, cues, commands, finished, last_t)


def session_paths(directory: str | os.PathLike[str]) -> list[str]:
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        return []
    names = sorted((n for n in os.listdir(directory) if n.endswith(LOG_SUFFIX)),
                   key=lambda n: n.removesuffix(LOG_SUFFIX))  # by session id: "x" before "x-2"
    return [os.path.join(directory, n) for n in names]


def find_session(name: str, directory: str | os.PathLike[str]) -> str:
    """A session by path, by id, or by a unique prefix of its id ("last" for the newest)."""
    if os.path.isfile(name):
        return name
    paths = session_paths(directory)
    if name in ("last", "latest") and paths:
        return paths[-1]
    ids = {os.path.basename(p).removesuffix(LOG_SUFFIX): p for p in paths}
    if name in ids:
        return ids[name]
    hits = [p for i, p in ids.items() if i.startswith(name)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise LogError(f"no session '{name}' in {os.fspath(directory)} (see: coach history)")
    raise LogError(f"'{name}' matches {len(hits)} sessions in {os.fspath(directory)}; give more of its name")
