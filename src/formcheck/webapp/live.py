"""The live video path: frames -> pose -> :class:`LivePipeline` -> overlay, and the state the page shares.

Transports: the page's camera component sends frames over a websocket on 127.0.0.1
(:mod:`formcheck.webapp.frameserver`), whose per-connection worker thread calls
:meth:`LiveProcessor.process_image` with the newest frame only (late frames are dropped, never queued) and
answers with the landmarks and state so that the page draws the overlay itself. (WebRTC, the page's earlier
transport, is gone: it needs a network interface other than loopback; ``bench/bench_transport.py`` still
measures it through a small adapter.) The processor publishes one :class:`LiveUpdate` per processed frame on
:attr:`CoachSession.updates` (a bounded queue the page polls) and keeps the session's results in the
:class:`CoachSession` (behind its lock).
A finished rep is committed to the :class:`~formcheck.store.history.SessionStore` before it is published (so a
``kill -9`` never loses a counted rep); the whole record is saved after every rep and when the stream ends,
in a background thread so a slow disk never stalls the video.

Saving: a save request takes a snapshot of the record *when it is made* (under the lock; cheap, because rows
never change once added, so only the lists are copied) and a single saver thread writes the snapshots in
the order they were requested (serialising them off the video thread). Later changes (a new exercise
mid-stream replacing the record, a pain score) can therefore never be lost or overwritten by an older save.

The pose model: ``auto`` starts with ``full`` and measures the pose time of the first frames; when the
machine is too slow to keep :data:`TARGET_FPS` with it, it switches to ``lite`` and remembers that for the
rest of the process (later sessions start with ``lite`` at once).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import queue
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import cv2
import numpy as np

from formcheck.analysis.analyze import brightness_of
from formcheck.analysis.teach import load_reference
from formcheck.core.back import low_back_hollow
from formcheck.core.engine import EngineState, RepRecord, with_hold_target
from formcheck.core.landmarks import Side
from formcheck.core.teach import DemoMatcher
from formcheck.core.templates import Template, Text, load_template
from formcheck.pose.landmarker import PoseEstimator, model_path
from formcheck.pose.pipeline import LivePipeline
from formcheck.store.history import (
    SessionRecord,
    SessionStore,
    StoreError,
    new_session_id,
    now_iso,
    rep_to_dict,
)

log = logging.getLogger(__name__)

MODES: tuple[str, ...] = ("coach", "demo")
MODEL_CHOICES: tuple[str, ...] = ("auto", "lite", "full")
#: The processed frame rate the automatic model choice aims for.
TARGET_FPS = 25.0
#: ``auto`` keeps the full model only if the median time to process one frame with it (pose, features,
#: engine, overlay) is at most this share of the frame budget ``1000 / TARGET_FPS`` ms: the rest of the
#: machine's time goes to decoding and encoding the video and to the browser, on the same cores.
FULL_MODEL_BUDGET_SHARE = 0.6
FULL_MODEL_BUDGET_MS = FULL_MODEL_BUDGET_SHARE * 1000.0 / TARGET_FPS
#: Frames wider than this are shrunk (aspect kept) before pose estimation, so a 720p or 1080p webcam costs
#: no more than 640x480 (the landmark model works on a 256x256 crop anyway). At 640x480 the frame goes in
#: as it is, exactly as in offline analysis: shrinking it further to 320 px measured no faster on an idle
#: machine (pose 22.0 vs 21.7 ms median, bench/bench_live.py --model full).
POSE_WIDTH = 640
#: Frames ignored (model warm-up) and then measured before ``auto`` decides.
PROBE_WARMUP = 5
PROBE_FRAMES = 20
#: Bound of the update queue; when the page does not poll, the oldest updates are dropped.
QUEUE_SIZE = 256
#: The key-angle series for the summary chart is sampled this often (s).
SERIES_EVERY_S = 0.1
#: Seconds of annotated video kept in memory for the slow-motion replay (demo mode only).
REPLAY_SECONDS = 10.0
REPLAY_MAX_FRAMES = 360
REPLAY_PAD_S = 0.4
JPEG_QUALITY = 70
#: Features every update carries (the template's display features are added).
GAUGE_FEATURES: tuple[str, ...] = ("knee_flexion", "trunk_incline")
#: Timing samples :class:`LiveStats` keeps (the most recent; about five minutes at 30 fps).
STATS_KEEP = 9000
#: How long the page waits for a save it asked for (s).
SAVE_WAIT_S = 30.0

_AUTO_LOCK = threading.Lock()
#: Process-wide decision of the ``auto`` model choice, by ``with_mask``.
_AUTO_DECISION: dict[bool, str] = {}


@cache
def model_file(name: str) -> str:
    """The model bundle's path, resolved once per process (the OS keeps the bytes cached)."""
    return str(model_path(name))


