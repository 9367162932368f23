"""Video file -> pose trace -> engine -> result (JSON-ready) and, on request, an annotated MP4.

The pose pass is the only slow step. Long videos are split into contiguous parts processed by separate
worker processes (one landmarker each, VIDEO mode), which uses both cores of a small laptop.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing import connection as mp_connection
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from formcheck.core.engine import MIN_BRIGHTNESS, Engine, EngineState, RepRecord
from formcheck.core.landmarks import Side, facing, has_pose, head_towards
from formcheck.core.messages import message
from formcheck.core.templates import Template
from formcheck.pose.pipeline import (
    MIN_POSE_FPS,
    PoseTrace,
    fill_unposed,
    pose_stride,
    run_engine,
    smooth_landmarks,
    trace_features,
)
from formcheck.pose.video import VideoInfo, probe, read_every, read_frames

#: Videos with at least this many frames are split over worker processes.
PARALLEL_MIN_FRAMES = 300

ProgressFn = Callable[[int], None]
#: Seconds of video between two-person checks in file analysis (live coaching checks every second).
#: Each check costs about 1.6 frames' worth of pose work; people seen are only reported (a note, the
#: set-up state), never counted, so file analysis checks half as often.
OFFLINE_PEOPLE_CHECK_EVERY_S = 2.0
#: A note warns about a second person when one is seen in more than this share of the frames.
MULTIPLE_PEOPLE_SHARE = 0.05


def brightness_of(bgr: np.ndarray) -> float:
    """Mean luma (0..255) of a BGR frame, from a 4x subsampled grid (fast)."""
    small = bgr[::4, ::4]
    return float(small[..., 0].mean() * 0.114 + small[..., 1].mean() * 0.587 + small[..., 2].mean() * 0.299)


@contextlib.contextmanager
def _one_opencv_thread() -> Iterator[None]:
    """OpenCV's own thread pool off for the pose pass (restored after): its colour conversion of a
    640x480 frame costs 0.55 ms of CPU on two threads and 0.28 ms on one, and each pose process already
    keeps a core busy (measured in docs/speed.md)."""
    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


#: Steps of the pose pass whose CPU time :class:`PassStats` keeps apart.
PASS_STEPS: tuple[str, ...] = (
    "model load",
    "first frame",
    "decode",
    "convert",
    "pose",
    "people check",
    "mask + back",
    "brightness",
    "other",
)


@dataclass
class PassStats:
    """Where one process of the pose pass spent its time (the bench reads it; nothing else depends on it).

    Attributes:
        pid: the process.
        frames: frames decoded.
        posed: frames the pose model ran on.
        started: wall-clock time (``time.time()``, s) the part began; comparable across processes.
        first: when the first frame had been posed (landmarkers created, model graph warm).
        ended: when the last frame was done.
        cpu: CPU seconds (user + system, every thread of the process) by step of :data:`PASS_STEPS`.
            ``first frame`` is the first posed frame whole (MediaPipe builds its graph then); ``pose`` is
            the model on the other frames (MediaPipe's own segmentation mask included), ``people check``
            the extra time of the frames that ran the 2-person check over the median plain frame.
    """

    pid: int
    frames: int = 0
    posed: int = 0
    started: float = 0.0
    first: float = 0.0
    ended: float = 0.0
    cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PASS_STEPS, 0.0))

    @property
    def cpu_total(self) -> float:
        """CPU seconds of the whole part (landmarker creation included)."""
        return sum(self.cpu.values())


@dataclass(frozen=True)
class _Job:
    """One part of the pose pass: frames ``start <= i < stop`` of a video (``stop`` None: to the end)."""

    info: VideoInfo
    start: int
    stop: int | None
    model: str
    with_mask: bool
    #: seconds of video between two-person checks (0: none)
    people_every_s: float
    #: the model runs on frames whose index is a multiple of this
    every: int = 1


def _pose_part(job: _Job, progress: Any = None) -> dict[str, Any]:
    """Pose pass over one part (runs in a worker process or inline): the model on frames whose index is a
    multiple of ``job.every`` (the others are only decoded for their timestamps and come back as NaN rows
    with ``posed`` False). The part's :class:`PassStats` comes back under ``"stats"``."""
    from formcheck.core.back import PROFILE_S, back_measures
    from formcheck.pose.landmarker import PoseEstimator, empty_landmarks

    stats = PassStats(pid=os.getpid(), started=time.time())
    cpu = stats.cpu
    clock = time.process_time
    c0 = clock()
    info = job.info
    lms, worlds, backs, profiles, people, bright, times, posed = [], [], [], [], [], [], [], []
    no_profile = np.full((2, PROFILE_S.size), np.nan, dtype=np.float32)
    no_pose = empty_landmarks()
    plain: list[float] = []
    checked: list[float] = []
    pending = 0
    with (
        _one_opencv_thread(),
        PoseEstimator(job.model, with_mask=job.with_mask, people_check_every_s=job.people_every_s) as est,
    ):
        c1 = clock()
        cpu["model load"] += c1 - c0
        frames = read_every(info, job.every, job.start, job.stop)
        while True:
            item = next(frames, None)
            c2 = clock()
            cpu["decode"] += c2 - c1
            if item is None:
                break
            _i, t, bgr = item
            times.append(t)
            stats.frames += 1
            if bgr is None:  # not posed: filled in from the posed frames around it (extract_trace)
                lms.append(no_pose)
                worlds.append(no_pose)
                people.append(0)
                bright.append(math.nan)
                backs.append([math.nan, math.nan])
                profiles.append(no_profile)
                posed.append(False)
                c1 = clock()
                cpu["other"] += c1 - c2
            else:
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                c3 = clock()
                checks = est.people_checks
                pf = est.detect(rgb, round(t * 1000))
                c4 = clock()
                if stats.posed == 0:
                    cpu["first frame"] += c4 - c3
                    stats.first = time.time()
                else:
                    (checked if est.people_checks != checks else plain).append(c4 - c3)
                stats.posed += 1
                posed.append(True)
                lms.append(pf.landmarks)
                worlds.append(pf.world)
                people.append(pf.n_people)
                if pf.mask is not None and pf.has_pose:
                    both = [back_measures(pf.mask, pf.landmarks, s) for s in (Side.LEFT, Side.RIGHT)]
                    backs.append([b for b, _ in both])
                    profiles.append(np.stack([d for _, d in both]).astype(np.float32))
                else:
                    backs.append([math.nan, math.nan])
                    profiles.append(no_profile)
                c5 = clock()
                bright.append(brightness_of(bgr))
                c1 = clock()
                cpu["convert"] += c3 - c2
                cpu["mask + back"] += c5 - c4
                cpu["brightness"] += c1 - c5
            pending += 1
            if progress is not None and pending >= 10:
                progress(pending)
                pending = 0
                c6 = clock()
                cpu["other"] += c6 - c1
                c1 = c6
    if progress is not None and pending:
        progress(pending)
    stats.ended = time.time()
    cpu["model load"] += clock() - c1  # closing the landmarkers
    base = float(np.median(plain)) if plain else 0.0
    cpu["pose"] = sum(plain) + base * len(checked)
    cpu["people check"] = sum(checked) - base * len(checked)
    return {
        "landmarks": np.asarray(lms, dtype=np.float32).reshape(-1, 33, 4),
        "world": np.asarray(worlds, dtype=np.float32).reshape(-1, 33, 4),
        "back": np.asarray(backs, dtype=np.float32).reshape(-1, 2),
        "profile": np.asarray(profiles, dtype=np.float32).reshape(-1, 2, PROFILE_S.size),
        "n_people": np.asarray(people, dtype=np.int32),
        "brightness": np.asarray(bright, dtype=np.float32),
        "t": np.asarray(times, dtype=np.float64),
        "posed": np.asarray(posed, dtype=bool),
        "stats": stats,
    }


class PoseWorkerError(ChildProcessError):
    """A pose worker process died or failed; the message is one line for the user."""


#: Seconds between checks that the worker processes are alive while this process waits for them.
WORKER_POLL_S = 0.2


def _worker_main(conn: Connection, job: _Job) -> None:
    """Worker process: pose pass over one part; sends ``("progress", n)`` messages, then one
    ``("result", part)`` or ``("error", line)``."""
    try:
        part = _pose_part(job, progress=lambda n: conn.send(("progress", n)))
        conn.send(("result", part))
    except (KeyboardInterrupt, BrokenPipeError):  # Ctrl-C or the parent left: stop quietly
        pass
    except Exception as e:  # reported by the parent as one line
        with contextlib.suppress(OSError):
            conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def _death(proc: Any) -> str:
    code = proc.exitcode
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


class _Workers:
    """Worker processes of one pose pass, each with a pipe for its progress and its part."""

    def __init__(
        self,
        ctx: Any,
        jobs: list[_Job],
        progress: ProgressFn | None,
    ) -> None:
        self._progress = progress
        self._procs: list[Any] = []
        self._conns: list[Connection] = []
        self.parts: list[dict[str, Any] | None] = [None] * len(jobs)
        for job in jobs:
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker_main, args=(send, job), daemon=True)
            proc.start()
            send.close()
            self._procs.append(proc)
            self._conns.append(recv)

    def _read(self, i: int) -> None:
        """Handle every message waiting on worker ``i``'s pipe."""
        conn = self._conns[i]
        while self.parts[i] is None:
            try:
                if not conn.poll():
                    return
                kind, value = conn.recv()
            except (EOFError, OSError):
                return  # the worker is gone; check() says how
            if kind == "progress":
                if self._progress is not None:
                    self._progress(value)
            elif kind == "result":
                self.parts[i] = value
            else:
                raise PoseWorkerError(f"a pose worker process failed: {value}")

    def check(self, timeout: float = 0.0) -> bool:
        """Pass on progress and collect finished parts, waiting up to ``timeout`` s; True when all are in.

        Raises:
            PoseWorkerError: a worker process died (killed, out of memory, a crash in native code) or failed.
        """
        pending = [i for i, part in enumerate(self.parts) if part is None]
        if not pending:
            return True
        handles = [self._conns[i] for i in pending] + [self._procs[i].sentinel for i in pending]
        mp_connection.wait(handles, timeout)
        for i in pending:
            self._read(i)
            if self.parts[i] is None and not self._procs[i].is_alive():
                self._read(i)  # a part sent just before exiting is still in the pipe
                if self.parts[i] is None:
                    raise PoseWorkerError(
                        f"a pose worker process stopped unexpectedly ({_death(self._procs[i])}); "
                        "analysis abandoned (if memory is short, try --workers 1)"
                    )
        return all(part is not None for part in self.parts)

    def close(self) -> None:
        """Stop any worker still running and release the pipes."""
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
        for proc in self._procs:
            proc.join(timeout=2.0)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=2.0)
        for conn in self._conns:
            conn.close()


