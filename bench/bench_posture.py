"""Benchmark the desk-posture page's per-frame work over an hour of frames at the page's frame rate.

The page's camera sends a JPEG (640 px wide, as the browser does) at most ``--fps`` times a second; for each
the server decodes it, runs the pose model the page uses (lite), measures the posture and steps the monitor
(:class:`formcheck.webapp.desk.DeskProcessor`, exactly as the frame server calls it). Here a real clip of
someone sitting is looped for ``--minutes`` of simulated time (default 60) with frame times at ``--fps``
(default 3), as fast as the machine allows, and the process's CPU time (user + system, every thread: the
model's too) is divided by the simulated time: the share of one CPU core the page uses while it runs.
``--trace`` instead loops a committed landmark trace through the monitor alone (no model, no JPEG).

    .venv/bin/python bench/bench_posture.py [--clip PATH | --trace STEM] [--fps 3] [--minutes 60] [--json]

Timing figures on a busy machine are inflated: CPU seconds per frame are given next to the wall time, with
the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CLIP = ROOT.parent / "shared" / "clips" / "posture" / "howardh_chair_postures.m4v"
FALLBACK_CLIP = ROOT / "tests" / "data" / "clips" / "physioplus_bridging.mp4"
#: Width of the frames the browser sends (camera.js SEND_WIDTH) and their JPEG quality (0.7 there).
SEND_WIDTH = 640
JPEG_QUALITY = 70
#: Distinct frames taken from the clip (looped): enough for variety, small in memory.
MAX_DISTINCT = 300


def cpu_s() -> float:
    """User + system CPU seconds of this process so far (all its threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def jpegs_of(clip: Path, fps: float) -> list[bytes]:
    """The clip's frames at about ``fps`` (at most :data:`MAX_DISTINCT`), scaled to :data:`SEND_WIDTH` and
    JPEG-encoded like the browser does."""
    cap = cv2.VideoCapture(str(clip))
    src_fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    every = max(1, round(src_fps / fps))
    out: list[bytes] = []
    i = 0
    while len(out) < MAX_DISTINCT:
        ok, bgr = cap.read()
        if not ok:
            break
        if i % every == 0:
            h, w = bgr.shape[:2]  # a webcam frame as the browser sends it: SEND_WIDTH wide
            bgr = cv2.resize(bgr, (SEND_WIDTH, round(h * SEND_WIDTH / w)), interpolation=cv2.INTER_AREA)
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if ok:
                out.append(buf.tobytes())
        i += 1
    cap.release()
    return out


def bench_clip(clip: Path, fps: float, minutes: float) -> dict[str, Any]:
    """The page's per-frame work (JPEG decode, lite model, measures, monitor) over ``minutes`` at ``fps``."""
    from formcheck.webapp.desk import MODEL, DeskProcessor, DeskSession
    from formcheck.webapp.wire import decode_jpeg

    frames = jpegs_of(clip, fps)
    if not frames:
        raise SystemExit(f"no frame could be read from {clip}")
    session = DeskSession(fps=fps)
    processor = DeskProcessor(session)
    n = round(minutes * 60 * fps)
    processor.process_image(decode_jpeg(frames[0]), 0.0)  # warm-up (model load), not counted
    postures: dict[str, int] = {}
    c0, w0 = cpu_s(), time.perf_counter()
    for k in range(1, n + 1):
        state = processor.process_image(decode_jpeg(frames[k % len(frames)]), k / fps)
        if state is not None:
            postures[state.posture] = postures.get(state.posture, 0) + 1
    cpu, wall = cpu_s() - c0, time.perf_counter() - w0
    processor.on_ended()
    analysed = session.frames - 1
    return {
        "mode": f"page per-frame work ({MODEL} model, JPEG {SEND_WIDTH} px)",
        "clip": str(clip),
        "distinct_frames": len(frames),
        "fps": fps,
        "simulated_s": round(minutes * 60, 1),
        "frames": n,
        "frames_analysed": analysed,
        "cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
        "cpu_ms_per_frame": round(1000 * cpu / max(analysed, 1), 2),
        "wall_ms_per_frame": round(1000 * wall / max(analysed, 1), 2),
        "cpu_share_of_one_core_pct": round(100 * cpu / (minutes * 60), 2),
        "cpu_share_of_all_cores_pct": round(100 * cpu / (minutes * 60) / (os.cpu_count() or 1), 2),
        "reminders": len(session.monitor.reminders),
        "postures": postures,
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(),
    }


def bench_trace(stem: str, fps: float, minutes: float) -> dict[str, Any]:
    """The monitor alone (measures precomputed from a committed trace) over ``minutes`` at ``fps``."""
    from formcheck.core.desk import DeskMonitor
    from formcheck.core.posture import frame_measures, measure
    from formcheck.core.posture_template import load_monitor
    from formcheck.pose.pipeline import PoseTrace

    trace = PoseTrace.load(str(ROOT / "tests" / "data" / "traces" / f"{stem}.npz"))
    template = load_monitor("desk_posture")
    every = max(1, round(trace.fps / fps))
    m = measure(trace.landmarks[::every], trace.world[::every], trace.size)
    rows = [frame_measures(m, i) for i in range(len(m["yaw"]))]
    monitor = DeskMonitor(template.limits, template.timing)
    n = round(minutes * 60 * fps)
    c0, w0 = cpu_s(), time.perf_counter()
    for k in range(n):
        monitor.update(k / fps, rows[k % len(rows)])
    cpu, wall = cpu_s() - c0, time.perf_counter() - w0
    return {
        "mode": "monitor only (measures from a trace; no model, no JPEG)",
        "trace": stem,
        "fps": fps,
        "simulated_s": round(minutes * 60, 1),
        "frames": n,
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "cpu_ms_per_frame": round(1000 * cpu / n, 4),
        "cpu_share_of_one_core_pct": round(100 * cpu / (minutes * 60), 4),
        "reminders": len(monitor.reminders),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clip", type=Path, help=f"video of someone sitting (default {DEFAULT_CLIP})")
    p.add_argument("--trace", help="a committed trace stem: the monitor alone, no model")
    p.add_argument("--fps", type=float, default=3.0, help="frames analysed a second (the page: 2, 3 or 5)")
    p.add_argument("--minutes", type=float, default=60.0, help="simulated time")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if args.trace:
        res = bench_trace(args.trace, args.fps, args.minutes)
    else:
        clip = args.clip or (DEFAULT_CLIP if DEFAULT_CLIP.is_file() else FALLBACK_CLIP)
        if not clip.is_file():
            print(f"clip not found: {clip}", file=sys.stderr)
            return 2
        res = bench_clip(clip, args.fps, args.minutes)
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k:>28}: {v}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
