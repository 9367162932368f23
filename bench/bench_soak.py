"""Soak the live per-frame path for one hour of video and watch the process's memory.

The frames of a real clip are looped (frame times keep increasing across loops, as from a camera) through
the same per-frame work the app's server does for each processed frame (:class:`formcheck.webapp.live.
LiveProcessor` without the transport): resize to the pose width, BGR -> RGB,
:class:`~formcheck.pose.landmarker.PoseEstimator.detect` (with the segmentation mask and back curvature
when the exercise needs them) and :meth:`~formcheck.pose.pipeline.LivePipeline.step`, on a fresh copy of the
frame. Frames are fed as fast as they go, not in real time. With ``--session`` each frame's state is also
folded into a
:class:`formcheck.webapp.live.CoachSession` record (reps, cues, the chart series) as the app does, without
saving it; with ``--overlay`` the overlay is drawn into the frame as well (the annotated video and the old
WebRTC path did that on the server; the websocket page draws its own).

RSS (resident memory, from ``/proc/self/statm``, after a ``gc.collect()``) is printed before the first frame,
after the warm-up (the baseline: the model's buffers are allocated by then), at every ``--every-min``
minutes of video and at the end; the growth from the baseline to the end must stay under ``--limit-mb``.

``--source trace`` replaces the pose model by the recorded landmarks of a ``tests/data/traces/*.npz`` trace
(same clip), to soak the engine part alone quickly; ``--fps`` sets the frame rate fed (default: the clip's),
e.g. the rate the app actually processes on this machine (it drops the frames it cannot keep up with).

    .venv/bin/python bench/bench_soak.py [--clip PATH] [--exercise bridge] [--model lite|full]
        [--source video|trace] [--minutes 60] [--every-min 10] [--fps F] [--session] [--overlay]
        [--limit-mb 20] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from formcheck.analysis.analyze import brightness_of
from formcheck.core.landmarks import Side
from formcheck.core.templates import TemplateError, load_template
from formcheck.pose.landmarker import ModelNotFoundError, PoseEstimator
from formcheck.pose.pipeline import LivePipeline, PoseTrace
from formcheck.pose.video import probe, read_frames

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = ROOT.parent / "shared" / "clips" / "bridge" / "istock_hanshitha_glute_bridges.mp4"
#: Frames processed before the baseline RSS is taken (model warm-up, first allocations).
WARMUP_FRAMES = 250
#: Frame width the pose model gets (as ``formcheck.webapp.live.POSE_WIDTH``), pixels.
POSE_WIDTH = 640


def rss_mb() -> float:
    """This process's resident set size in MiB (after collecting garbage)."""
    gc.collect()
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass
class Sample:
    """One RSS reading: ``video_min`` minutes of video after ``wall_s`` seconds, ``frames`` processed,
    ``reps`` counted, ``text_cache`` rendered labels kept by the overlay (one per distinct text and size)."""

    label: str
    video_min: float
    frames: int
    wall_s: float
    rss_mb: float
    reps: int
    text_cache: int


def load_frames(path: Path) -> tuple[list[np.ndarray], float]:
    """The clip's BGR frames (at most :data:`POSE_WIDTH` wide, as the app sends the model) and its fps."""
    info = probe(path)
    frames = []
    for _i, _t, f in read_frames(info):
        h, w = f.shape[:2]
        if w > POSE_WIDTH:
            f = cv2.resize(f, (POSE_WIDTH, max(1, round(h * POSE_WIDTH / w))), interpolation=cv2.INTER_AREA)
        frames.append(np.ascontiguousarray(f))
    return frames, float(info.fps)


def text_cache() -> int:
    """How many rendered labels the overlay's text cache holds now (-1 when it has none)."""
    from formcheck.draw import text as dtext

    info = getattr(getattr(dtext, "text_mask", None), "cache_info", None)
    return int(info().currsize) if info is not None else -1