#: Cost of skipping one frame (decoding it without posing it) relative to posing one, for the split.
SKIP_COST = 0.05


def split_bounds(frames: int, parts: int, skip_cost: float = SKIP_COST) -> list[int]:
    """Cut ``frames`` into ``parts`` contiguous parts that take about equally long.

    A part that starts at frame ``b`` must first decode (skip) ``b`` frames, at ``skip_cost`` of the cost
    of posing one, so later parts are a little shorter: part ``j`` costs ``b_j * skip_cost + (b_{j+1} -
    b_j)`` frames' worth of work and every part costs the same.

    Returns:
        ``parts + 1`` increasing frame indices from 0 to ``frames``.
    """
    keep = 1.0 - skip_cost
    weights = np.cumsum([keep**i for i in range(parts)])  # b_j = cost * sum_{i<j} keep^i
    cost = frames / weights[-1]
    inner = [round(cost * float(w)) for w in weights[:-1]]
    return [0, *(min(max(b, 0), frames) for b in inner), frames]


def skip_cost_at(every: int, skip_cost: float = SKIP_COST) -> float:
    """:data:`SKIP_COST` relative to an average frame of a part that poses every ``every``-th frame
    (a part frame then costs ``(1 + (every - 1) * skip_cost) / every`` posed frames)."""
    every = max(1, int(every))
    return skip_cost * every / (1.0 + (every - 1) * skip_cost)