def auto_decision(with_mask: bool) -> str | None:
    """The model ``auto`` settled on in this process (None: not measured yet)."""
    with _AUTO_LOCK:
        return _AUTO_DECISION.get(with_mask)


def _set_auto_decision(with_mask: bool, model: str) -> None:
    with _AUTO_LOCK:
        _AUTO_DECISION[with_mask] = model


def reset_auto_decision() -> None:
    """Forget the ``auto`` model decision (tests, benchmarks)."""
    with _AUTO_LOCK:
        _AUTO_DECISION.clear()


@dataclass(frozen=True)
class LiveSettings:
    """What the page asks the video thread to do (read once per frame).

    Attributes:
        exercise: template name.
        lang: ``nl`` or ``en`` (overlay texts).
        mode: ``coach`` (patient) or ``demo`` (physio lifting demonstration: keeps a replay buffer).
        model: ``auto``, ``lite`` or ``full``.
        hold_s: ``(least, most)`` seconds to hold instead of the template's (a programme's set), or None.
    """

    exercise: str
    lang: str = "nl"
    mode: str = "coach"
    model: str = "auto"
    hold_s: tuple[float, float] | None = None


def session_template(settings: LiveSettings) -> Template:
    """The exercise ``settings`` ask for, with the hold target they set (raises ``TemplateError``)."""
    return with_hold_target(load_template(settings.exercise), settings.hold_s)


@dataclass(frozen=True)
class LiveUpdate:
    """What the page needs after one processed frame.

    Attributes:
        seq: running number of the update within the browser session.
        session_id: the session record the frame belongs to.
        t_s: frame time since the stream started (s).
        wall: ``time.monotonic()`` when the update was ready.
        exercise: template name.
        reps / counting / phase / hold_s / hold_target_s / issues: from the :class:`EngineState`.
        cue: code and text of the cue on screen, or None.
        new_cue: code and text of a cue first given in this frame (to speak), or None.
        new_rep: the rep finished in this frame, or None.
        feats: display and gauge feature values.
        fps: processed frames per second (recent).
        input_fps: frames per second arriving from the browser (recent).
        dropped: frames dropped so far (arrived while a frame was being processed).
        model: pose model in use.
        latency_ms: from the frame's arrival to this update.
        error: a message code when processing failed for this frame, else None.
        side: the leg whose hold or rep is in progress (per-leg templates), else None.
        leg_reps: finished reps by leg (per-leg templates), else None.
    """

    seq: int
    session_id: str
    t_s: float
    wall: float
    exercise: str
    reps: int
    counting: bool
    phase: str | None
    hold_s: float
    hold_target_s: float
    issues: tuple[str, ...]
    cue: tuple[str, Text] | None
    new_cue: tuple[str, Text] | None
    new_rep: RepRecord | None
    feats: dict[str, float]
    fps: float
    input_fps: float
    dropped: int
    model: str
    latency_ms: float
    error: str | None = None
    side: str | None = None
    leg_reps: dict[str, int] | None = None


@dataclass(frozen=True)
class LiftClip:
    """The annotated frames of one lift, for the slow-motion replay (in memory only).

    Attributes:
        rep: the lift's :class:`RepRecord`.
        frames: JPEG-encoded annotated frames, in order.
        fps: the rate at which the frames were processed (real-time playback speed).
    """

    rep: RepRecord
    frames: tuple[bytes, ...]
    fps: float


