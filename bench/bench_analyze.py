"""Benchmark of the analysis path: the whole `formcheck analyze` command, where its time goes, each step.

Run: ``python bench/bench_analyze.py`` (about 5-10 minutes). Prints figures; there are no assertions.

The speed target (issue 6): ``formcheck analyze`` at least 2x real time with the full model on a 20 s
640x480 30 fps clip of a real person. No such clip is among the shared clips, so the bench builds them
once in the temp folder from real recordings: the committed 3 s bridge clip (Apache-2.0, a real person,
640x480 30 fps) played forward, backward, forward... to 20 s; and, when ``../shared/clips`` is there, a
real cat-cow recording (1280x720 30 fps, 18.9 s) centre-cropped to 4:3 and scaled to 640x480, played on
backward to 20 s (this one needs the segmentation mask). The command runs ``--runs`` times (default 3) in
a fresh interpreter each time, as a user runs it; the median is reported with the CPU seconds of all its
processes and the machine's load, since other people's work on a shared machine slows it. Then: start-up
(imports, landmarkers), per-frame steps in one process (decode, pose model, 2-person check, mask + back
curvature), features + engine, the live path, drawing, and real shared recordings measured the same way.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from formcheck.analysis.analyze import (
    OFFLINE_PEOPLE_CHECK_EVERY_S,
    PARALLEL_MIN_FRAMES,
    analyze_video,
    write_annotated,
)
from formcheck.core.templates import load_template
from formcheck.pose.landmarker import PoseEstimator, import_mediapipe
from formcheck.pose.pipeline import LivePipeline, run_engine, trace_features
from formcheck.pose.video import probe, read_frames

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE = REPO_ROOT / "tests" / "data" / "clips" / "physioplus_bridging.mp4"
SHARED_CLIPS = Path(os.environ.get("FORMCHECK_SHARED", REPO_ROOT.parent / "shared")) / "clips"
#: Real recordings made into 20 s 640x480 30 fps bench clips: (name, source, exercise).
BENCH_SOURCES = (
    ("bridge", SOURCE, "bridge"),
    ("cat_cow", SHARED_CLIPS / "cat_cow" / "bloomfit_quadruped_pelvic_tilt_pregnant.mp4", "cat_cow"),
)
#: Real recordings measured as they are: (path under shared/clips, exercise).
REAL_CLIPS = (
    ("lifting/tby66_0016c_1.mp4", "lifting"),
    ("bridge/istock_hanshitha_glute_bridges.mp4", "bridge"),
    ("cat_cow/bloomfit_quadruped_pelvic_tilt_pregnant.mp4", "cat_cow"),
)
W, H, FPS = 640, 480, 30.0

T = TypeVar("T")

TARGET_FEATURES_MS = 1.0  # features + engine per frame
TARGET_REALTIME = 2.0  # analyze with the full model, as a multiple of real time


def _to_640x480(bgr: np.ndarray) -> np.ndarray:
    """Centre-crop to 4:3 and scale to 640x480."""
    h, w = bgr.shape[:2]
    if w * 3 > h * 4:
        cw = h * 4 // 3
        bgr = bgr[:, (w - cw) // 2 : (w - cw) // 2 + cw]
    elif w * 3 < h * 4:
        ch = w * 3 // 4
        bgr = bgr[(h - ch) // 2 : (h - ch) // 2 + ch]
    if bgr.shape[:2] != (H, W):
        bgr = cv2.resize(bgr, (W, H), interpolation=cv2.INTER_AREA)
    return bgr


def build_clip(source: Path, path: Path, seconds: float) -> Path:
    """Write a 640x480 30 fps clip of ``seconds`` from ``source`` played forward, backward, forward...

    Frames are kept JPEG-compressed in memory while building (a 19 s 640x480 source is 28 MB, not 520 MB).
    """
    info = probe(source)
    frames = []
    for _i, _t, bgr in read_frames(info):
        ok, jpg = cv2.imencode(".jpg", _to_640x480(bgr), [cv2.IMWRITE_JPEG_QUALITY, 95])
        if not ok:
            raise SystemExit(f"cannot encode a frame of {source}")
        frames.append(jpg)
    cycle = frames + frames[-2:0:-1]
    n = round(seconds * FPS)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.mp4")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*"mp4v"), FPS, (W, H))
    if not writer.isOpened():
        raise SystemExit(f"cannot write {tmp}")
    for i in range(n):
        writer.write(cv2.imdecode(cycle[i % len(cycle)], cv2.IMREAD_COLOR))
    writer.release()
    tmp.replace(path)
    return path


def clip_path(seconds: float, name: str = "bridge", source: Path = SOURCE) -> Path:
    """The bench clip built from ``source`` (built once, then reused from the temp folder)."""
    path = Path(tempfile.gettempdir()) / "formcheck_bench" / f"{name}_640x480_30fps_{int(seconds)}s.mp4"
    if not path.is_file() or probe(path).frames != round(seconds * FPS):
        build_clip(source, path, seconds)
    return path


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def row(name: str, ms: float, note: str = "") -> None:
    print(f"  {name:44s} {ms:8.2f} ms/frame  {note}")


def bench_decode(path: Path) -> None:
    info = probe(path)
    t, n = timed(lambda: sum(1 for _ in read_frames(info)))
    row("decode (cv2 read)", 1000 * t / n, f"{n} frames")


def bench_pose(path: Path, n_frames: int) -> None:
    info = probe(path)
    rgbs = [cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) for _i, _t, bgr in read_frames(info, 0, n_frames + 5)]
    for model in ("full", "lite"):
        for with_mask in (False, True):
            with PoseEstimator(model, with_mask=with_mask) as est:
                for k in range(5):  # warm up (the first calls allocate)
                    est.detect(rgbs[k], int(k * 1000 / 30))
                times = []
                for k in range(5, len(rgbs)):
                    t0 = time.perf_counter()
                    est.detect(rgbs[k], int(k * 1000 / 30))
                    times.append(time.perf_counter() - t0)
            name = f"pose {model}" + (" + mask" if with_mask else "")
            row(
                name,
                1000 * float(np.median(times)),
                f"median of {len(times)}, mean {1000 * float(np.mean(times)):.1f}; 2-person check 1/s incl.",
            )


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its finished children so far."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def stage_times(path: Path, with_mask: bool, n_frames: int) -> dict[str, float]:
    """Seconds per frame of each step of the pose pass, in one process, over the first ``n_frames``.

    The 2-person check runs inside ``detect`` as often as in ``analyze``; its share is the extra time of
    the frames it ran on over the median of the others. OpenCV runs on one thread, as in ``analyze``.
    """
    from formcheck.analysis.analyze import _one_opencv_thread, brightness_of
    from formcheck.core.back import back_measures
    from formcheck.core.landmarks import Side

    info = probe(path)
    spent = dict.fromkeys(("decode", "convert", "pose", "people check", "mask + back", "brightness"), 0.0)
    plain: list[float] = []
    checked: list[float] = []
    frames = read_frames(info, 0, n_frames)
    n = 0
    with (
        _one_opencv_thread(),
        PoseEstimator("full", with_mask=with_mask, people_check_every_s=OFFLINE_PEOPLE_CHECK_EVERY_S) as est,
    ):
        while True:
            t0 = time.perf_counter()
            item = next(frames, None)
            if item is None:
                break
            _i, t, bgr = item
            t1 = time.perf_counter()
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            t2 = time.perf_counter()
            before = est.people_checks
            pf = est.detect(rgb, round(t * 1000))
            t3 = time.perf_counter()
            if pf.mask is not None and pf.has_pose:
                for side in (Side.LEFT, Side.RIGHT):
                    back_measures(pf.mask, pf.landmarks, side)
            t4 = time.perf_counter()
            brightness_of(bgr)
            t5 = time.perf_counter()
            spent["decode"] += t1 - t0
            spent["convert"] += t2 - t1
            (checked if est.people_checks != before else plain).append(t3 - t2)
            spent["mask + back"] += t4 - t3
            spent["brightness"] += t5 - t4
            n += 1
    base = float(np.median(plain)) if plain else 0.0
    spent["pose"] = sum(plain) + base * len(checked)
    spent["people check"] = sum(checked) - base * len(checked)
    return {k: v / max(n, 1) for k, v in spent.items()}


def bench_real(rel: str, exercise: str, n_stage_frames: int) -> None:
    """Where the time goes on one real recording, and the whole ``analyze`` (workers=auto)."""
    path = SHARED_CLIPS / rel
    if not path.is_file():
        print(f"  {rel}: not found, skipped")
        return
    template = load_template(exercise)
    info = probe(path)
    duration = info.frames / info.fps
    print(
        f"{rel} ({exercise}, {info.width}x{info.height}, {info.fps:g} fps, {info.frames} frames, "
        f"{duration:.1f} s, mask {'yes' if template.needs_mask else 'no'})"
    )
    stages = stage_times(path, template.needs_mask, n_stage_frames)
    total = sum(stages.values())
    for name, secs in stages.items():
        row(f"  {name}", 1000 * secs, f"{100 * secs / total:4.1f} %")
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    analysis = analyze_video(path, template, model="full", workers=None)
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    trace = analysis.trace
    t_fe = timed(lambda: run_engine(template, trace.times, trace_features(trace)[1]))[0]
    row("  features + engine", 1000 * t_fe / trace.frames, "(offline, per frame)")
    workers = min(2, os.cpu_count() or 1) if info.frames >= PARALLEL_MIN_FRAMES else 1
    x = duration / wall
    ok = "OK" if x >= TARGET_REALTIME else "MISSED"
    print(
        f"  analyze, workers={workers}: {wall:.1f} s wall = {x:.2f}x real time (target >= "
        f"{TARGET_REALTIME:g}x: {ok}); {cpu:.1f} CPU s = {cpu / wall:.2f} cores busy; "
        f"{1000 * cpu / trace.frames:.1f} CPU ms/frame; reps {len(analysis.reps)}"
    )


def load_now() -> str:
    """The machine's load averages (1, 5, 15 min)."""
    la = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    return f"{la[0]:.1f} {la[1]:.1f} {la[2]:.1f}"