def _context() -> Any:
    """Fork where it is safe (Linux, no landmarker yet in this process: children inherit the imported
    mediapipe for free); spawn elsewhere."""
    from formcheck.pose import landmarker as pose

    pose.import_mediapipe()  # imported once here, inherited by forked children

    if "fork" in mp.get_all_start_methods() and pose.CREATED == 0:
        return mp.get_context("fork")
    return mp.get_context("spawn")


def extract_trace(
    info: VideoInfo,
    model: str = "full",
    *,
    with_mask: bool = False,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    people_check_every_s: float = OFFLINE_PEOPLE_CHECK_EVERY_S,
    pose_every: int = 1,
    stats: list[PassStats] | None = None,
) -> PoseTrace:
    """Run the pose model over a whole video.

    The video is cut into ``workers`` contiguous parts: this process analyses the first, worker processes
    the others, each with its own landmarker (tracking restarts at a cut, which costs one detection).

    Args:
        info: the probed video.
        model: pose model name.
        with_mask: compute the segmentation mask and the back-curvature index from it.
        workers: processes in all (default: 2 for videos of at least ``PARALLEL_MIN_FRAMES``, else 1).
        progress: called with the number of frames just processed.
        people_check_every_s: seconds of video between two-person checks (0: none; ``n_people`` is then
            0 or 1).
        pose_every: run the model on every ``pose_every``-th frame (frame 0 first) and fill the frames in
            between by linear interpolation in time (:func:`formcheck.pose.pipeline.fill_unposed`; people
            counts held from the frame before). 1: every frame.
        stats: when given, each part's :class:`PassStats` is appended to it, in frame order.

    Returns:
        The :class:`PoseTrace`, one row per decoded frame. A part that stops early (undecodable frames)
        ends the trace there, so later frames never shift in time.

    Raises:
        PoseWorkerError: a worker process died or failed (noticed within about ``WORKER_POLL_S``
            seconds while this process waits, or at this process's next progress report while it works).
    """
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if info.frames >= PARALLEL_MIN_FRAMES else 1
    every = max(1, int(pose_every))
    bounds = split_bounds(info.frames, max(workers, 1), skip_cost_at(every))
    jobs = [
        _Job(
            info,
            bounds[i],
            bounds[i + 1] if i < workers - 1 else None,
            model,
            with_mask,
            people_check_every_s,
            every,
        )
        for i in range(max(workers, 1))
    ]
    if workers <= 1:
        parts = [_pose_part(jobs[0], progress)]
    else:
        pool = _Workers(_context(), jobs[1:], progress)
        try:

            def local_progress(n: int) -> None:
                if progress is not None:
                    progress(n)
                pool.check()

            first = _pose_part(jobs[0], local_progress)
            while not pool.check(WORKER_POLL_S):
                pass
        finally:
            pool.close()
        parts = [first, *(p for p in pool.parts if p is not None)]
        for i, part in enumerate(parts[:-1]):
            if len(part["landmarks"]) < bounds[i + 1] - bounds[i]:
                parts = parts[: i + 1]
                break
    if stats is not None:
        stats.extend(p["stats"] for p in parts)
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k != "stats"}
    posed, times = merged["posed"], merged["t"]
    if not posed.all() and posed.any():
        for k in ("landmarks", "world", "back", "profile", "brightness"):
            merged[k] = fill_unposed(merged[k], posed, times)
        frame = np.arange(len(posed))
        merged["n_people"] = merged["n_people"][np.maximum.accumulate(np.where(posed, frame, 0))]
    return PoseTrace(
        landmarks=merged["landmarks"],
        world=merged["world"],
        back=merged["back"],
        profile=merged["profile"],
        n_people=merged["n_people"],
        brightness=merged["brightness"],
        fps=info.fps,
        size=(info.width, info.height),
        t=times,
    )


