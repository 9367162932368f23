"""The same-machine video transport: a websocket server on 127.0.0.1 that takes camera frames from the page.

Why: WebRTC needs a network interface other than loopback (ICE drops loopback candidates), so with Wi-Fi off
a WebRTC page cannot connect. A websocket to 127.0.0.1 always works, and the page draws the overlay itself
over its own ``<video>`` (no video is encoded back).

One server per process (:func:`frame_server`), started on first use in a daemon thread with its own asyncio
loop, listening on 127.0.0.1 only (port ``FORMCHECK_WS_PORT``, default: any free port). Each browser session
registers its :class:`~formcheck.webapp.live.CoachSession` and gets a random token; a connection must name a
registered token in its path (``/fc/<token>``) and come from a loopback page (``Origin``), else the
handshake is refused. The registry holds sessions weakly: a session Streamlit forgot is gone here too.

Per connection: a :class:`~formcheck.webapp.live.LiveProcessor` (pose -> LivePipeline -> engine -> store,
as with WebRTC) runs in the connection's own worker thread. Frames that arrive while one is being processed
replace each other (only the newest waits; the rest are dropped and counted, never queued); every processed
frame is answered with one overlay message (:func:`formcheck.webapp.wire.overlay_message`). The page sends its
next frame when the answer comes, so at most about one frame is ever in flight. A second connection with the
same token (the page re-rendered) replaces the first, after the first has closed its session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from formcheck.webapp.live import CoachSession, LiveProcessor
from formcheck.webapp.wire import (
    MAX_FRAME_BYTES,
    FrameMessage,
    WireError,
    decode_jpeg,
    overlay_message,
    parse_frame,
)

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
PATH_PREFIX = "/fc/"
#: Pages allowed to connect: served from a loopback address (any port).
LOOPBACK_ORIGIN = re.compile(r"^https?://(127(\.\d{1,3}){3}|localhost|\[::1\])(:\d{1,5})?$")
#: How long start-up may take before it counts as failed (s).
START_TIMEOUT_S = 10.0

ProcessorFactory = Callable[[CoachSession], LiveProcessor]


class FrameServer:
    """The websocket server (see the module docstring).

    Args:
        port: TCP port on 127.0.0.1; 0 picks a free one.
        processor_factory: builds a session's processor (tests and the benchmark may pass their own).
    """

    def __init__(self, port: int = 0, processor_factory: ProcessorFactory = LiveProcessor) -> None:
        self._want_port = port
        self._factory = processor_factory
        self._sessions: weakref.WeakValueDictionary[str, CoachSession] = weakref.WeakValueDictionary()
        self._tokens: weakref.WeakKeyDictionary[CoachSession, str] = weakref.WeakKeyDictionary()
        self._active: dict[str, tuple[asyncio.Future[None], ServerConnection]] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        #: Connections refused at the handshake (bad token or origin), for tests.
        self.refused = 0

    # ------------------------------------------------------------------ life

    def start(self) -> FrameServer:
        """Listen on 127.0.0.1 (idempotent); raises ``OSError`` with one clear line when it cannot."""
        with self._lock:
            if self._thread is not None:
                return self
            ready = threading.Event()
            failure: list[BaseException] = []
            self._thread = threading.Thread(
                target=self._run, args=(ready, failure), name="formcheck-frames", daemon=True
            )
            self._thread.start()
        if not ready.wait(START_TIMEOUT_S):
            raise OSError(f"the video server on {HOST} did not start within {START_TIMEOUT_S:.0f} s")
        if failure:
            with self._lock:
                self._thread = None
            raise OSError(f"the video server cannot listen on {HOST}:{self._want_port}: {failure[0]}")
        return self

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(self._listen())
            self.port = int(self._server.sockets[0].getsockname()[1])
        except Exception as e:  # reported to start() as one line
            failure.append(e)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _listen(self) -> Server:
        return await serve(
            self._handle,
            HOST,
            self._want_port,
            origins=[LOOPBACK_ORIGIN],
            process_request=self._check_request,
            compression=None,  # JPEG does not compress; deflate would only cost time
            max_size=MAX_FRAME_BYTES,
            max_queue=4,
            ping_interval=None,
        )

    def stop(self) -> None:
        """Close the server and every connection (their sessions are ended and saved)."""
        loop, server = self._loop, self._server
        if loop is None or server is None or self._thread is None:
            return

        async def close() -> None:
            server.close()
            await server.wait_closed()
            loop.stop()

        asyncio.run_coroutine_threadsafe(close(), loop)
        self._thread.join(timeout=15)
        self._thread = None

    # ------------------------------------------------------------------ sessions

    def register(self, session: CoachSession) -> str:
        """The token of ``session`` (made once; the page puts it in the websocket's path)."""
        with self._lock:
            token = self._tokens.get(session)
            if token is None:
                token = secrets.token_urlsafe(24)
                self._tokens[session] = token
                self._sessions[token] = session
            return token

    def url(self, token: str) -> str:
        """The websocket address for ``token``."""
        return f"ws://{HOST}:{self.port}{PATH_PREFIX}{token}"

    # ------------------------------------------------------------------ connections

    def _session_of(self, path: str) -> tuple[str, CoachSession] | None:
        if not path.startswith(PATH_PREFIX):
            return None
        token = path[len(PATH_PREFIX) :].split("?", 1)[0]
        with self._lock:
            session = self._sessions.get(token)
        return (token, session) if session is not None else None

    def _check_request(self, conn: ServerConnection, request: Request) -> Response | None:
        if self._session_of(request.path) is None:
            self.refused += 1
            return Response(HTTPStatus.FORBIDDEN.value, "Forbidden", Headers(), b"unknown session\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        found = self._session_of(ws.request.path if ws.request else "")
        if found is None:  # the session went away during the handshake
            await ws.close(4403, "unknown session")
            return
        token, session = found
        loop = asyncio.get_running_loop()
        previous = self._active.get(token)
        done: asyncio.Future[None] = loop.create_future()
        self._active[token] = (done, ws)
        if previous is not None:  # the page re-rendered: the older connection ends its session first
            with contextlib.suppress(ConnectionClosed):
                await previous[1].close(4000, "replaced")
            await previous[0]
        conn = _Connection(ws, session, self._factory, loop)
        try:
            await conn.run()
        finally:
            if self._active.get(token, (None,))[0] is done:
                del self._active[token]
            done.set_result(None)


class _Connection:
    """One page's connection: receive frames, process the newest in the worker thread, answer."""

    def __init__(
        self,
        ws: ServerConnection,
        session: CoachSession,
        factory: ProcessorFactory,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.ws = ws
        self.session = session
        self.factory = factory
        self.loop = loop
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="formcheck-frame")
        self.pending: FrameMessage | None = None
        self.dropped = 0
        self.wake = asyncio.Event()
        self.processor: LiveProcessor | None = None
        self.bad_frames = 0

    async def run(self) -> None:
        """Serve until the page stops or the socket closes (a newer connection closes it)."""
        # a session may bring its own processor (the desk-posture page's); else the server's factory
        factory = getattr(self.session, "make_processor", None) or (lambda: self.factory(self.session))
        try:
            self.processor = await self.loop.run_in_executor(self.worker, factory)
        except Exception as e:
            log.exception("starting the live session failed")
            with contextlib.suppress(ConnectionClosed):
                await self.ws.send(json.dumps({"type": "error", "error": type(e).__name__}))
                await self.ws.close(1011, "could not start")
            self.worker.shutdown(wait=False)
            return
        pump = asyncio.create_task(self._pump())
        try:
            await self._receive()
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await pump
            processor = self.processor
            await self.loop.run_in_executor(self.worker, processor.on_ended)  # waits for the frame in hand
            self.worker.shutdown(wait=False)
            with contextlib.suppress(ConnectionClosed):
                await self.ws.close()

    async def _receive(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self._receive_frames()

    async def _receive_frames(self) -> None:
        async for message in self.ws:
            if isinstance(message, str):
                if _control(message) == "stop":
                    return
                continue
            try:
                frame = parse_frame(message)
            except WireError as e:
                self._bad(str(e))
                continue
            if self.pending is not None:
                self.dropped += 1
            self.pending = frame
            self.wake.set()

    def _bad(self, why: str) -> None:
        self.bad_frames += 1
        if self.bad_frames == 1:
            log.warning("ignoring a bad frame message: %s", why)

    async def _pump(self) -> None:
        first = True
        while True:
            await self.wake.wait()
            self.wake.clear()
            frame, self.pending = self.pending, None
            if frame is None:
                continue
            dropped, self.dropped = self.dropped, 0
            msg = await self.loop.run_in_executor(self.worker, self._work, frame, dropped, first)
            if msg is None:
                continue
            first = False
            try:
                await self.ws.send(msg)
            except ConnectionClosed:
                return

    def _work(self, frame: FrameMessage, dropped: int, first: bool) -> str | None:
        """Worker thread: decode, process, build the answer (None: nothing to say)."""
        assert self.processor is not None
        try:
            bgr = decode_jpeg(frame.jpeg)
        except WireError as e:
            self._bad(str(e))
            return json.dumps({"type": "skip", "seq": frame.seq})
        try:
            result = self.processor.process_image(bgr, frame.t_s, dropped=dropped, draw=False)
        except Exception:  # the processor reports its own errors; anything else must not end the stream
            log.exception("processing a frame failed")
            return json.dumps({"type": "skip", "seq": frame.seq})
        if result is None:
            return None
        answer = getattr(self.processor, "overlay", None) or overlay_message  # a processor's own words
        try:
            return json.dumps(answer(result, frame.seq, first), allow_nan=False)
        except ValueError:  # a value that is not a number: the page could not parse it
            log.warning("an overlay message held a non-finite number; skipped")
            return json.dumps({"type": "skip", "seq": frame.seq})


def _control(message: str) -> str | None:
    """The ``type`` of a control message, or None when it is not one."""
    try:
        data: Any = json.loads(message)
    except ValueError:
        return None
    return data.get("type") if isinstance(data, dict) and isinstance(data.get("type"), str) else None


_SERVER_LOCK = threading.Lock()
_SERVER: FrameServer | None = None


def configured_port() -> int:
    """``FORMCHECK_WS_PORT`` (0, any free port, when unset); raises ``ValueError`` with one line if bad."""
    raw = os.environ.get("FORMCHECK_WS_PORT", "").strip()
    if not raw:
        return 0
    if not raw.isdigit() or not 0 <= int(raw) <= 65535:
        raise ValueError(f"FORMCHECK_WS_PORT must be a port number 0-65535, not {raw!r}")
    return int(raw)


def frame_server() -> FrameServer:
    """The process's one :class:`FrameServer`, started on first use."""
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is None:
            _SERVER = FrameServer(configured_port()).start()
        return _SERVER