def children_cpu() -> float:
    """User + system CPU seconds of the finished child processes (and theirs) so far."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def python_seconds(code: str) -> float:
    """Run ``code`` in a fresh interpreter; it prints seconds as its last line."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def bench_startup(runs: int) -> float:
    """Start-up of ``formcheck analyze`` before the first frame is posed (medians of fresh interpreters).

    Returns:
        The serial part in seconds (interpreter + imports + mediapipe), used for the idle-machine estimate.
    """
    stamp = "import time; t = time.perf_counter(); "
    tell = "; print(time.perf_counter() - t)"
    steps = {
        "interpreter start (python -c pass)": None,
        "import formcheck.cli + analyze": stamp + "import formcheck.cli, formcheck.analysis.analyze" + tell,
        "import mediapipe, matplotlib deferred (now)": (
            "import formcheck.pose.landmarker as p; " + stamp + "p.import_mediapipe()" + tell
        ),
        "import mediapipe as it comes (was)": stamp + "import mediapipe" + tell,
    }
    serial = 0.0
    for name, code in steps.items():
        if code is None:
            walls = []
            for _ in range(runs):
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-c", "pass"], check=True)
                walls.append(time.perf_counter() - t0)
            secs = statistics.median(walls)
        else:
            secs = statistics.median(python_seconds(code) for _ in range(runs))
        if "(was)" not in name:
            serial += secs
        print(f"  {name:52s} {secs:6.2f} s")
    import_mediapipe()
    for mask in (False, True):
        walls = []
        for _ in range(runs):
            t0 = time.perf_counter()
            est = PoseEstimator("full", with_mask=mask, people_check_every_s=OFFLINE_PEOPLE_CHECK_EVERY_S)
            walls.append(time.perf_counter() - t0)
            est.close()
        print(
            f"  {'landmarkers (video + 2-person check)' + (' + mask' if mask else ''):52s} "
            f"{statistics.median(walls):6.2f} s  (in each pose process, in parallel)"
        )
    return serial