@dataclass(frozen=True)
class FrameResult:
    """One processed frame, as the websocket transport needs it to draw the page's overlay.

    Attributes:
        update: the :class:`LiveUpdate` published for the frame.
        state: the engine's state after the frame (None when processing failed).
        landmarks: ``(33, 4)`` smoothed landmarks (x, y normalised 0..1, z, visibility), or None.
        side: the body side facing the camera.
        template: the exercise in use.
        lang: the overlay language.
        size: ``(width, height)`` of the frame in pixels.
    """

    update: LiveUpdate
    state: EngineState | None
    landmarks: np.ndarray | None
    side: Side
    template: Template
    lang: str
    size: tuple[int, int]


class FrameRing:
    """The last :data:`REPLAY_SECONDS` of annotated frames, JPEG-encoded, bounded in time and count."""

    def __init__(self, seconds: float = REPLAY_SECONDS, max_frames: int = REPLAY_MAX_FRAMES) -> None:
        self.seconds = seconds
        self._frames: deque[tuple[float, bytes]] = deque(maxlen=max_frames)

    def __len__(self) -> int:
        return len(self._frames)

    def add(self, t_s: float, bgr: np.ndarray) -> None:
        """Encode and keep one frame; drops frames older than the window."""
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            return
        self._frames.append((t_s, buf.tobytes()))
        while self._frames and t_s - self._frames[0][0] > self.seconds:
            self._frames.popleft()

    def clip(self, start_s: float, end_s: float) -> list[bytes]:
        """The frames with ``start_s <= t <= end_s``."""
        return [jpg for t, jpg in self._frames if start_s <= t <= end_s]


class RateMeter:
    """Frames per second over the last ``window`` events."""

    def __init__(self, window: int = 30) -> None:
        self._t: deque[float] = deque(maxlen=window)

    def tick(self, wall: float) -> None:
        """Record one event at ``wall`` seconds."""
        self._t.append(wall)

    @property
    def fps(self) -> float:
        """Recent events per second (0 with fewer than two events)."""
        if len(self._t) < 2 or self._t[-1] <= self._t[0]:
            return 0.0
        return (len(self._t) - 1) / (self._t[-1] - self._t[0])