@dataclass
class Analysis:
    """An analysed video: the engine's verdicts plus what is needed to draw them."""

    template: Template
    lang: str
    trace: PoseTrace
    landmarks: np.ndarray
    side: Side
    features: dict[str, np.ndarray]
    engine: Engine
    states: list[EngineState]
    source: str = ""
    model: str = ""
    notes: list[str] = field(default_factory=list)
    #: the pose model ran on every ``pose_every``-th frame; the frames in between are interpolated
    pose_every: int = 1
    #: where the pose pass spent its time, per process (empty for a trace analysed without the model)
    pass_stats: list[PassStats] = field(default_factory=list)

    @property
    def reps(self) -> list[RepRecord]:
        """The finished reps."""
        return self.engine.reps

    def to_json(self) -> dict[str, Any]:
        """The ``result.json`` document (field names are stable)."""
        tr = self.trace
        frames_with_pose = int(has_pose(tr.landmarks).sum())
        doc: dict[str, Any] = {
            "exercise": self.template.name,
            "source": self.source,
            "model": self.model,
            "lang": self.lang,
            "frames": tr.frames,
            "frames_with_pose": frames_with_pose,
            "fps": round(tr.fps, 3),
            "pose_fps": round(tr.fps / self.pose_every, 3),
            "pose_every_n_frames": self.pose_every,
            "duration_s": round(tr.frames / tr.fps, 3),
            "person_found": frames_with_pose > 0,
            "camera_side": self.side.name.lower(),
            "facing": facing(self.side),
            "head_towards": head_towards(tr.landmarks),
            "reps": len(self.reps),
            "rep_details": [_rep_json(r, self.template) for r in self.reps],
            "in_progress": self.engine.in_progress(),
            "uncounted_holds": list(self.engine.uncounted_holds),
            **({"per_leg": per_leg(self.reps, self.template)} if self.template.legs != (None,) else {}),
            "cues": [
                {"t_s": round(c.t_s, 3), "code": c.code, "text": c.text.get(self.lang)}
                for c in self.engine.cues.history
            ],
            "max_people": int(tr.n_people.max()) if tr.frames else 0,
            "notes": list(self.notes),
        }
        from formcheck.analysis.teach import compare_analysis

        demo = compare_analysis(self)  # a taught exercise: each rep against the demonstration
        if demo is not None:
            for rep, match in zip(doc["rep_details"], demo, strict=True):
                rep["demo"] = match
        if frames_with_pose == 0:
            doc["notes"].append(message("no_person_in_video", self.lang))
        if tr.frames and float(np.mean(tr.n_people >= 2)) > MULTIPLE_PEOPLE_SHARE:
            doc["notes"].append(message("multiple_people_in_video", self.lang))
        if tr.frames and float(np.median(tr.brightness)) < MIN_BRIGHTNESS:
            doc["notes"].append(message("video_too_dark", self.lang))
        return doc


