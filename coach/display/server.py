"""The station display: a read-only web page of the session, pushed to browsers as it happens.

    core thread ── show(board) ──▶ [display thread: aiohttp event loop] ── server-sent events ──▶ browsers

`show()` is all the analysis loop ever calls: it stamps the wall time, hands the board to the
display's own event loop and returns at once (no I/O, no lock held while writing). A burst of
boards (a fast replay) is sent at most 20 times a second, the newest each time. Each browser
gets the newest board, never a backlog: a browser that falls behind skips to the present, and one
that stops reading for WRITE_TIMEOUT_S is dropped, so nothing is buffered without bound. Only GET
routes exist: no request can change the session.

Routes: `/` the live page, `/events` the server-sent events, `/state` the current board (JSON),
`/history` past sessions (coach.io.report_html), `/display.css`, `/display.js`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aiohttp import web

from coach.core.board import Board
from coach.core.errors import CoachError

log = logging.getLogger(__name__)

WRITE_TIMEOUT_S = 5.0   # a browser that takes longer than this to take one update is dropped
KEEPALIVE_S = 15.0      # a comment line now and then, so proxies and browsers keep the stream open
MIN_INTERVAL_S = 0.05   # browsers get at most 20 boards a second; a lone change goes out at once
CATCH_UP_POLL_S = 0.05  # how often a browser that is behind is looked at again
SEND_BUFFER = 32 * 1024  # per browser: a few dozen boards; beyond it writes wait, then time out
THEMES = ("dark", "light")


class DisplayError(CoachError):
    """The display cannot be served (address in use, no such address); str() is one sentence."""


@dataclass(eq=False)  # one per connection, kept in a set by identity
class _Browser:
    wake: asyncio.Event  # set when this browser needs its own task: it is behind, or the display closes
    resp: web.StreamResponse
    transport: asyncio.WriteTransport
    sent: int = -1  # the sequence number of the last board it was sent

    @property
    def behind(self) -> bool:
        """It has not taken all it was sent yet (its socket is full)."""
        return self.transport.get_write_buffer_size() > 0


@dataclass
class DisplayStats:
    connected: int = 0
    dropped: int = 0      # browsers that stopped reading
    published: int = 0    # boards sent (in a burst, the ones in between are skipped)


class StationDisplay:
    """Serves the page on `host:port` (port 0: any free one) from a thread of its own.

    `history` returns the HTML of the history page (called off the event loop, per request)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8080, theme: str = "dark",
                 history: Callable[[], str] | None = None, write_timeout_s: float = WRITE_TIMEOUT_S):
        if theme not in THEMES:
            raise DisplayError(f"the display theme must be one of {', '.join(THEMES)}, not '{theme}'")
        self.host, self.port, self.theme = host, port, theme
        self._history = history
        self._write_timeout_s = write_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: str | None = None
        self._stopping: asyncio.Event | None = None
        self._browsers: set[_Browser] = set()
        self._seq = 0
        self._payload = b""
        self._latest: dict[str, Any] | None = None
        self._pending: tuple[Board, float] | None = None  # the newest board, not sent yet
        self._flush_at: asyncio.TimerHandle | None = None
        self._flushed = -MIN_INTERVAL_S  # the loop time of the last send
        self.stats = DisplayStats()

    # -- the analysis side (any thread) -----------------------------------------------------
    def show(self, board: Board) -> None:
        """Publishes `board`; returns at once whatever the browsers do. The board is immutable, so
        the display's thread turns it into JSON, not the caller's."""
        sent_ms = round(time.time() * 1000.0, 1)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody is watching
                loop.call_soon_threadsafe(self._publish, board, sent_ms)

    @property
    def url(self) -> str:
        if self.host in ("127.0.0.1", "::1", "localhost"):
            host = "localhost"
        elif self.host in ("0.0.0.0", "::"):  # every address of this machine: name it as others would
            host = socket.gethostname()
        else:
            host = self.host
        return f"http://{host}:{self.port}/"

    @property
    def browsers(self) -> int:
        return len(self._browsers)

    # -- life --------------------------------------------------------------------------------
    def start(self) -> StationDisplay:
        """Binds and serves; raises DisplayError if the address cannot be used."""
        self._thread = threading.Thread(target=self._serve, name="coach-display", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error:
            raise DisplayError(self._error)
        return self

    def close(self) -> None:
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> StationDisplay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main())
        finally:
            self._ready.set()
            loop.close()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_get("/", self._page)
        app.router.add_get("/events", self._events)
        app.router.add_get("/state", self._state)
        app.router.add_get("/history", self._history_page)
        app.router.add_get("/display.css", self._asset)
        app.router.add_get("/display.js", self._asset)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as e:
            self._error = (f"the station display cannot listen on {self.host}:{self.port} "
                           f"({e.strerror or e}); set display.port to a free port")
            await runner.cleanup()
            return
        self.port = runner.addresses[0][1]
        self._ready.set()
        await self._stopping.wait()
        for b in self._browsers:
            b.wake.set()  # each stream ends and returns
        await runner.cleanup()

    # -- the loop side -----------------------------------------------------------------------
    def _publish(self, board: Board, sent_ms: float) -> None:
        self._pending = (board, sent_ms)
        if self._flush_at is None:  # else a send is already due and will take this board
            loop = asyncio.get_running_loop()
            self._flush_at = loop.call_at(max(loop.time(), self._flushed + MIN_INTERVAL_S), self._flush)

    def _flush(self) -> None:
        """Sends the newest board to every browser: at once after a quiet spell, at most every
        MIN_INTERVAL_S in a burst (a replay, a flurry of events), the boards between skipped."""
        self._flush_at = None
        if self._pending is None:
            return
        board, sent_ms = self._pending
        self._pending = None
        self._flushed = asyncio.get_running_loop().time()
        self._seq += 1
        self._latest = board.to_json() | {"sent_ms": sent_ms}
        # serialised once for every browser; `id` lets a browser tell updates apart
        self._payload = f"id: {self._seq}\ndata: {json.dumps(self._latest)}\n\n".encode()
        self.stats.published += 1
        asyncio.get_running_loop().create_task(self._broadcast(self._seq, self._payload))

    async def _broadcast(self, seq: int, payload: bytes) -> None:
        """One task writes the board to every browser that keeps up (a write to a socket with
        room never waits); a browser that is behind is left to its own task. Twenty tasks woken
        for every board would cost the analysis thread its interpreter time for nothing."""
        for b in list(self._browsers):
            if b.sent >= seq:
                continue
            if b.behind:
                b.wake.set()
                continue
            b.sent = seq
            with contextlib.suppress(ConnectionError, RuntimeError):  # gone: its own task ends it
                await b.resp.write(payload)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
        await resp.prepare(request)
        sock = request.transport.get_extra_info("socket") if request.transport else None
        if sock is not None:  # a small send buffer: a stalled browser is found out in seconds, not megabytes
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        transport = request.transport
        assert transport is not None and self._stopping is not None
        browser = _Browser(asyncio.Event(), resp, transport)
        self._browsers.add(browser)
        self.stats.connected += 1
        dropped = False
        try:
            await asyncio.wait_for(resp.write(b"retry: 1000\n\n"), self._write_timeout_s)
            while not self._stopping.is_set():
                browser.wake.clear()
                if browser.sent != self._seq and self._payload:  # new, or behind: the newest board
                    await self._caught_up(browser)
                    browser.sent = self._seq
                    await asyncio.wait_for(resp.write(self._payload), self._write_timeout_s)
                    continue
                try:
                    await asyncio.wait_for(browser.wake.wait(), KEEPALIVE_S)
                except TimeoutError:
                    await self._caught_up(browser)
                    await asyncio.wait_for(resp.write(b": keepalive\n\n"), self._write_timeout_s)
        except TimeoutError:
            dropped = True
            self.stats.dropped += 1
            log.info("display: dropped a browser that stopped reading")
        except (ConnectionError, RuntimeError):
            pass  # the browser went away (tab closed, network gone)
        finally:
            self._browsers.discard(browser)
            if dropped:
                transport.abort()  # a dropped browser's unsent bytes are freed now
        return resp

    async def _caught_up(self, browser: _Browser) -> None:
        """Returns once the browser has taken everything sent so far; raises TimeoutError if it
        takes nothing for write_timeout_s. Only a browser that is behind waits here (and polls)."""
        waited = 0.0
        while browser.behind:
            if waited >= self._write_timeout_s:
                raise TimeoutError
            await asyncio.sleep(CATCH_UP_POLL_S)
            waited += CATCH_UP_POLL_S

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self._latest or {}, headers={"Cache-Control": "no-store"})

    async def _page(self, request: web.Request) -> web.Response:
        theme = request.query.get("theme", self.theme)
        if theme not in THEMES:
            theme = self.theme
        html = _asset_text("page.html").replace("{theme}", theme)
        return web.Response(text=html, content_type="text/html", headers=_PAGE_HEADERS)

    async def _asset(self, request: web.Request) -> web.Response:
        name = request.path.lstrip("/")
        kind = "text/css" if name.endswith(".css") else "text/javascript"
        return web.Response(text=_asset_text(name), content_type=kind, headers=_PAGE_HEADERS)

    async def _history_page(self, request: web.Request) -> web.Response:
        if self._history is None:
            raise web.HTTPNotFound(text="This station keeps no session history.")
        try:
            html = await asyncio.get_running_loop().run_in_executor(None, self._history)
        except (OSError, CoachError) as e:  # an unreadable log folder: the page says so, the session goes on
            raise web.HTTPInternalServerError(text=f"The session history cannot be read: {e}") from None
        return web.Response(text=html, content_type="text/html", headers=_PAGE_HEADERS)


# Everything the page needs comes from this station: nothing else may load, nothing may frame it.
_PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                            "frame-ancestors 'none'",
                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@functools.lru_cache(maxsize=8)
def _asset_text(name: str) -> str:
    return resources.files("coach.display").joinpath(name).read_text(encoding="utf-8")