class CoachSession:
    """Everything of one browser session that must outlive a Streamlit rerun (in ``st.session_state``).

    The page and the video thread share it; every field that both touch is read and written under
    :attr:`lock`. Results are saved to ``store`` (if any) after every rep and when the stream ends.

    Args:
        settings: the initial :class:`LiveSettings`.
        store: where sessions are saved, or None to keep them in memory only.
    """

    def __init__(self, settings: LiveSettings, store: SessionStore | None = None) -> None:
        self.lock = threading.RLock()
        self.updates: queue.Queue[LiveUpdate] = queue.Queue(maxsize=QUEUE_SIZE)
        self.store = store
        self._settings = settings
        self.record: SessionRecord | None = None
        self.live = False
        self.last_frame_wall = 0.0
        self.save_error: str | None = None
        self.model_note: str | None = None
        self.model_in_use = ""
        self.last_lift: LiftClip | None = None
        self.pain_before: int | None = None
        #: Called with a snapshot of the record after each finished rep is committed (video thread), or None.
        self.on_rep: Callable[[SessionRecord], None] | None = None
        self._seq = 0
        self._series_next = 0.0
        self._saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="formcheck-save")

    # ------------------------------------------------------------------ settings (page -> video thread)

    @property
    def settings(self) -> LiveSettings:
        """The current settings."""
        with self.lock:
            return self._settings

    def update_settings(self, settings: LiveSettings) -> None:
        """Replace the settings (the video thread picks them up with its next frame)."""
        with self.lock:
            self._settings = settings

    # ------------------------------------------------------------------ session life (video thread)

    def begin(self, template: Template, mode: str, lang: str, model: str) -> SessionRecord:
        """Start a new session record (a new START, or a new exercise mid-stream).

        A record that is still open (its stream never reported its end) is closed and saved first.
        """
        with self.lock:
            if self.record is not None and self.live:
                self.record.ended_at = now_iso()
                self._submit(self._copy(self.record))
            self.record = SessionRecord(
                id=new_session_id(),
                started_at=now_iso(),
                exercise=template.name,
                mode=mode,
                lang=lang,
                model=model,
                pain_before=self.pain_before,
                series_features=list(template.display),
            )
            self.live = True
            self.last_frame_wall = time.monotonic()
            self.last_lift = None
            self._series_next = 0.0
            return self.record

    def on_state(
        self,
        state: EngineState,
        feats: dict[str, float],
        names: Sequence[str],
        demo: dict[str, Any] | None = None,
    ) -> None:
        """Fold one frame's engine state into the record (``demo``: a finished rep's comparison with the
        demonstration of a taught exercise, kept with the rep).

        A finished rep is committed to the store *before* this returns (:meth:`SessionStore.add_rep`: one
        small row, a few ms), so a rep the page has counted survives even a ``kill -9`` of the app; the
        rest of the record (chart series, cues) follows in a background save.
        """
        with self.lock:
            rec = self.record
            if rec is None:
                return
            self.last_frame_wall = time.monotonic()
            if state.new_cue is not None:
                rec.cues.append([round(state.t_s, 3), state.new_cue.code])
            if state.t_s >= self._series_next:
                self._series_next = state.t_s + SERIES_EVERY_S
                rec.series.append([round(state.t_s, 2), *(_round(feats.get(n, math.nan)) for n in names)])
            if state.new_rep is None:
                return
            rec.reps.append(rep_to_dict(state.new_rep) | ({"demo": demo} if demo else {}))
            snap = self._copy(rec)
        self._commit_rep(snap)
        self._submit(snap)

    def add_rep(self, rep: RepRecord) -> None:
        """Fold a rep completed by the end of the stream (:meth:`LivePipeline.finish`) into the record,
        committed like any other rep."""
        with self.lock:
            rec = self.record
            if rec is None:
                return
            rec.reps.append(rep_to_dict(rep))
            snap = self._copy(rec)
        self._commit_rep(snap)
        self._submit(snap)

    def _commit_rep(self, snap: SessionRecord) -> None:
        """Write the last rep of ``snap`` now (in the calling thread); a failure is kept for the page.

        Then :attr:`on_rep` (if set) is called with ``snap``, in the same thread, so that what follows a rep
        (a programme set's count) is written as soon as the rep itself.
        """
        if self.store is not None:
            try:
                self.store.add_rep(snap)
            except StoreError as e:
                log.warning("saving a rep failed: %s", e)
                with self.lock:
                    self.save_error = str(e)
        hook = self.on_rep
        if hook is not None:
            try:
                hook(snap)
            except Exception:  # a listener's failure must never stop the video
                log.exception("the rep listener failed")

    def note(self, text: str) -> None:
        """Add a note to the live record (e.g. a camera problem)."""
        with self.lock:
            if self.record is not None and text not in self.record.notes:
                self.record.notes.append(text)

    def end(self) -> None:
        """The stream stopped: close the record and save it (idempotent)."""
        with self.lock:
            if self.record is None or not self.live:
                return
            self.live = False
            self.record.ended_at = now_iso()
            self._submit(self._copy(self.record))

    def set_pain_after(self, value: int) -> str | None:
        """Store the pain score after the session on the last record and save it, after every save asked
        for before (waits for it); returns an error text or None."""
        with self.lock:
            if self.record is None:
                return None
            self.record.pain_after = int(value)
            fut = self._submit(self._copy(self.record))
        return self._wait(fut)

    # ------------------------------------------------------------------ saving

    def reps_copy(self) -> list[dict[str, Any]]:
        """The current record's reps (a shallow copy; cheap enough to poll)."""
        with self.lock:
            return list(self.record.reps) if self.record is not None else []

    @staticmethod
    def _copy(rec: SessionRecord) -> SessionRecord:
        """A private copy of ``rec``: new lists, shared rows (a row never changes once it is added)."""
        return dataclasses.replace(
            rec,
            reps=list(rec.reps),
            series=list(rec.series),
            series_features=list(rec.series_features),
            cues=list(rec.cues),
            notes=list(rec.notes),
        )

    def snapshot(self) -> SessionRecord | None:
        """A private copy of the current record (safe to read without the lock; do not mutate its rows)."""
        with self.lock:
            return self._copy(self.record) if self.record is not None else None

    def _save(self, rec: SessionRecord) -> str | None:
        """Write ``rec`` (in the saver thread); returns an error text or None."""
        assert self.store is not None
        try:
            self.store.save(rec)
        except StoreError as e:
            err = str(e)
        except Exception as e:  # never let a save kill the saver silently
            log.exception("saving session %s failed", rec.id)
            err = f"{type(e).__name__}: {e}"
        else:
            err = None
        with self.lock:
            self.save_error = err
        return err

    def _submit(self, rec: SessionRecord) -> Future[str | None] | None:
        """Queue ``rec`` (a snapshot) for saving after every earlier request; None without a store."""
        if self.store is None:
            return None
        try:
            return self._saver.submit(self._save, rec)
        except RuntimeError:  # executor shut down at interpreter exit
            done: Future[str | None] = Future()
            done.set_result(self._save(rec))
            return done

    def _wait(self, fut: Future[str | None] | None) -> str | None:
        if fut is None:
            return None
        try:
            return fut.result(timeout=SAVE_WAIT_S)
        except FutureTimeout:
            return f"saving took longer than {SAVE_WAIT_S:.0f} s; it goes on in the background"

    def save_now(self) -> str | None:
        """Save the current record after every earlier request and wait; returns an error text or None."""
        with self.lock:
            fut = self._submit(self._copy(self.record)) if self.record is not None else None
        return self._wait(fut)

    def save_async(self) -> None:
        """Save the current record as it is now, in the background (in order; never blocks the video)."""
        with self.lock:
            if self.record is not None:
                self._submit(self._copy(self.record))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every background save so far has finished."""
        try:
            self._saver.submit(lambda: None).result(timeout=timeout)
        except Exception:
            log.warning("waiting for background saves failed", exc_info=True)

    # ------------------------------------------------------------------ updates (video thread -> page)

    def next_seq(self) -> int:
        """A new update number."""
        with self.lock:
            self._seq += 1
            return self._seq

    def publish(self, update: LiveUpdate) -> None:
        """Put an update on the queue; when it is full the oldest update is dropped."""
        while True:
            try:
                self.updates.put_nowait(update)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self.updates.get_nowait()

    def drain(self) -> list[LiveUpdate]:
        """Every update waiting on the queue, oldest first."""
        out: list[LiveUpdate] = []
        while True:
            try:
                out.append(self.updates.get_nowait())
            except queue.Empty:
                return out


def _round(x: float) -> float:
    return round(float(x), 2) if x is not None and math.isfinite(float(x)) else math.nan


@dataclass
class LiveStats:
    """Running figures of one processor (for the page and the benchmark)."""

    processed: int = 0
    dropped: int = 0
    errors: int = 0
    latency_ms: deque[float] = field(default_factory=lambda: deque(maxlen=STATS_KEEP))
    cue_latency_ms: deque[float] = field(default_factory=lambda: deque(maxlen=STATS_KEEP))
    pose_ms: deque[float] = field(default_factory=lambda: deque(maxlen=STATS_KEEP))

    def summary(self) -> dict[str, Any]:
        """Medians and 95th percentiles of the recent samples, JSON-ready."""

        def pct(v: deque[float], q: float) -> float | None:
            return round(float(np.percentile(np.fromiter(v, float), q)), 1) if v else None

        return {
            "processed": self.processed,
            "dropped": self.dropped,
            "errors": self.errors,
            "latency_ms_median": pct(self.latency_ms, 50),
            "latency_ms_p95": pct(self.latency_ms, 95),
            "cue_latency_ms_median": pct(self.cue_latency_ms, 50),
            "cue_latency_ms_max": round(max(self.cue_latency_ms), 1) if self.cue_latency_ms else None,
            "pose_ms_median": pct(self.pose_ms, 50),
        }


Overlay = Callable[..., np.ndarray]


def _default_overlay() -> Overlay | None:
    try:
        from formcheck.draw.overlay import draw_overlay
    except ImportError:  # the drawing package not there: the plain video goes back
        log.warning("formcheck.draw.overlay is not available; no overlay is drawn")
        return None
    return draw_overlay


def _default_back() -> Callable[[np.ndarray, np.ndarray, Side], float] | None:
    try:
        from formcheck.core.back import back_curvature
    except ImportError:
        log.warning("formcheck.core.back is not available; back curvature is not measured")
        return None
    return back_curvature


class LiveProcessor:
    """One browser session's video processor: one landmarker, one :class:`LivePipeline`.

    Created by the frame server when a page's camera connects; :meth:`on_ended` closes the landmarker and the
    session record when it stops.

    Args:
        session: the shared :class:`CoachSession`.
        clock: monotonic clock in seconds (tests and the benchmark may pass their own).
    """

    def __init__(self, session: CoachSession, clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.clock = clock
        self.stats = LiveStats()
        self._rate = RateMeter()
        self._in_rate = RateMeter(window=60)
        self._overlay = _default_overlay()
        self._back = _default_back()
        self._estimator: PoseEstimator | None = None
        self._probe: list[float] | None = None
        self._t0: float | None = None
        self._last_t = -1.0
        self._offset: float | None = None
        self._ring = FrameRing()
        self._closed = False
        self._lock = threading.Lock()
        self._start(session.settings)

    # ------------------------------------------------------------------ set-up

    def _start(self, settings: LiveSettings) -> None:
        self.settings = settings
        self.template = session_template(settings)
        self.pipeline = LivePipeline(self.template, require_setup=True)
        self._names = list(dict.fromkeys([*self.template.display, *GAUGE_FEATURES]))
        with_mask = self.template.needs_mask
        model = settings.model
        self._probe = None
        if model not in ("lite", "full"):
            model = auto_decision(with_mask) or "full"
            if auto_decision(with_mask) is None:
                self._probe = []
        if (
            self._estimator is None
            or self._estimator.model != model
            or self._estimator.with_mask != with_mask
        ):
            self._open(model, with_mask)
        self.session.model_in_use = model
        self.session.begin(self.template, settings.mode, settings.lang, model)
        self._ring = FrameRing()
        ref = load_reference(self.template)  # a taught exercise: each rep against the demonstration
        self._demo = None if ref is None else DemoMatcher(ref, self.template.count.max_s + 5.0)

    def _open(self, model: str, with_mask: bool) -> None:
        if self._estimator is not None:
            self._estimator.close()
        model_file(model)  # resolve (and fail) early, once per process
        self._estimator = PoseEstimator(model, with_mask=with_mask)

    @property
    def model(self) -> str:
        """The pose model in use."""
        return self._estimator.model if self._estimator is not None else ""

    # ------------------------------------------------------------------ transport entry points

    def _tick_time(self, ft: float | None) -> None:
        self._in_rate.tick(float(ft) if ft is not None and math.isfinite(ft) else self.clock())

    def on_ended(self) -> None:
        """The stream stopped: close the landmarker and the session (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._finish_pipeline()
            if self._estimator is not None:
                self._estimator.close()
        self.session.end()

    def _finish_pipeline(self) -> None:
        """The stream of this exercise ended: reps only the end settles (a cat-cow that ends in a posture)
        are counted, as the offline analysis does at a video's last frame. Call with ``_lock`` held."""
        try:
            for rep in self.pipeline.finish():
                self.session.add_rep(rep)
        except Exception:
            log.exception("closing the exercise's pipeline failed")

    # ------------------------------------------------------------------ per frame

    def _frame_time(self, ft: float | None, wall: float) -> tuple[float, float]:
        """``(t_s since the stream started, estimated arrival wall time)`` of a frame taken at ``ft``
        seconds on the sender's clock (None: unknown); t_s is strictly increasing."""
        t = float(ft) if ft is not None and math.isfinite(ft) else wall
        if self._t0 is None:
            self._t0 = t
        # The fastest-ever delivery defines the arrival clock: arrival = frame time + min(wall - frame time).
        off = wall - t
        self._offset = off if self._offset is None else min(self._offset, off)
        t_s = t - self._t0
        if t_s <= self._last_t:
            t_s = self._last_t + 1e-3
        self._last_t = t_s
        return t_s, t + self._offset

    def process_image(
        self, bgr: np.ndarray, frame_time_s: float | None, dropped: int = 0, draw: bool = False
    ) -> FrameResult | None:
        """Analyse one ``(H, W, 3)`` uint8 BGR frame taken at ``frame_time_s`` (sender's clock, seconds);
        never raises. The overlay is drawn into ``bgr`` only with ``draw`` (the websocket page draws its own).

        Returns:
            what the page needs to draw this frame's overlay, or None after :meth:`on_ended`.
        """
        with self._lock:
            if self._closed:
                return None
            return self._step(bgr, frame_time_s, dropped, draw)

    def _step(self, bgr: np.ndarray, frame_time_s: float | None, dropped: int, draw: bool) -> FrameResult:
        wall = self.clock()
        self._tick_time(frame_time_s)
        self.stats.dropped += dropped
        t_s, arrival = self._frame_time(frame_time_s, wall)
        error = None
        try:
            settings = self.session.settings
            if (settings.exercise, settings.mode, settings.hold_s) != (
                self.settings.exercise,
                self.settings.mode,
                self.settings.hold_s,
            ):
                self._finish_pipeline()
                self.session.end()
                self._start(settings)
            elif settings != self.settings:
                if settings.model != self.settings.model and settings.model in ("lite", "full"):
                    self._probe = None
                    self._open(settings.model, self.template.needs_mask)
                    self.session.model_in_use = settings.model
                self.settings = settings
            state = self._analyse(bgr, t_s, draw)
            self._maybe_switch_model((self.clock() - wall) * 1000.0)
        except Exception:
            log.exception("processing a frame failed")
            self.stats.errors += 1
            state, error = None, "processing_error"
        done = self.clock()
        self._rate.tick(done)
        self.stats.processed += 1
        latency = (done - arrival) * 1000.0
        if self.stats.processed > PROBE_WARMUP:  # the first frames include the model's warm-up
            self.stats.latency_ms.append(latency)
        if state is not None and state.new_cue is not None:
            self.stats.cue_latency_ms.append(latency)
        update = self._publish(state, t_s, done, latency, error)
        h, w = bgr.shape[:2]
        return FrameResult(
            update=update,
            state=state,
            landmarks=self.pipeline.last_landmarks if state is not None else None,
            side=self.pipeline.side,
            template=self.template,
            lang=self.settings.lang,
            size=(w, h),
        )

    def _analyse(self, bgr: np.ndarray, t_s: float, draw: bool = True) -> EngineState:
        assert self._estimator is not None
        h, w = bgr.shape[:2]
        small = bgr
        if w > POSE_WIDTH:
            size = (POSE_WIDTH, max(1, round(h * POSE_WIDTH / w)))
            small = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        t0 = self.clock()
        pf = self._estimator.detect(rgb, round(t_s * 1000))
        self.stats.pose_ms.append((self.clock() - t0) * 1000.0)
        back = (math.nan, math.nan)
        if pf.mask is not None and pf.has_pose and self._back is not None:
            # Only the side believed to face the camera is used by the pipeline: measure that one only.
            side = self.pipeline.side
            value = float(self._back(pf.mask, pf.landmarks, side))
            back = (value, math.nan) if side == Side.LEFT else (math.nan, value)
        low_back = (math.nan, math.nan)
        if pf.mask is not None and pf.has_pose and "low_back_hollow" in self.template.features:
            side = self.pipeline.side
            value = low_back_hollow(pf.mask, pf.landmarks, side)
            low_back = (value, math.nan) if side == Side.LEFT else (math.nan, value)
        state = self.pipeline.step(
            t_s,
            pf.landmarks,
            pf.world,
            (w, h),
            back=back,
            low_back=low_back,
            n_people=pf.n_people,
            brightness=brightness_of(small),
        )
        feats = self.pipeline.last_features
        # the demo replay keeps annotated frames, so they are drawn on even when the page draws its own
        if (draw or self.settings.mode == "demo") and self._overlay is not None:
            try:
                self._overlay(
                    bgr,
                    self.pipeline.last_landmarks,
                    state,
                    self.template,
                    self.settings.lang,
                    feats,
                    self.pipeline.side,
                )
            except Exception:
                log.exception("drawing the overlay failed")
        demo = None
        if self._demo is not None:
            self._demo.add(t_s, feats)
            if state.new_rep is not None:
                match = self._demo.compare(state.new_rep.start_s, state.new_rep.end_s)
                demo = None if match is None else match.to_json(self.settings.lang)
        self.session.on_state(state, feats, self.template.display, demo=demo)
        if self.settings.mode == "demo":
            self._ring.add(t_s, bgr)
            if state.new_rep is not None:
                rep = state.new_rep
                frames = self._ring.clip(rep.start_s - REPLAY_PAD_S, t_s)
                with self.session.lock:
                    self.session.last_lift = LiftClip(
                        rep=rep, frames=tuple(frames), fps=self._rate.fps or 25.0
                    )
        return state

    def _maybe_switch_model(self, frame_ms: float) -> None:
        """``auto``: after the warm-up, measure; fall back to lite when full is too slow for this machine."""
        if self._probe is None:
            return
        self._probe.append(frame_ms)
        if len(self._probe) < PROBE_WARMUP + PROBE_FRAMES:
            return
        median = statistics.median(self._probe[PROBE_WARMUP:])
        self._probe = None
        with_mask = self.template.needs_mask
        if median > FULL_MODEL_BUDGET_MS and self.model == "full":
            log.warning("full model: %.1f ms a frame, over %.0f ms; using lite", median, FULL_MODEL_BUDGET_MS)
            _set_auto_decision(with_mask, "lite")
            self._open("lite", with_mask)
            self.session.model_in_use = "lite"
            self.session.model_note = "model_fell_back"
            with self.session.lock:
                if self.session.record is not None:
                    self.session.record.model = "lite"
        else:
            _set_auto_decision(with_mask, self.model)

    def _publish(
        self, state: EngineState | None, t_s: float, wall: float, latency: float, error: str | None
    ) -> LiveUpdate:
        s = self.session
        rec = s.record
        feats = self.pipeline.last_features
        common = {
            "seq": s.next_seq(),
            "session_id": rec.id if rec else "",
            "t_s": t_s,
            "wall": wall,
            "exercise": self.template.name,
            "fps": self._rate.fps,
            "input_fps": self._in_rate.fps,
            "dropped": self.stats.dropped,
            "model": self.model,
            "latency_ms": latency,
            "error": error,
        }
        if state is None:  # the frame could not be processed: keep the count, say nothing new
            update = LiveUpdate(
                **common,
                reps=len(self.pipeline.engine.reps),
                counting=False,
                phase=None,
                hold_s=0.0,
                hold_target_s=0.0,
                issues=(),
                cue=None,
                new_cue=None,
                new_rep=None,
                feats={},
                leg_reps=self.pipeline.engine.leg_reps(),
            )
        else:
            update = LiveUpdate(
                **common,
                reps=state.reps,
                counting=state.counting,
                phase=state.phase,
                hold_s=state.hold_s,
                hold_target_s=state.hold_target_s,
                issues=state.issues,
                cue=(state.cue.code, state.cue.text) if state.cue is not None else None,
                new_cue=(state.new_cue.code, state.new_cue.text) if state.new_cue is not None else None,
                new_rep=state.new_rep,
                feats={n: float(feats.get(n, math.nan)) for n in self._names},
                side=state.side,
                leg_reps=state.leg_reps,
            )
        s.publish(update)
        return update
