"""The websocket frame server (formcheck.webapp.frameserver) with a stub processor: loopback, token, origin,
newest-frame-only processing, session end on STOP/close, one clear line for a bad frame."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import cv2
import numpy as np
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from formcheck.core.engine import EngineState
from formcheck.core.landmarks import Side
from formcheck.core.templates import load_template
from formcheck.webapp.frameserver import HOST, FrameServer, configured_port
from formcheck.webapp.live import CoachSession, FrameResult, LiveSettings, LiveUpdate
from formcheck.webapp.wire import encode_frame

ORIGIN = "http://127.0.0.1:8501"
TEMPLATE = load_template("bridge")


def _jpeg() -> bytes:
    ok, buf = cv2.imencode(".jpg", np.full((48, 64, 3), 100, np.uint8))
    assert ok
    return buf.tobytes()


class StubProcessor:
    """Stands in for LiveProcessor: records the frames it got; each takes ``delay`` seconds."""

    delay = 0.0
    instances: ClassVar[list[StubProcessor]] = []

    def __init__(self, session: CoachSession) -> None:
        self.session = session
        self.frames: list[tuple[float, int]] = []
        self.ended = threading.Event()
        session.live = True
        StubProcessor.instances.append(self)

    def process_image(
        self, bgr: np.ndarray, frame_time_s: float | None, dropped: int = 0, draw: bool = False
    ) -> FrameResult:
        time.sleep(self.delay)
        self.frames.append((float(frame_time_s or 0.0), dropped))
        n = len(self.frames)
        state = EngineState(
            t_s=n, phase=None, counting=True, reps=n, hold_s=0.0, hold_target_s=0.0, cue=None, new_cue=None,
            new_rep=None, issues=(), live_faults=(), bad_joints=frozenset(),
        )  # fmt: skip
        update = LiveUpdate(
            seq=n, session_id="s", t_s=n, wall=0.0, exercise="bridge", reps=n, counting=True, phase=None,
            hold_s=0.0, hold_target_s=0.0, issues=(), cue=None, new_cue=None, new_rep=None, feats={},
            fps=0.0, input_fps=0.0, dropped=dropped, model="stub", latency_ms=1.0,
        )  # fmt: skip
        return FrameResult(
            update=update, state=state, landmarks=None, side=Side.LEFT, template=TEMPLATE, lang="en",
            size=(bgr.shape[1], bgr.shape[0]),
        )  # fmt: skip

    def on_ended(self) -> None:
        self.session.live = False
        self.ended.set()


@pytest.fixture
def server() -> Iterator[FrameServer]:
    StubProcessor.instances = []
    StubProcessor.delay = 0.0
    srv = FrameServer(processor_factory=StubProcessor).start()  # type: ignore[arg-type]
    yield srv
    srv.stop()


def _run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_listens_on_loopback_only_on_a_free_port(server: FrameServer) -> None:
    assert HOST == "127.0.0.1" and server.port > 0
    assert server.url("abc") == f"ws://127.0.0.1:{server.port}/fc/abc"


def test_a_session_gets_one_unguessable_token(server: FrameServer) -> None:
    a, b = CoachSession(LiveSettings("bridge")), CoachSession(LiveSettings("bridge"))
    ta, tb = server.register(a), server.register(b)
    assert ta == server.register(a) and ta != tb and len(ta) >= 32


def test_an_unknown_token_or_a_foreign_page_cannot_attach(server: FrameServer) -> None:
    coach = CoachSession(LiveSettings("bridge"))
    token = server.register(coach)

    async def attempt(url: str, origin: str) -> int:
        try:
            async with connect(url, origin=origin):  # type: ignore[arg-type]
                return 101
        except InvalidStatus as e:
            return e.response.status_code

    assert _run(attempt(server.url("not-a-token"), ORIGIN)) == 403
    assert _run(attempt(server.url(token), "http://evil.example:80")) == 403
    assert _run(attempt(server.url(token), "http://localhost:8501")) == 101
    assert not StubProcessor.instances or all(p.session is coach for p in StubProcessor.instances)


def test_frames_are_answered_in_order_and_stop_ends_the_session(server: FrameServer) -> None:
    coach = CoachSession(LiveSettings("bridge"))

    async def session() -> list[dict[str, Any]]:
        out = []
        async with connect(server.url(server.register(coach)), origin=ORIGIN) as ws:  # type: ignore[arg-type]
            for i in range(3):
                await ws.send(encode_frame(i, 1000.0 * i, _jpeg()))
                out.append(json.loads(await ws.recv()))
            await ws.send(json.dumps({"type": "stop"}))
            with pytest.raises(Exception):  # the server closes after STOP  # noqa: B017
                await ws.recv()
        return out

    answers = _run(session())
    assert [a["seq"] for a in answers] == [0, 1, 2] and [a["reps"] for a in answers] == [1, 2, 3]
    assert "bones" in answers[0] and "bones" not in answers[1]
    proc = StubProcessor.instances[-1]
    assert proc.ended.wait(5) and not coach.live
    assert [t for t, _d in proc.frames] == [0.0, 1.0, 2.0]  # the page's frame times, in seconds


def test_drops_intermediate_frames_under_load_and_never_queues(server: FrameServer) -> None:
    StubProcessor.delay = 0.5
    coach = CoachSession(LiveSettings("bridge"))

    async def burst() -> list[int]:
        seqs: list[int] = []
        async with connect(server.url(server.register(coach)), origin=ORIGIN) as ws:  # type: ignore[arg-type]
            await ws.send(encode_frame(0, 0.0, _jpeg()))
            await asyncio.sleep(0.1)
            for i in range(1, 10):  # nine more while the first is being processed (0.5 s)
                await ws.send(encode_frame(i, 10.0 * i, _jpeg()))
            while not seqs or seqs[-1] != 9:
                seqs.append(json.loads(await ws.recv())["seq"])
        return seqs

    seqs = _run(burst())
    proc = StubProcessor.instances[-1]
    assert proc.ended.wait(5)
    # At most the frame in hand and then only the newest were processed; every other frame was dropped and
    # counted, none waited in a queue.
    assert len(seqs) <= 2 and len(proc.frames) == len(seqs), (seqs, proc.frames)
    assert len(proc.frames) + sum(d for _t, d in proc.frames) == 10, proc.frames


def test_closing_the_page_ends_the_session_and_a_bad_frame_is_skipped(server: FrameServer) -> None:
    coach = CoachSession(LiveSettings("bridge"))

    async def session() -> dict[str, Any]:
        async with connect(server.url(server.register(coach)), origin=ORIGIN) as ws:  # type: ignore[arg-type]
            await ws.send(encode_frame(1, 0.0, b"\xff\xd8 not a picture"))
            skip = json.loads(await ws.recv())
            await ws.send(b"garbage")  # not a frame message: ignored
            await ws.send(encode_frame(2, 40.0, _jpeg()))
            good = json.loads(await ws.recv())
            return {"skip": skip, "good": good}

    got = _run(session())
    assert got["skip"] == {"type": "skip", "seq": 1} and got["good"]["seq"] == 2
    assert StubProcessor.instances[-1].ended.wait(5) and not coach.live


def test_a_second_connection_replaces_the_first_after_it_ended(server: FrameServer) -> None:
    coach = CoachSession(LiveSettings("bridge"))
    url = server.url(server.register(coach))

    async def twice() -> None:
        async with connect(url, origin=ORIGIN) as first:  # type: ignore[arg-type]
            await first.send(encode_frame(1, 0.0, _jpeg()))
            await first.recv()
            async with connect(url, origin=ORIGIN) as second:  # type: ignore[arg-type]
                await second.send(encode_frame(1, 0.0, _jpeg()))
                assert json.loads(await second.recv())["seq"] == 1
                assert StubProcessor.instances[0].ended.is_set()  # the first ended before the second began

    _run(twice())
    assert len(StubProcessor.instances) == 2


def test_port_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMCHECK_WS_PORT", "70000")
    with pytest.raises(ValueError, match="FORMCHECK_WS_PORT"):
        configured_port()
    monkeypatch.setenv("FORMCHECK_WS_PORT", "8765")
    assert configured_port() == 8765
    monkeypatch.delenv("FORMCHECK_WS_PORT")
    assert configured_port() == 0


def test_a_port_in_use_is_one_clear_line(server: FrameServer) -> None:
    with pytest.raises(OSError, match=r"cannot listen on 127\.0\.0\.1"):
        FrameServer(port=server.port).start()
