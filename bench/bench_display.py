"""The station display under watch: how far the page lags the count, and what 20 browsers cost the
analysis. Prints figures, asserts nothing.

    .venv/bin/python bench/bench_display.py [--reps 12] [--browsers 20] [--runs 3]

1. Latency: a synthetic deadlift session replayed in real time (the live runtime: trace camera,
   paced clock) with the page open in Debian's headless chromium. For each rep, the page's paint
   time (requestAnimationFrame after the count is written) minus the moment the runtime published
   the count (the display stamps it in `show`, on the analysis thread), plus the runtime's own lag
   from a frame's release to its count. Target: p95 <= 250 ms.
2. Load: the same session replayed losslessly, as fast as the analysis goes (so boards are
   published far more often than live), with no browser, with N event-stream readers in another
   process, and with N real headless chromium browsers (each a process with its own profile, so
   each has its own connection: tabs of one browser share 6 per host). The analysis is pinned to core 0 and the browsers to core 1, so the figure is what
   serving costs the analysis, not what rendering 20 pages costs a 2-core machine. Target: frames/s
   within 5 % of no browser. The control: the same chromium browsers open while the replay
   publishes to a display none of them watches, which tells what the browsers cost this 2-core
   machine by merely running (cache, memory, kernel) from what serving them costs.
   Also: a reader that stops reading is dropped (how long it took).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from browser import CHROMIUM, FLAGS  # noqa: E402

from coach.display.server import StationDisplay  # noqa: E402
from coach.io.log import SessionLog  # noqa: E402
from coach.pose.cameras import TraceCamera  # noqa: E402
from coach.runtime.runner import Runtime, RuntimeOptions  # noqa: E402
from coach.core.session import Session  # noqa: E402
from coach.synth import make_trace, write_trace  # noqa: E402

EXERCISE = "deadlift"


def _trace(reps: int, folder: str) -> str:
    return write_trace(make_trace(EXERCISE, reps=reps, faults={2: ["spine_rounding"]}, seed=7),
                       os.path.join(folder, f"{EXERCISE}_{reps}.jsonl"))


def _run(trace: str, folder: str, display: StationDisplay | None, realtime: bool) -> tuple[float, object]:
    log = SessionLog(folder)
    rt = Runtime(Session(exercise=EXERCISE), log, camera=TraceCamera(trace),
                 options=RuntimeOptions(realtime=realtime), display=display)
    t0 = time.perf_counter()
    result = rt.run()
    return result.frames / (time.perf_counter() - t0), result


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def latency(trace: str, folder: str) -> None:
    from playwright.sync_api import sync_playwright
    with StationDisplay(port=0) as display, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720}, bypass_csp=True)
        page.goto(display.url)
        _until(lambda: display.browsers == 1)
        _, result = _run(trace, folder, display, realtime=True)
        page.wait_for_function("window.coachSeen.length > 0 && window.coachSeen.at(-1).paint_ms !== null")
        seen = page.evaluate("window.coachSeen")
        browser.close()
    first = {}
    for s in seen:
        first.setdefault((s["set_no"], s["count"]), s)
    lags = [s["paint_ms"] - s["sent_ms"] for (_, c), s in first.items() if c > 0]
    frame_lag = [x * 1000 for x in result.rep_lag_s]
    print(f"latency: {len(lags)} counts shown of {result.reps} counted")
    print(f"  page painted after the count event: median {statistics.median(lags):.1f} ms, "
          f"p95 {_pct(lags, 0.95):.1f} ms, max {max(lags):.1f} ms")
    print(f"  the count event after its frame was released: median {statistics.median(frame_lag):.1f} ms, "
          f"p95 {_pct(frame_lag, 0.95):.1f} ms")


def _until(cond, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit("bench_display: the browsers did not connect")
        time.sleep(0.05)


def _readers(url: str, n: int, ready: mp.Event, stop: mp.Event) -> None:  # type: ignore[valid-type]
    """n event-stream readers in one process (threads), reading everything they are sent."""
    import threading
    os.sched_setaffinity(0, {1})

    def read() -> None:
        with urllib.request.urlopen(url + "events", timeout=600) as r:
            for _ in r:
                if stop.is_set():
                    return
    for _ in range(n):
        threading.Thread(target=read, daemon=True).start()
    ready.set()
    stop.wait()


def load(trace: str, folder: str, n: int, runs: int) -> None:
    os.sched_setaffinity(0, {0})
    rates: dict[str, list[float]] = {"no display": [], "no browser": [], f"{n} readers": [],
                                     f"{n} chromium browsers": [], f"{n} chromium, not served": []}
    published = {}
    _run(trace, folder, None, realtime=False)  # warm up: imports, the exercise files, the disk cache
    for _ in range(runs):
        rates["no display"].append(_run(trace, folder, None, realtime=False)[0])
        with StationDisplay(port=0) as display:
            rates["no browser"].append(_run(trace, folder, display, realtime=False)[0])
        with StationDisplay(port=0) as display:
            ready, stop = mp.Event(), mp.Event()
            proc = mp.Process(target=_readers, args=(display.url, n, ready, stop), daemon=True)
            proc.start()
            ready.wait(30)
            _until(lambda: display.browsers == n)
            rates[f"{n} readers"].append(_run(trace, folder, display, realtime=False)[0])
            published["readers"] = display.stats.published
            stop.set()
            proc.terminate()
        with StationDisplay(port=0) as display, StationDisplay(port=0) as elsewhere:
            # n whole browsers, each a chromium of its own (own profile, so each has its own
            # connections; tabs of one browser share 6 per host), all on core 1
            procs = [subprocess.Popen(["taskset", "-c", "1", CHROMIUM, "--headless", *FLAGS,
                                       f"--user-data-dir={folder}/profile-{i}", display.url],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(n)]
            try:
                _until(lambda: display.browsers == n, 120)
                rates[f"{n} chromium browsers"].append(_run(trace, folder, display, realtime=False)[0])
                published["browsers"] = display.stats.published
                # the control: the same browsers, open, but the replay publishes to a display nobody
                # watches: what the browsers cost by being on this machine, not by being served
                rates[f"{n} chromium, not served"].append(_run(trace, folder, elsewhere, realtime=False)[0])
            finally:
                for proc in procs:
                    proc.terminate()
                for proc in procs:
                    proc.wait(30)
    print(f"load: lossless replay of {os.path.basename(trace)} ({runs} rounds of all five, back to back; "
          f"analysis on core 0, browsers on core 1)")
    base = rates["no browser"]
    for name, r in rates.items():
        # each round's ratio to its own "no browser" run: the machine's drift between rounds cancels
        ratios = [x / b for x, b in zip(r, base)]
        print(f"  {name:>20}: median {statistics.median(r):6.0f} frames/s; {100 * statistics.median(ratios):5.1f} % "
              f"of the display with no browser (rounds {', '.join(f'{100 * q:.0f}' for q in ratios)} %)")
    print(f"  boards published per run: {published.get('readers')}")


def stalled(folder: str) -> None:
    from coach.core.board import Board
    with StationDisplay(port=0, write_timeout_s=5.0) as display:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", display.port))
        sock.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        _until(lambda: display.browsers == 1)
        t0 = time.monotonic()
        n = 0
        while display.stats.dropped == 0 and time.monotonic() - t0 < 60:
            n += 1
            display.show(Board(t=n, exercise="Deadlift", set_no=1, in_set=True, count=n, target=None,
                               last_cue="x" * 2000, last_rep=None, last_faults=(), last_rep_judged=False,
                               resting=False, rest_left_s=None, paused=False, finished=False, camera="seen",
                               camera_text=""))
            time.sleep(0.01)  # boards as a busy session might make them, faster than live
        print(f"stalled reader: dropped after {time.monotonic() - t0:.1f} s and {n} boards of ~2 kB "
              f"(write timeout 5 s); browsers left {display.browsers}")
        sock.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=12)
    ap.add_argument("--browsers", type=int, default=20)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    # in memory: the log's fsync per rep on a shared disk is noise larger than what is measured
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None,
                                     ignore_cleanup_errors=True) as folder:  # browsers still closing
        trace = _trace(args.reps, folder)
        latency(trace, folder)
        stalled(folder)
        long_trace = _trace(args.reps * 10, folder)
        load(long_trace, folder, args.browsers, args.runs)


if __name__ == "__main__":
    main()
