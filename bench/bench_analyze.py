"""Benchmark of `formcheck analyze`: the whole command on 20 s 640x480 30 fps clips of real people, where its
time goes (CPU seconds by step and by process, the workers' overlap), and an idle-machine estimate.

Run: ``python bench/bench_analyze.py`` (10-20 minutes on a busy 2-core machine; ``--runs 1`` for a quick
look). Prints figures; there are no assertions.

The speed target (issue 6): ``formcheck analyze`` at least 2x real time with the full model on a 20 s
640x480 30 fps clip of a real person, on a 2-core machine; features + engine at most 1 ms a frame. No shared
clip is 640x480 30 fps and 20 s long, so the bench makes three, once, in the temp folder, from real
recordings of real people in ``../shared/clips`` (nothing is committed; without the shared clips the
committed 3 s bridge clip, played forward and backward to 20 s, stands in):

- bridge (no mask): ``bridge/hpy_fitbod_single_leg_bridge_hold.mp4`` (1280x720, 59.94 fps, 30 s): every
  2nd frame (29.97 fps), centre-cropped to 4:3 and scaled to 640x480, the first 20 s;
- lifting (mask): ``lifting/kbtrainer_stick_deadlift.mp4`` (270x480, 30 fps, 35.5 s): the first 20 s,
  pillarboxed to 640x480 (the picture itself unscaled);
- cat-cow (mask): ``cat_cow/bloomfit_quadruped_pelvic_tilt_pregnant.mp4`` (1280x720, 30 fps, 18.9 s):
  centre-cropped to 4:3, scaled to 640x480, played on backward to 20 s.

For each, the whole command (``python -m formcheck.cli analyze CLIP --exercise E --json``) runs ``--runs``
times in a fresh interpreter, interleaved with the same command posing every frame (``--pose-fps 0``, what
analyze did before it posed at 15 fps): wall time, CPU seconds of all its processes, the machine's load.
Then the same analysis in this process (mediapipe already imported, so start-up is measured apart): per
pose process, CPU by step and when it posed its first and last frame (the workers' overlap), the CPU after
the pose pass (smoothing, features, engine), and the annotated video (decode + draw + encode). The
idle-machine estimate is the serial start-up (fresh interpreters) + the CPU of the busier pose process
(each has a core of its own on an idle 2-core machine) + the CPU after the pass.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from formcheck.analysis.analyze import (
    OFFLINE_PEOPLE_CHECK_EVERY_S,
    PASS_STEPS,
    analyze_trace,
    analyze_video,
    write_annotated,
)
from formcheck.core.templates import load_template
from formcheck.pose.landmarker import PoseEstimator, import_mediapipe
from formcheck.pose.pipeline import MIN_POSE_FPS, LivePipeline, PoseTrace, run_engine, trace_features
from formcheck.pose.video import probe, read_frames

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMITTED = REPO_ROOT / "tests" / "data" / "clips" / "physioplus_bridging.mp4"
SHARED_CLIPS = Path(os.environ.get("FORMCHECK_SHARED", REPO_ROOT.parent / "shared")) / "clips"
W, H, FPS = 640, 480, 30.0
TARGET_FEATURES_MS = 1.0  # features + engine per frame
TARGET_REALTIME = 2.0  # analyze with the full model, as a multiple of real time

T = TypeVar("T")


@dataclass(frozen=True)
class BenchClip:
    """A 20 s 640x480 30 fps bench clip made from a real recording."""

    name: str
    source: Path
    exercise: str
    #: take every ``step``-th source frame (a 60 fps source becomes 30 fps)
    step: int
    #: ``crop``: centre-crop to 4:3 and scale; ``pad``: keep the picture, add black bars to 640x480
    fit: str
    how: str


BENCH_CLIPS = (
    BenchClip(
        "bridge",
        SHARED_CLIPS / "bridge" / "hpy_fitbod_single_leg_bridge_hold.mp4",
        "bridge",
        2,
        "crop",
        "every 2nd frame of 59.94 fps, centre-cropped to 4:3, scaled, first 20 s",
    ),
    BenchClip(
        "lifting",
        SHARED_CLIPS / "lifting" / "kbtrainer_stick_deadlift.mp4",
        "lifting",
        1,
        "pad",
        "270x480 30 fps, first 20 s, pillarboxed (unscaled)",
    ),
    BenchClip(
        "cat_cow",
        SHARED_CLIPS / "cat_cow" / "bloomfit_quadruped_pelvic_tilt_pregnant.mp4",
        "cat_cow",
        1,
        "crop",
        "1280x720 30 fps, centre-cropped to 4:3, scaled, played on backward to 20 s",
    ),
)
#: Without ../shared/clips: the committed Apache-2.0 clip (3 s, a real person) forward and backward.
FALLBACK = BenchClip("bridge_committed", COMMITTED, "bridge", 1, "crop", "3 s, forward and backward to 20 s")


def _fit(bgr: np.ndarray, how: str) -> np.ndarray:
    """``crop``: centre-crop to 4:3 and scale to 640x480; ``pad``: scale down only if too large, then
    add black bars around to 640x480."""
    h, w = bgr.shape[:2]
    if how == "pad":
        s = min(1.0, W / w, H / h)
        if s < 1.0:
            bgr = cv2.resize(bgr, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        h, w = bgr.shape[:2]
        top, left = (H - h) // 2, (W - w) // 2
        return cv2.copyMakeBorder(bgr, top, H - h - top, left, W - w - left, cv2.BORDER_CONSTANT, value=0)
    if w * 3 > h * 4:
        cw = h * 4 // 3
        bgr = bgr[:, (w - cw) // 2 : (w - cw) // 2 + cw]
    elif w * 3 < h * 4:
        ch = w * 3 // 4
        bgr = bgr[(h - ch) // 2 : (h - ch) // 2 + ch]
    if bgr.shape[:2] != (H, W):
        bgr = cv2.resize(bgr, (W, H), interpolation=cv2.INTER_AREA)
    return bgr


def build_clip(clip: BenchClip, path: Path, seconds: float) -> Path:
    """Write the 640x480 30 fps bench clip of ``seconds`` (played on backward if the source is shorter).

    Frames are kept JPEG-compressed in memory while building.
    """
    n = round(seconds * FPS)
    frames = []
    for i, _t, bgr in read_frames(probe(clip.source)):
        if i % clip.step:
            continue
        ok, jpg = cv2.imencode(".jpg", _fit(bgr, clip.fit), [cv2.IMWRITE_JPEG_QUALITY, 95])
        if not ok:
            raise SystemExit(f"cannot encode a frame of {clip.source}")
        frames.append(jpg)
        if len(frames) >= n:
            break
    cycle = frames + frames[-2:0:-1] if len(frames) < n else frames
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


def clip_path(clip: BenchClip, seconds: float) -> Path:
    """The bench clip (built once, then reused from the temp folder)."""
    path = Path(tempfile.gettempdir()) / "formcheck_bench" / f"{clip.name}_{W}x{H}_30fps_{int(seconds)}s.mp4"
    if not path.is_file() or probe(path).frames != round(seconds * FPS):
        build_clip(clip, path, seconds)
    return path


# ----------------------------------------------------------------------------------------------- helpers


def timed(fn: Callable[[], T]) -> tuple[float, float, T]:
    """``(wall s, CPU s of this process, result)`` of ``fn()``."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


