"""The desk-posture page's logic without Streamlit (webapp/desk.py) and the page itself (AppTest)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from conftest import ROOT
from sitting import SIZE, nobody, sitter

from formcheck.core.posture import frame_measures, measure
from formcheck.webapp.desk import FPS_CHOICES, DeskProcessor, DeskSession, readout, speech

UPRIGHT = frame_measures(measure(*(x[None] for x in sitter(yaw=90.0)), SIZE), 0)
SLOUCHED = frame_measures(measure(*(x[None] for x in sitter(trunk_forward=30.0, yaw=90.0)), SIZE), 0)


def test_frames_are_analysed_at_the_pages_rate() -> None:
    desk = DeskSession(fps=2.0)
    times = np.arange(0.0, 10.0, 1 / 30)  # a 30 fps camera
    analysed = [t for t in times if desk.due(float(t)) and desk.step(float(t), UPRIGHT)]
    assert len(analysed) == pytest.approx(20, abs=1)
    assert min(np.diff(analysed)) >= 0.5 - 1e-6
    assert all(2.0 <= f <= 5.0 for f in FPS_CHOICES)


def test_calibration_request_starts_at_the_next_frame() -> None:
    desk = DeskSession(fps=5.0)
    desk.step(0.0, SLOUCHED)
    desk.request_calibration()
    states = [desk.step(t, UPRIGHT) for t in np.arange(0.2, 4.0, 0.2)]
    assert states[0].calibrating and states[-1].calibrated
    assert desk.monitor.baseline is not None


def test_reminders_are_kept_once_each_in_the_pages_language() -> None:
    desk = DeskSession(lang="nl", fps=2.0)
    for t in np.arange(0.0, 400.0, 0.5):
        desk.step(float(t), SLOUCHED)
    _, reminders, _, _ = desk.snapshot()
    assert [r.lang for r in reminders] == ["nl", "nl"]  # at 60 s and, 5 minutes later, at 360 s
    items = speech(reminders)
    assert len({i for i, _, _ in items}) == len(items) and "onderuit" in items[0][1]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_readout_words(lang: str) -> None:
    desk = DeskSession(lang=lang, fps=2.0)
    assert readout(None, desk.template, lang).kind == "away"
    state = desk.step(0.0, UPRIGHT)
    r = readout(state, desk.template, lang)
    assert r.kind == "good" and r.posture == {"nl": "rechtop", "en": "upright"}[lang] and r.score == "-"
    desk.request_calibration()
    r = readout(desk.step(1.0, UPRIGHT), desk.template, lang)
    assert "3" in r.status
    for t in np.arange(1.5, 80.0, 0.5):
        state = desk.step(float(t), SLOUCHED)
    r = readout(state, desk.template, lang)
    assert r.kind == "note" and r.score.endswith("/ 100") and r.sitting == "1 min" and not r.warning
    assert readout(state, desk.template, lang, people=2).warning  # two people in view: said once, kindly


@dataclass
class FakeFrame:
    landmarks: np.ndarray
    world: np.ndarray
    n_people: int = 1
    mask: None = None


class FakeEstimator:
    """Returns a synthetic sitter (or nobody) instead of running the model."""

    def __init__(self) -> None:
        self.calls = 0
        self.closed = False
        self.person = True

    def detect(self, rgb: np.ndarray, ts_ms: int) -> FakeFrame:
        assert rgb.shape[1] <= 480 and rgb.dtype == np.uint8
        self.calls += 1
        lm, w = sitter(yaw=90.0) if self.person else nobody()
        return FakeFrame(lm.astype(np.float32), w.astype(np.float32))

    def close(self) -> None:
        self.closed = True


def test_processor_runs_the_model_only_at_the_pages_rate_and_acknowledges_every_frame() -> None:
    desk = DeskSession(fps=3.0)
    est = FakeEstimator()
    proc = DeskProcessor(desk, estimator=est)
    frame = np.zeros((720, 1280, 3), np.uint8)
    results = [proc.process_image(frame, 100.0 + i / 30) for i in range(90)]  # 3 s at 30 fps
    assert est.calls == pytest.approx(9, abs=1)
    assert all(r is not None for r in results) and results[-1].posture == "upright"
    assert proc.overlay(results[-1], 7) == {"type": "ack", "seq": 7}
    est.person = False
    for i in range(90, 200):
        last = proc.process_image(frame, 100.0 + i / 30)
    assert last is not None and last.posture == "away"
    proc.on_ended()
    proc.on_ended()
    assert est.closed and proc.process_image(frame, 200.0) is None


def test_the_session_brings_its_own_processor() -> None:
    desk = DeskSession()
    assert callable(desk.make_processor)


def test_the_page_renders_and_is_listed() -> None:
    from streamlit.testing.v1 import AppTest

    from formcheck.webapp.nav import PAGES, page_path

    assert "desk.py" in [p.file for p in PAGES]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["fc_lang"] = "en"
    at.session_state["fc_safety"] = "ok"
    at.run()
    at.switch_page(page_path("desk")).run()
    assert not at.exception, at.exception
    assert any("Desk posture" in h.value for h in at.header)
    assert any("Calibrate" in b.label for b in at.button)
    assert isinstance(at.session_state["fc_desk"], DeskSession)


class StubDeskSession(DeskSession):
    """A desk session whose processor uses :class:`FakeEstimator` instead of the model."""

    def make_processor(self) -> DeskProcessor:
        self.processor = DeskProcessor(self, estimator=FakeEstimator())
        return self.processor


def test_the_frame_server_runs_the_desk_sessions_own_processor_and_acknowledges() -> None:
    """Loopback: frames over the websocket reach the desk session's own processor; each gets an ack."""
    import asyncio
    import json

    import cv2
    from websockets.asyncio.client import connect

    from formcheck.webapp.frameserver import FrameServer
    from formcheck.webapp.wire import encode_frame

    ok, buf = cv2.imencode(".jpg", np.full((240, 320, 3), 90, np.uint8))
    assert ok
    desk = StubDeskSession(fps=2.0)
    server = FrameServer().start()  # the default factory (exercises) must not be used for this session

    async def stream() -> list[dict]:
        out = []
        async with connect(server.url(server.register(desk)), origin="http://127.0.0.1:8501") as ws:
            for i in range(6):
                await ws.send(encode_frame(i, 250.0 * i, buf.tobytes()))  # 4 frames a second
                out.append(json.loads(await ws.recv()))
            await ws.send(json.dumps({"type": "stop"}))
        return out

    try:
        answers = asyncio.run(asyncio.wait_for(stream(), 30))
    finally:
        server.stop()
    assert answers == [{"type": "ack", "seq": i} for i in range(6)]
    assert desk.processor.estimator.calls == 3  # 1.5 s at 2 frames a second: t = 0, 0.5, 1.0
    assert desk.last is not None and desk.last.posture == "upright"