def per_leg(reps: list[RepRecord], template: Template) -> dict[str, dict[str, Any]]:
    """For a per-leg template: ``{leg: {"reps": n, "hold_s": [seconds held per rep]}}`` for both legs."""
    return {
        str(leg): {
            "reps": sum(r.side == leg for r in reps),
            "hold_s": [r.hold_s for r in reps if r.side == leg and r.hold_s is not None],
        }
        for leg in template.legs
    }


def _rep_json(r: RepRecord, template: Template) -> dict[str, Any]:
    d: dict[str, Any] = {
        "index": r.index,
        "start_s": r.start_s,
        "turn_s": r.turn_s,
        "end_s": r.end_s,
        "score": round(r.score, 1),
        "faults": list(r.faults),
        "experimental_faults": list(r.experimental_faults),
        "peaks": r.peaks,
        "rom": {k: list(v) for k, v in r.rom.items()},
        "tempo_s": r.tempo_s,
    }
    if template.hold is not None:
        d["hold_s"] = r.hold_s
    if r.side is not None:
        d["side"] = r.side
    if template.technique is not None:
        d["technique"] = r.technique
        d["reba"] = r.reba
    return d


def analyze_trace(
    trace: PoseTrace, template: Template, lang: str = "en", *, source: str = "", model: str = ""
) -> Analysis:
    """Smooth, compute features and run the engine over a pose trace (no model needed)."""
    smoothed = smooth_landmarks(trace)
    side, feats = trace_features(trace, landmarks=smoothed)
    engine, states = run_engine(template, trace.times, feats, require_setup=False)
    return Analysis(
        template=template,
        lang=lang,
        trace=trace,
        landmarks=smoothed,
        side=side,
        features=feats,
        engine=engine,
        states=states,
        source=source,
        model=model,
    )