class VideoSource:
    """Pose from the real model, per frame, as the app's :meth:`LiveProcessor._analyse` does it."""

    def __init__(self, model: str, with_mask: bool) -> None:
        from formcheck.core.back import back_curvature

        self.estimator = PoseEstimator(model, with_mask=with_mask)
        self._back = back_curvature

    def pose(
        self, i: int, bgr: np.ndarray, t_s: float, side: Side
    ) -> tuple[np.ndarray, np.ndarray, tuple[float, float], int]:
        """``(landmarks, world, back (left, right), n_people)`` of frame ``bgr`` at ``t_s`` seconds."""
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        pf = self.estimator.detect(rgb, round(t_s * 1000))
        back = (math.nan, math.nan)
        if pf.mask is not None and pf.has_pose:
            value = float(self._back(pf.mask, pf.landmarks, side))
            back = (value, math.nan) if side == Side.LEFT else (math.nan, value)
        return pf.landmarks, pf.world, back, pf.n_people

    def close(self) -> None:
        """Release the model."""
        self.estimator.close()


class TraceSource:
    """Pose from a recorded trace of the same clip (frame ``i`` of the loop -> trace row ``i``)."""

    def __init__(self, path: Path) -> None:
        self.trace = PoseTrace.load(str(path))

    def pose(
        self, i: int, bgr: np.ndarray, t_s: float, side: Side
    ) -> tuple[np.ndarray, np.ndarray, tuple[float, float], int]:
        """``(landmarks, world, back (left, right), n_people)`` recorded for row ``i`` (mod the trace)."""
        k = i % self.trace.frames
        back = (float(self.trace.back[k, 0]), float(self.trace.back[k, 1]))
        return self.trace.landmarks[k], self.trace.world[k], back, int(self.trace.n_people[k])

    def close(self) -> None:
        """Nothing to release."""