def bench_command(path: Path, exercise: str, runs: int, serial_s: float) -> None:
    """The whole ``formcheck analyze VIDEO --exercise E --json`` in a fresh interpreter, ``runs`` times."""
    info = probe(path)
    duration = info.frames / info.fps
    cmd = [sys.executable, "-m", "formcheck.cli", "analyze", str(path), "--exercise", exercise, "--json"]
    walls, cpus = [], []
    for r in range(runs):
        load = load_now()
        c0, t0 = children_cpu(), time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True)
        wall, cpu = time.perf_counter() - t0, children_cpu() - c0
        if out.returncode != 0:
            lines = out.stderr.strip().splitlines() or ["(no message)"]
            print(f"    run {r + 1}: failed: {lines[-1]}")
            return
        reps = json.loads(out.stdout)["reps"]
        walls.append(wall)
        cpus.append(cpu)
        print(
            f"    run {r + 1}: {wall:6.2f} s wall = {duration / wall:4.2f}x real time; {cpu:5.1f} CPU s = "
            f"{cpu / wall:4.2f} cores busy; load before {load}; reps {reps}"
        )
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    ok = "OK" if duration / wall >= TARGET_REALTIME else "MISSED"
    idle = serial_s + (cpu - serial_s) / 2  # both cores ours: the rest splits over the two processes
    print(
        f"  median of {runs}: {wall:.2f} s = {duration / wall:.2f}x real time (target >= "
        f"{TARGET_REALTIME:g}x: {ok}); {cpu:.1f} CPU s = {1000 * cpu / info.frames:.1f} CPU ms/frame"
    )
    print(
        f"  on two idle cores (start-up {serial_s:.2f} s + the rest of the CPU time over 2 cores): "
        f"about {idle:.1f} s = {duration / idle:.2f}x real time"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the bench clips (default 20)")
    ap.add_argument("--runs", type=int, default=3, help="runs of the whole command (median; default 3)")
    ap.add_argument("--pose-frames", type=int, default=90, help="frames per pose-model measurement")
    ap.add_argument(
        "--real",
        nargs="*",
        metavar="CLIP:EXERCISE",
        help="real clips under ../shared/clips to measure (default: three; none: skip)",
    )
    ap.add_argument("--only-command", action="store_true", help="only the whole command and start-up")
    ap.add_argument("--only-real", action="store_true", help="only the real clips")
    ap.add_argument("--stage-frames", type=int, default=240, help="frames for the per-step breakdown")
    args = ap.parse_args(argv)
    real = REAL_CLIPS if args.real is None else tuple(tuple(r.split(":", 1)) for r in args.real)
    if args.only_real:
        for rel, exercise in real:
            bench_real(rel, exercise, args.stage_frames)
        return 0

    mediapipe = import_mediapipe()
    print(
        f"formcheck benchmark  python {platform.python_version()}  mediapipe {mediapipe.__version__}  "
        f"opencv {cv2.__version__}  cpus {os.cpu_count()}  load {load_now()}"
    )
    clips = []
    for name, source, exercise in BENCH_SOURCES:
        if not source.is_file():
            print(f"bench clip {name}: source {source} not found, skipped")
            continue
        clips.append((clip_path(args.seconds, name, source), exercise, source))
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(
            f"note: busy machine (load above {os.cpu_count()} cpus): wall times are pessimistic; the CPU "
            "seconds and the idle-machine estimate are not"
        )
    print()
    print(f"start-up (median of {args.runs} fresh interpreters)")
    serial = bench_startup(args.runs)
    for path, exercise, source in clips:
        info = probe(path)
        print()
        print(
            f"formcheck analyze {path.name} --exercise {exercise} --json  (real person: {source.name}; "
            f"{info.width}x{info.height}, {info.fps:g} fps, {info.frames} frames, "
            f"{info.frames / info.fps:.1f} s; mask {'yes' if load_template(exercise).needs_mask else 'no'})"
        )
        bench_command(path, exercise, args.runs, serial)
        stages = stage_times(path, load_template(exercise).needs_mask, args.stage_frames)
        total = sum(stages.values())
        print(f"  where the time goes (one process, first {args.stage_frames} frames, wall):")
        for stage, secs in stages.items():
            row(f"  {stage}", 1000 * secs, f"{100 * secs / total:4.1f} %")
    if args.only_command:
        return 0
    path = clips[0][0]
    info = probe(path)
    duration = info.frames / info.fps
    print()
    print("per frame")
    bench_decode(path)
    bench_pose(path, args.pose_frames)

    template = load_template("bridge")
    auto = min(2, os.cpu_count() or 1) if info.frames >= PARALLEL_MIN_FRAMES else 1
    t_analyze, analysis = timed(lambda: analyze_video(path, template, model="full", workers=None))
    trace = analysis.trace
    n = trace.frames

    reps = 3
    t_feat = min(timed(lambda: trace_features(trace))[0] for _ in range(reps))
    _side, feats = trace_features(trace)
    t_eng = min(timed(lambda: run_engine(template, trace.times, feats))[0] for _ in range(reps))
    ms_fe = 1000 * (t_feat + t_eng) / n
    ok = "OK" if ms_fe <= TARGET_FEATURES_MS else "MISSED"
    row(
        "features + engine (trace_features+run_engine)",
        ms_fe,
        f"target <= {TARGET_FEATURES_MS:g} ms: {ok}  (features {1000 * t_feat / n:.3f}, "
        f"engine {1000 * t_eng / n:.3f})",
    )

    live = LivePipeline(template, require_setup=False)
    size = trace.size
    t0 = time.perf_counter()
    for i in range(n):
        live.step(
            float(trace.times[i]),
            trace.landmarks[i],
            trace.world[i],
            size,
            back=(float(trace.back[i, 0]), float(trace.back[i, 1])),
            n_people=int(trace.n_people[i]),
            brightness=float(trace.brightness[i]),
        )
    ms_live = 1000 * (time.perf_counter() - t0) / n
    ok = "OK" if ms_live <= TARGET_FEATURES_MS else "MISSED"
    row("features + engine live (LivePipeline.step)", ms_live, f"target <= {TARGET_FEATURES_MS:g} ms: {ok}")

    try:
        from formcheck.render import draw_overlay
    except ImportError:
        print("  render: formcheck.render.draw_overlay not available")
    else:
        frames = [bgr for _i, _t, bgr in read_frames(info, 0, min(n, 150))]
        names = list(analysis.features)
        t0 = time.perf_counter()
        for i, bgr in enumerate(frames):
            fv = {k: float(analysis.features[k][i]) for k in names}
            draw_overlay(bgr, trace.landmarks[i], analysis.states[i], template, "en", fv, analysis.side)
        row("render (draw_overlay)", 1000 * (time.perf_counter() - t0) / len(frames))

    annotated = path.parent / "annotated.mp4"
    t_write, written = timed(lambda: write_annotated(analysis, path, annotated))
    row("write annotated video (decode+render+encode)", 1000 * t_write / max(1, written))

    print()
    print(
        f"analyze_video in this process (mediapipe already imported), full model, workers=auto ({auto}), "
        f"{n} frames, {duration:.1f} s of video"
    )
    for name, secs in (
        ("analyze (no video written)", t_analyze),
        ("analyze + annotated video", t_analyze + t_write),
    ):
        x = duration / secs
        ok = "OK" if x >= TARGET_REALTIME else "MISSED"
        print(
            f"  {name:44s} {secs:8.2f} s = {x:5.2f}x real time  target >= {TARGET_REALTIME:g}x: {ok}  "
            f"({1000 * secs / n:.1f} ms/frame)"
        )
    print(f"  reps found: {len(analysis.reps)}")
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  peak memory: {own:.0f} MB this process, {kids:.0f} MB largest worker")
    if real:
        print()
        print(
            f"real recordings ({SHARED_CLIPS}), full model; per frame, one process, first "
            f"{args.stage_frames} frames"
        )
        for rel, exercise in real:
            bench_real(rel, exercise, args.stage_frames)
    return 0


if __name__ == "__main__":
    sys.exit(main())