def analyze_video(
    path: str | os.PathLike[str],
    template: Template,
    *,
    model: str = "full",
    lang: str = "en",
    workers: int | None = None,
    progress: ProgressFn | None = None,
    min_pose_fps: float = MIN_POSE_FPS,
) -> Analysis:
    """Analyse a video file end to end.

    Args:
        path: the video.
        template: the exercise.
        model: pose model name.
        lang: language of cues and notes.
        workers: pose processes (default: automatic, see :func:`extract_trace`).
        progress: called with the number of frames just processed.
        min_pose_fps: the pose model runs on every :func:`formcheck.pose.pipeline.pose_stride`-th frame,
            at least this many frames a second (30 fps video: every 2nd frame; 0: every frame); the
            frames in between are interpolated. The result says the rate in ``pose_fps``.

    Raises:
        formcheck.pose.video.VideoError: the file is missing, not a video, or has no decodable frame.
    """
    stats: list[PassStats] = []
    trace, note = video_trace(
        path,
        model,
        with_mask=template.needs_mask,
        workers=workers,
        progress=progress,
        min_pose_fps=min_pose_fps,
        stats=stats,
    )
    a = analyze_trace(trace, template, lang, source=str(Path(path).name), model=model)
    a.pose_every, a.pass_stats = pose_stride(trace.fps, min_pose_fps), stats
    if note is not None:
        a.notes.append(note.format(lang))
    return a


@dataclass(frozen=True)
class _Truncated:
    """A note that only part of a video could be decoded."""

    done: int
    total: int

    def format(self, lang: str) -> str:
        return message("video_truncated", lang).format(done=self.done, total=self.total)


def video_trace(
    path: str | os.PathLike[str],
    model: str,
    *,
    with_mask: bool,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    min_pose_fps: float = 0.0,
    stats: list[PassStats] | None = None,
) -> tuple[PoseTrace, _Truncated | None]:
    """The pose trace of a video file (or a picture), and a note when part of it could not be decoded.

    The pose model runs on every :func:`formcheck.pose.pipeline.pose_stride` ``(fps, min_pose_fps)``-th
    frame (default 0: every frame), the frames in between interpolated; each pose process's
    :class:`PassStats` is appended to ``stats`` when given.

    Raises:
        formcheck.pose.video.VideoError: the file is missing, not a video, or has no decodable frame.
    """
    info = probe(path)
    trace = extract_trace(
        info,
        model,
        with_mask=with_mask,
        workers=workers,
        progress=progress,
        pose_every=pose_stride(info.fps, min_pose_fps),
        stats=stats,
    )
    if trace.frames == 0:
        from formcheck.pose.video import VideoError

        raise VideoError(f"{info.path} has no frames that can be decoded")
    truncated = trace.frames < info.frames * 0.95
    return trace, _Truncated(trace.frames, info.frames) if truncated else None


def fault_joints_by_frame(analysis: Analysis) -> list[frozenset[str]]:
    """Per frame, the joints of the faults of the rep that frame belongs to (for the annotated video).

    Offline the verdict of a whole rep is known, so its faulty joints can be drawn red over the entire rep,
    not only from the moment the fault was seen.
    """
    out: list[frozenset[str]] = [frozenset()] * analysis.trace.frames
    joints = {f.code: frozenset(f.joints) for f in analysis.template.faults}
    times = analysis.trace.times
    for r in analysis.reps:
        bad = frozenset().union(*(joints.get(c, frozenset()) for c in r.faults))
        if not bad:
            continue
        i0 = int(np.searchsorted(times, r.start_s - 1e-6, side="left"))
        i1 = int(np.searchsorted(times, r.end_s + 1e-6, side="right"))
        for i in range(i0, i1):
            out[i] = out[i] | bad
    return out


