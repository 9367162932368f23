"""The desk-posture page's logic, without Streamlit: the long-lived session, the per-frame work, the readout.

- :class:`DeskSession` outlives Streamlit's reruns (one per browser session, behind a lock): it holds the
  :class:`~formcheck.core.desk.DeskMonitor`, takes the page's requests (calibrate, language, frame rate) and
  keeps what the page shows and says. :meth:`DeskSession.step` is the per-frame work after the pose model:
  throttled to the page's frame rate (2-5 a second), measures in, state out.
- :class:`DeskProcessor` is what the frame server (:mod:`formcheck.webapp.frameserver`) runs for a desk
  session: pose model (the lite one) -> :func:`formcheck.core.posture.measure` -> :meth:`DeskSession.step`.
  It answers each frame with a bare acknowledgement: the page draws nothing over the video.
- :func:`readout` and :func:`speech` turn a state into the page's words (Dutch or English).

The time is the frame's own time (seconds since the stream started), never the wall clock, so the monitor
is the same causal object as offline (:mod:`formcheck.analysis.posture`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from formcheck.core.desk import DeskMonitor, DeskState
from formcheck.core.messages import message
from formcheck.core.posture import frame_measures, measure
from formcheck.core.posture_template import MonitorTemplate, load_monitor, reminder_text

#: Frame rates the page offers (frames analysed a second): low, to leave the laptop usable for hours.
FPS_CHOICES: tuple[float, ...] = (2.0, 3.0, 5.0)
DEFAULT_FPS = 3.0
#: The pose model the page uses (the light one: a posture needs no fine detail).
MODEL = "lite"
#: Frames are made this wide before the pose model (pixels; a webcam's 1280 is more than needed).
POSE_WIDTH = 480
#: Reminders kept for the page to show and speak.
KEEP_REMINDERS = 20


@dataclass(frozen=True)
class Spoken:
    """A reminder to show and speak: ``id`` is unique within the session (the speech script skips repeats)."""

    id: str
    text: str
    lang: str


class DeskSession:
    """One browser session's desk monitor (thread-safe; lives in ``st.session_state``).

    Args:
        template: the monitor template (default: the built-in ``desk_posture``).
        lang: ``nl`` or ``en``.
        fps: frames analysed a second.
    """

    def __init__(self, template: MonitorTemplate | None = None, lang: str = "en", fps: float = DEFAULT_FPS):
        self.template = template if template is not None else load_monitor("desk_posture")
        self.lock = threading.Lock()
        self.lang = lang
        self.fps = fps
        self.monitor = DeskMonitor(self.template.limits, self.template.timing)
        self.last: DeskState | None = None
        self.reminders: list[Spoken] = []
        self.frames = 0
        self.people = 0
        self._want_calibration = False
        self._next_t: float | None = None

    def settings(self, lang: str, fps: float) -> None:
        """The page's language and frame rate (applied from the next frame)."""
        with self.lock:
            self.lang, self.fps = lang, float(fps)

    def request_calibration(self) -> None:
        """Calibrate from the next frame on ("sit upright for 3 seconds")."""
        with self.lock:
            self._want_calibration = True

    def due(self, t_s: float) -> bool:
        """Whether a frame taken at ``t_s`` (s) should be analysed at the page's frame rate."""
        with self.lock:
            return self._due(t_s)

    def _due(self, t_s: float) -> bool:
        return self._next_t is None or t_s >= self._next_t - 1e-6

    def step(self, t_s: float, measures: dict[str, float], people: int = 1) -> DeskState:
        """Feed one analysed frame (its time in seconds, its posture measures and the people the pose model
        saw) to the monitor."""
        with self.lock:
            self.people = people
            if self._due(t_s):
                step = 1.0 / self.fps
                self._next_t = t_s + step if self._next_t is None else self._next_t + step
                if self._next_t <= t_s:  # frames came late: do not try to catch up
                    self._next_t = t_s + step
            if self._want_calibration:
                self._want_calibration = False
                self.monitor.calibrate(t_s)
            state = self.monitor.update(t_s, measures)
            self.frames += 1
            self.last = state
            if state.reminder is not None:
                r = state.reminder
                text = reminder_text(self.template, r.code, self.lang)
                self.reminders = [*self.reminders, Spoken(f"desk-{r.t_s:.3f}-{r.code}", text, self.lang)]
                self.reminders = self.reminders[-KEEP_REMINDERS:]
            return state

    def make_processor(self) -> DeskProcessor:
        """The frame server's processor for this session (called on its worker thread)."""
        return DeskProcessor(self)

    def snapshot(self) -> tuple[DeskState | None, list[Spoken], list[tuple[float, float]], int]:
        """What the page shows: the last state, the reminders so far, the score per bin, the people seen."""
        with self.lock:
            return self.last, list(self.reminders), self.monitor.score_timeline(), self.people