def soak(args: argparse.Namespace) -> dict[str, object]:
    """Run the soak and return the figures (printing each sample as it is taken)."""
    from formcheck.draw.overlay import draw_overlay

    clip = Path(args.clip)
    frames, clip_fps = load_frames(clip)
    if not frames:
        raise SystemExit(f"no frames in {clip}")
    fps = float(args.fps or clip_fps)
    template = load_template(args.exercise)
    samples: list[Sample] = []
    start_rss = rss_mb()
    if args.source == "trace":
        trace = Path(args.trace) if args.trace else ROOT / "tests" / "data" / "traces" / f"{clip.stem}.npz"
        if not trace.is_file():
            raise SystemExit(f"no trace {trace}")
        source: VideoSource | TraceSource = TraceSource(trace)
    else:
        source = VideoSource(args.model, template.needs_mask)
    pipeline = LivePipeline(template, require_setup=True)
    session = None
    if args.session:
        from formcheck.webapp.live import CoachSession, LiveSettings

        session = CoachSession(LiveSettings(exercise=args.exercise, lang="en", model=args.model))
        session.begin(template, "coach", "en", args.model)
    total = round(args.minutes * 60.0 * fps)
    every = max(1, round(args.every_min * 60.0 * fps))
    # The clip is stepped through at ``fps``: every frame when fps is the clip's, fewer when lower.
    step = clip_fps / fps
    t_wall0 = time.perf_counter()

    def take(label: str, n: int) -> None:
        wall = time.perf_counter() - t_wall0
        s = Sample(label, n / fps / 60.0, n, wall, rss_mb(), len(pipeline.engine.reps), text_cache())
        samples.append(s)
        if not args.json:
            print(
                f"{s.label:>9} video {s.video_min:6.1f} min  frames {s.frames:7d}  wall {s.wall_s:7.1f} s  "
                f"RSS {s.rss_mb:7.1f} MiB  reps {s.reps}  text cache {s.text_cache}",
                flush=True,
            )

    if not args.json:
        print(
            f"soak: {clip.name} ({len(frames)} frames at {clip_fps:g} fps, looped), "
            f"exercise {args.exercise}, "
            f"source {args.source}{'' if args.source == 'trace' else f' ({args.model} model)'}, "
            f"{args.minutes:g} min of video at {fps:g} fps = {total} frames"
            f"{', session record' if args.session else ''}{', overlay drawn' if args.overlay else ''}",
            flush=True,
        )
        print(f"{'start':>9} RSS {start_rss:7.1f} MiB (before the model and the first frame)", flush=True)
    try:
        for n in range(total):
            k = int(n * step)
            bgr = frames[k % len(frames)].copy()  # the app gets a new frame every time and draws into it
            t_s = n / fps
            h, w = bgr.shape[:2]
            lm, world, back, people = source.pose(k, bgr, t_s, pipeline.side)
            state = pipeline.step(
                t_s, lm, world, (w, h), back=back, n_people=people, brightness=brightness_of(bgr)
            )
            if args.overlay:
                draw_overlay(
                    bgr, pipeline.last_landmarks, state, template, "en", pipeline.last_features, pipeline.side
                )
            if session is not None:
                session.on_state(state, pipeline.last_features, template.display)
            done = n + 1
            if done == WARMUP_FRAMES:
                take("baseline", done)
            elif done % every == 0 and done != total:
                take("", done)
        take("end", total)  # before the model is closed (closing it frees its memory)
    finally:
        source.close()
    base = next((s.rss_mb for s in samples if s.label == "baseline"), start_rss)
    growth = samples[-1].rss_mb - base
    wall = samples[-1].wall_s
    return {
        "clip": clip.name,
        "exercise": args.exercise,
        "source": args.source,
        "model": args.model if args.source == "video" else None,
        "video_minutes": args.minutes,
        "fps_fed": fps,
        "frames": total,
        "wall_s": round(wall, 1),
        "ms_per_frame": round(1000.0 * wall / max(1, total), 2),
        "rss_start_mb": round(start_rss, 1),
        "rss_baseline_mb": round(base, 1),
        "rss_end_mb": round(samples[-1].rss_mb, 1),
        "rss_max_mb": round(max(s.rss_mb for s in samples), 1),
        "growth_mb": round(growth, 1),
        "limit_mb": args.limit_mb,
        "ok": growth < args.limit_mb,
        "reps": samples[-1].reps,
        "session_record": session is not None,
        "overlay": bool(args.overlay),
        "series_rows": len(session.record.series) if session is not None and session.record else None,
        "samples": [s.__dict__ for s in samples],
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exit code 1 when the memory grew by the limit or more."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clip", default=str(DEFAULT_CLIP))
    p.add_argument("--exercise", default="bridge")
    p.add_argument("--model", default="full", choices=["lite", "full"])
    p.add_argument("--source", default="video", choices=["video", "trace"])
    p.add_argument("--trace", default="", help="trace .npz for --source trace (default: the clip's)")
    p.add_argument("--minutes", type=float, default=60.0, help="minutes of video to feed")
    p.add_argument("--every-min", type=float, default=10.0, help="print RSS every this many video minutes")
    p.add_argument("--fps", type=float, default=0.0, help="frame rate fed (default: the clip's)")
    p.add_argument("--session", action="store_true", help="also keep the app's session record")
    p.add_argument("--overlay", action="store_true", help="also draw the overlay into each frame")
    p.add_argument("--limit-mb", type=float, default=20.0, help="allowed RSS growth, MiB")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if not Path(args.clip).is_file():
        print(f"clip not found: {args.clip}", file=sys.stderr)
        return 2
    try:
        res = soak(args)
    except (TemplateError, ModelNotFoundError) as e:
        print(f"bench_soak: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(res))
    else:
        print(
            f"growth after warm-up: {res['growth_mb']:+.1f} MiB (limit {args.limit_mb:g}): "
            f"{'OK' if res['ok'] else 'TOO MUCH'}; {res['frames']} frames in {res['wall_s']} s "
            f"({res['ms_per_frame']} ms a frame), {res['reps']} reps counted"
        )
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