#: Video codec by the annotated video's file extension: WebM (VP8) plays in every browser (the app's page);
#: anything else is MP4 (mp4v), which video players open.
FOURCC_BY_SUFFIX: dict[str, str] = {".webm": "VP80", ".mp4": "mp4v"}


def write_annotated(
    analysis: Analysis,
    video: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    progress: ProgressFn | None = None,
    *,
    max_height: int | None = None,
    max_fps: float | None = None,
) -> int:
    """Write the video with the overlay drawn on every frame; returns the number of frames written.

    Args:
        analysis: the analysed video.
        video: the video it was made from.
        out_path: the file to write; the codec follows its extension (:data:`FOURCC_BY_SUFFIX`).
        progress: called with the number of source frames just handled.
        max_height: frames taller than this (pixels) are scaled down before drawing (None: full size).
        max_fps: keep every n-th frame so the rate is at most this (frames per second; None: all).

    Decoding, drawing and encoding overlap in three threads (OpenCV releases the GIL while it decodes and
    encodes), which keeps both cores busy.
    """
    from formcheck.draw.overlay import draw_overlay

    info = probe(video)
    w, h = info.width, info.height
    if max_height is not None and h > max_height:
        w, h = 2 * round(w * max_height / h / 2), 2 * round(max_height / 2)
    every = max(1, math.ceil(info.fps / max_fps - 1e-6)) if max_fps else 1
    fourcc = FOURCC_BY_SUFFIX.get(Path(out_path).suffix.lower(), "mp4v")
    writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter.fourcc(*fourcc), info.fps / every, (w, h))
    if not writer.isOpened():
        raise OSError(f"cannot write video {out_path}")
    names = list(analysis.features)
    cols = np.stack([analysis.features[k] for k in names], axis=1)
    n_frames = analysis.trace.frames
    hindsight = fault_joints_by_frame(analysis)
    decoded: queue.Queue[tuple[int, np.ndarray] | None] = queue.Queue(maxsize=8)
    drawn: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=8)
    stop = threading.Event()
    errors: list[BaseException] = []

    def decode() -> None:
        try:
            for i, _t, bgr in read_frames(info, 0, n_frames):
                if stop.is_set():
                    return
                if i % every:
                    continue
                if bgr.shape[:2] != (h, w):
                    bgr = cv2.resize(bgr, (w, h), interpolation=cv2.INTER_AREA)
                decoded.put((i, bgr))
        except Exception as e:  # reported by the caller, not as a thread traceback
            errors.append(e)
        finally:
            decoded.put(None)

    written = [0]

    def encode() -> None:
        try:
            while (frame := drawn.get()) is not None:
                if not errors:
                    writer.write(frame)
                    written[0] += 1
        except Exception as e:
            errors.append(e)
            while drawn.get() is not None:  # keep draining so the drawing loop never blocks
                pass

    threads = [threading.Thread(target=decode, daemon=True), threading.Thread(target=encode, daemon=True)]
    for t in threads:
        t.start()
    try:
        while (item := decoded.get()) is not None:
            i, bgr = item
            feats = dict(zip(names, cols[i].tolist(), strict=True))
            state = analysis.states[i]
            if hindsight[i]:
                state = dataclasses.replace(state, bad_joints=state.bad_joints | hindsight[i])
            draw_overlay(
                bgr,
                analysis.landmarks[i],
                state,
                analysis.template,
                analysis.lang,
                feats,
                analysis.side,
            )
            drawn.put(bgr)
            if progress is not None and i // every % 10 == 9:
                progress(10 * every)
    finally:
        stop.set()
        while threads[0].is_alive():  # unblock the decoder if we stopped early
            with contextlib.suppress(queue.Empty):
                decoded.get_nowait()
            threads[0].join(0.05)
        drawn.put(None)
        threads[1].join()
        writer.release()
    if errors:
        raise OSError(f"writing {out_path} failed: {errors[0]}")
    return written[0]