@dataclass(frozen=True)
class DeskReadout:
    """The page's words for one state.

    Attributes:
        posture: the posture in words.
        kind: ``good`` (upright), ``note`` (any other posture) or ``away`` (nobody in view / not started).
        score: the posture score, e.g. ``"82 / 100"`` (``"-"`` before any sitting time).
        sitting: the sitting time since the last break, e.g. ``"12 min"``.
        status: the calibration's state in words.
        warning: a set-up problem in words (nobody or more than one person in view), or empty.
    """

    posture: str
    kind: str
    score: str
    sitting: str
    status: str
    warning: str = ""


def readout(state: DeskState | None, template: MonitorTemplate, lang: str, people: int = 1) -> DeskReadout:
    """The words of the page for ``state`` (None: nothing analysed yet), with ``people`` seen in the last
    frame."""
    if state is None:
        return DeskReadout("-", "away", "-", "-", message("desk_not_calibrated", lang))
    if state.calibrating:
        status = message("desk_calibrating", lang).format(seconds=math.ceil(state.calibration_left_s))
    elif state.calibration_failed:
        status = message("desk_calibration_failed", lang)
    elif state.calibrated:
        status = message("desk_calibrated", lang)
    else:
        status = message("desk_not_calibrated", lang)
    kind = "good" if state.posture == "upright" else "away" if state.posture == "away" else "note"
    score = "-" if math.isnan(state.score) else f"{state.score:.0f} / 100"
    return DeskReadout(
        posture=message(f"posture_{state.posture}", lang),
        kind=kind,
        score=score,
        sitting=f"{state.sitting_s / 60:.0f} min",
        status=status,
        warning=message("multiple_people", lang)
        if people >= 2
        else message("no_person", lang)
        if kind == "away"
        else "",
    )


def speech(reminders: list[Spoken]) -> list[tuple[str, str, str]]:
    """``(id, text, lang)`` items for :func:`formcheck.webapp.markup.speech_html`."""
    return [(r.id, r.text, r.lang) for r in reminders]


class DeskProcessor:
    """The frame server's processor for a :class:`DeskSession`: one landmarker, frames at the page's rate.

    Args:
        session: the page's desk session.
        clock: monotonic clock in seconds (for frames without a time of their own).
        estimator: a pose estimator to use (tests and the benchmark); the lite model by default.
    """

    def __init__(
        self, session: DeskSession, clock: Callable[[], float] = time.monotonic, estimator: Any = None
    ) -> None:
        self.session = session
        self.clock = clock
        if estimator is None:
            from formcheck.pose.landmarker import PoseEstimator

            estimator = PoseEstimator(MODEL, with_mask=False)
        self.estimator = estimator
        self._t0: float | None = None
        self.people = 0
        self._last = -1.0
        self._closed = False
        self._lock = threading.Lock()

    def process_image(
        self, bgr: np.ndarray, frame_time_s: float | None, dropped: int = 0, draw: bool = False
    ) -> DeskState | None:
        """Analyse one BGR frame taken at ``frame_time_s`` (sender's clock, s) if it is due at the page's
        frame rate (a frame not yet due gives the last state again); None after :meth:`on_ended`."""
        with self._lock:
            if self._closed:
                return None
            t = (
                float(frame_time_s)
                if frame_time_s is not None and math.isfinite(frame_time_s)
                else self.clock()
            )
            self._t0 = t if self._t0 is None else self._t0
            t_s = max(t - self._t0, self._last + 1e-3)
            self._last = t_s
            if not self.session.due(t_s):  # not yet due at the page's rate: acknowledged, not analysed
                return self.session.last
            return self.session.step(t_s, self.measures(bgr, t_s), self.people)

    def measures(self, bgr: np.ndarray, t_s: float) -> dict[str, float]:
        """The posture measures of one BGR frame (the pose model on a frame at most :data:`POSE_WIDTH`
        wide)."""
        h, w = bgr.shape[:2]
        if w > POSE_WIDTH:
            bgr = cv2.resize(
                bgr, (POSE_WIDTH, max(1, round(h * POSE_WIDTH / w))), interpolation=cv2.INTER_AREA
            )
        pf = self.estimator.detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), round(t_s * 1000))
        self.people = int(pf.n_people)
        return frame_measures(measure(pf.landmarks[None], pf.world[None], (w, h)), 0)

    def overlay(self, result: Any, seq: int, first: bool = False) -> dict[str, Any]:
        """The answer to a frame: an acknowledgement only (the page draws nothing over the video)."""
        return {"type": "ack", "seq": int(seq)}

    def on_ended(self) -> None:
        """The stream stopped: close the landmarker (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            close = getattr(self.estimator, "close", None)
            if close is not None:
                close()