def children_cpu() -> float:
    """User + system CPU seconds of the finished child processes (and theirs) so far."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def load_now() -> str:
    """The machine's load averages (1, 5, 15 min)."""
    la = os.getloadavg()
    return f"{la[0]:.1f} {la[1]:.1f} {la[2]:.1f}"


def row(name: str, ms: float, note: str = "") -> None:
    print(f"  {name:46s} {ms:8.2f} ms/frame  {note}")


def python_seconds(code: str) -> tuple[float, float]:
    """Run ``code`` in a fresh interpreter; it prints wall and CPU seconds as its last two words."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall, cpu = out.stdout.split()[-2:]
    return float(wall), float(cpu)


# ------------------------------------------------------------------------------------------------ start-up


def bench_startup(runs: int) -> float:
    """Start-up of ``formcheck analyze`` before the pose processes start (medians of fresh interpreters).

    Returns:
        The serial part in CPU seconds (interpreter + imports + mediapipe), for the idle-machine estimate.
    """
    stamp = "import time; t, c = time.perf_counter(), time.process_time(); "
    tell = "; print(time.perf_counter() - t, time.process_time() - c)"
    steps = {
        "interpreter start (python -c pass)": None,
        "import formcheck.cli + analyze": stamp + "import formcheck.cli, formcheck.analysis.analyze" + tell,
        "import mediapipe, matplotlib deferred": (
            "import formcheck.pose.landmarker as p; " + stamp + "p.import_mediapipe()" + tell
        ),
    }
    serial = 0.0
    for name, code in steps.items():
        if code is None:
            walls, cpus = [], []
            for _ in range(runs):
                c0, t0 = children_cpu(), time.perf_counter()
                subprocess.run([sys.executable, "-c", "pass"], check=True)
                walls.append(time.perf_counter() - t0)
                cpus.append(children_cpu() - c0)
            wall, cpu = statistics.median(walls), statistics.median(cpus)
        else:
            got = [python_seconds(code) for _ in range(runs)]
            wall, cpu = statistics.median(g[0] for g in got), statistics.median(g[1] for g in got)
        serial += cpu
        print(f"  {name:46s} {wall:6.2f} s wall {cpu:6.2f} s CPU")
    return serial


# ----------------------------------------------------------------------------------------- whole command


def bench_command(path: Path, exercise: str, runs: int) -> None:
    """``formcheck analyze VIDEO --exercise E --json`` in fresh interpreters: posing at the default rate
    and every frame, interleaved, ``runs`` times each."""
    info = probe(path)
    duration = info.frames / info.fps
    base = [sys.executable, "-m", "formcheck.cli", "analyze", str(path), "--exercise", exercise, "--json"]
    variants = {
        f"pose {MIN_POSE_FPS:g} fps (default)": [],
        "pose every frame (--pose-fps 0)": ["--pose-fps", "0"],
    }
    got: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}
    for r in range(runs):
        for name, extra in variants.items():
            load = load_now()
            c0, t0 = children_cpu(), time.perf_counter()
            out = subprocess.run(base + extra, capture_output=True, text=True)
            wall, cpu = time.perf_counter() - t0, children_cpu() - c0
            if out.returncode != 0:
                lines = out.stderr.strip().splitlines() or ["(no message)"]
                print(f"    {name}: failed: {lines[-1]}")
                return
            reps = json.loads(out.stdout)["reps"]
            got[name].append((wall, cpu))
            print(
                f"    run {r + 1} {name:32s} {wall:6.2f} s wall = {duration / wall:4.2f}x; {cpu:5.1f} CPU s "
                f"= {1000 * cpu / info.frames:4.1f} ms/frame, {cpu / wall:4.2f} cores busy; load {load}; "
                f"reps {reps}"
            )
    for name, vals in got.items():
        wall, cpu = statistics.median(v[0] for v in vals), statistics.median(v[1] for v in vals)
        print(
            f"  median {name:32s} {wall:6.2f} s = {duration / wall:4.2f}x real time (busy machine); "
            f"{cpu:5.1f} CPU s = {1000 * cpu / info.frames:4.1f} CPU ms/frame"
        )


# ---------------------------------------------------------------------------------- where the time goes


def inside(path: Path, exercise: str, min_pose_fps: float, annotated: bool) -> dict:
    """The analysis (and the annotated video) in this process; its figures as a JSON-ready dict.

    Run by :func:`bench_inside` in a fresh interpreter, as the command runs it: a process that has
    created a landmarker starts its workers by spawning instead of forking, which would change the figures.
    """
    template = load_template(exercise)
    c_kids = children_cpu()
    wall, cpu_self, a = timed(lambda: analyze_video(path, template, min_pose_fps=min_pose_fps))
    doc = {
        "wall": wall,
        "cpu": cpu_self + children_cpu() - c_kids,
        "post": timed(lambda: analyze_trace(a.trace, template))[1],
        "reps": len(a.reps),
        "pose_every": a.pose_every,
        "stats": [dataclasses.asdict(s) for s in a.pass_stats],
    }
    if annotated:
        out = Path(tempfile.mkdtemp()) / "annotated.mp4"
        w, c, n = timed(lambda: write_annotated(a, path, out))
        out.unlink(missing_ok=True)
        doc["annotated"] = {"wall": w, "cpu": c, "frames": n}
    return doc


def bench_inside(path: Path, exercise: str, serial_s: float, min_pose_fps: float, annotated: bool) -> None:
    """The analysis in a fresh interpreter (start-up apart): per pose process CPU by step, overlap, the
    CPU after the pass, the idle-machine estimate; and the annotated video."""
    info = probe(path)
    duration = info.frames / info.fps
    cmd = [sys.executable, __file__, "--inside", str(path), exercise, str(min_pose_fps)]
    out = subprocess.run(cmd + (["--annotated"] if annotated else []), capture_output=True, text=True)
    if out.returncode != 0:
        print(f"  failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}")
        return
    d = json.loads(out.stdout.strip().splitlines()[-1])
    stats = d["stats"]
    print(
        f"  pose at {info.fps / d['pose_every']:g} fps (every {d['pose_every']}. frame), {len(stats)} "
        f"process(es): {d['wall']:.1f} s wall, {d['cpu']:.1f} CPU s = "
        f"{1000 * d['cpu'] / info.frames:.1f} ms/frame, reps {d['reps']}"
    )
    print(
        f"    {'CPU ms per video frame':26s}" + "".join(f"{s[:11]:>12s}" for s in PASS_STEPS) + "       total"
    )
    for k, s in enumerate(stats):
        n = max(s["frames"], 1)
        print(
            f"    process {k + 1}: {s['frames']:3d}/{s['posed']:3d}".ljust(30)
            + "".join(f"{1000 * s['cpu'][step] / n:12.2f}" for step in PASS_STEPS)
            + f"{1000 * sum(s['cpu'].values()) / n:12.2f}"
        )
    t0 = min(s["started"] for s in stats)
    for k, s in enumerate(stats):
        cpu = sum(s["cpu"].values())
        print(
            f"    process {k + 1}: started {s['started'] - t0:5.2f} s, first frame posed "
            f"{s['first'] - t0:5.2f} s, last {s['ended'] - t0:5.2f} s; {cpu:5.2f} CPU s = "
            f"{cpu / max(s['ended'] - s['started'], 1e-9):.2f} of a core while it ran"
        )
    if len(stats) > 1:
        both = max(0.0, min(s["ended"] for s in stats) - max(s["first"] for s in stats))
        either = max(s["ended"] for s in stats) - min(s["first"] for s in stats)
        print(
            f"    overlap: both processes posing {both:.1f} s of the {either:.1f} s any was "
            f"({both / either:.0%})"
        )
    busiest = max(sum(s["cpu"].values()) for s in stats)
    idle = serial_s + busiest + d["post"]
    print(
        f"    after the pass (smoothing, features, engine) {d['post']:.2f} CPU s; idle 2-core estimate: "
        f"start-up {serial_s:.2f} + busier process {busiest:.2f} + after {d['post']:.2f} = {idle:.2f} s = "
        f"{duration / idle:.2f}x real time (target >= {TARGET_REALTIME:g}x)"
    )
    if "annotated" in d:
        v = d["annotated"]
        print(
            f"  annotated video (--out; after the analysis, 3 threads): {v['wall']:.1f} s wall, "
            f"{v['cpu']:.1f} CPU s = {1000 * v['cpu'] / max(v['frames'], 1):.1f} CPU ms/frame "
            f"({v['cpu'] / v['wall']:.2f} cores busy); idle estimate with it: about "
            f"{idle + v['cpu'] / 2:.1f} s = {duration / (idle + v['cpu'] / 2):.2f}x real time"
        )


def bench_mask(path: Path, n_frames: int) -> None:
    """CPU per posed frame with and without the segmentation mask, and our back curvature from it."""
    from formcheck.core.back import back_measures
    from formcheck.core.landmarks import Side

    info = probe(path)
    rgbs = [
        cv2.cvtColor(b, cv2.COLOR_BGR2RGB) for i, _t, b in read_frames(info, 0, 2 * n_frames) if i % 2 == 0
    ]
    for with_mask in (False, True):
        with PoseEstimator("full", with_mask=with_mask, people_check_every_s=0) as est:
            est.detect(rgbs[0], 0)
            c0 = time.process_time()
            frames = [est.detect(rgb, round(k * 2000 / FPS)) for k, rgb in enumerate(rgbs[1:], 1)]
            pose = (time.process_time() - c0) / len(frames)
        row(
            f"pose model, full{' + mask' if with_mask else ''}",
            1000 * pose,
            f"CPU, {len(frames)} posed frames",
        )
    with_pose = [f for f in frames if f.mask is not None and f.has_pose]
    c0 = time.process_time()
    for f in with_pose:
        for side in (Side.LEFT, Side.RIGHT):
            back_measures(f.mask, f.landmarks, side)
    row(
        "back curvature from the mask, both sides", 1000 * (time.process_time() - c0) / max(len(with_pose), 1)
    )


def bench_engine(stem: str, exercise: str) -> None:
    """Features + engine per frame, offline and live, on the committed trace of a real recording."""
    path = REPO_ROOT / "tests" / "data" / "traces" / f"{stem}.npz"
    if not path.is_file():
        print(f"  {stem}: no committed trace")
        return
    trace, template = PoseTrace.load(str(path)), load_template(exercise)
    n = trace.frames
    print(f" {stem} ({exercise}, {n} frames, {trace.fps:g} fps):")
    t_feat = min(timed(lambda: trace_features(trace))[1] for _ in range(3))
    _side, feats = trace_features(trace)
    t_eng = min(timed(lambda: run_engine(template, trace.times, feats))[1] for _ in range(3))
    ms = 1000 * (t_feat + t_eng) / n
    row(
        "features + engine offline",
        ms,
        f"target <= {TARGET_FEATURES_MS:g}: {'OK' if ms <= TARGET_FEATURES_MS else 'MISSED'} (features "
        f"{1000 * t_feat / n:.3f}, engine {1000 * t_eng / n:.3f}; CPU)",
    )
    live = LivePipeline(template, require_setup=False)

    def step_all() -> None:
        for i in range(n):
            live.step(
                float(trace.times[i]),
                trace.landmarks[i],
                trace.world[i],
                trace.size,
                back=(float(trace.back[i, 0]), float(trace.back[i, 1])),
                n_people=int(trace.n_people[i]),
                brightness=float(trace.brightness[i]),
            )

    ms = 1000 * timed(step_all)[1] / n
    row(
        "features + engine live (LivePipeline.step)",
        ms,
        f"target <= {TARGET_FEATURES_MS:g}: {'OK' if ms <= TARGET_FEATURES_MS else 'MISSED'} (CPU)",
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the bench clips (default 20)")
    ap.add_argument("--runs", type=int, default=3, help="runs of the whole command per variant (default 3)")
    ap.add_argument("--clips", nargs="*", help="bench clip names (default: all): bridge lifting cat_cow")
    ap.add_argument("--no-command", action="store_true", help="skip the whole-command runs")
    ap.add_argument("--inside", nargs=3, metavar=("CLIP", "EXERCISE", "MIN_POSE_FPS"), help=argparse.SUPPRESS)
    ap.add_argument("--annotated", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.inside:  # one analysis in this fresh interpreter (see bench_inside)
        clip, exercise, fps = args.inside
        print(json.dumps(inside(Path(clip), exercise, float(fps), args.annotated)))
        return 0
    mediapipe = import_mediapipe()
    print(
        f"formcheck analyze benchmark  python {platform.python_version()}  "
        f"mediapipe {mediapipe.__version__}  "
        f"opencv {cv2.__version__}  cpus {os.cpu_count()}  load {load_now()}  "
        f"2-person check every {OFFLINE_PEOPLE_CHECK_EVERY_S:g} s"
    )
    clips = [c for c in BENCH_CLIPS if c.source.is_file() and (not args.clips or c.name in args.clips)]
    if not clips:
        print(f"no shared clips under {SHARED_CLIPS}: the committed clip stands in")
        clips = [FALLBACK]
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(
            "note: busy machine (load above the cpu count): wall times are pessimistic; see the CPU seconds"
        )
    print(f"\nstart-up (median of {args.runs} fresh interpreters)")
    serial = bench_startup(args.runs)
    for clip in clips:
        path = clip_path(clip, args.seconds)
        info = probe(path)
        mask = load_template(clip.exercise).needs_mask
        print(
            f"\n{clip.name}: {path.name} from {clip.source.name} ({clip.how}); {info.width}x{info.height}, "
            f"{info.fps:g} fps, {info.frames} frames, {info.frames / info.fps:.1f} s; "
            f"mask {'yes' if mask else 'no'}"
        )
        if not args.no_command:
            bench_command(path, clip.exercise, args.runs)
        print("  the analysis in a fresh interpreter, start-up apart:")
        bench_inside(path, clip.exercise, serial, MIN_POSE_FPS, annotated=True)
        bench_inside(path, clip.exercise, serial, 0.0, annotated=False)
    print("\nper frame (CPU, this process)")
    bench_mask(clip_path(clips[-1], args.seconds), 60)
    for clip in clips:
        bench_engine(clip.source.stem, clip.exercise)
    return 0


if __name__ == "__main__":
    sys.exit(main())
