"""What posing fewer frames changes: shared clips posed at ``--min-pose-fps`` against the committed traces.

Run: ``python bench/bench_pose_rate.py [--min-pose-fps 15] [--out DIR] [--only STEM,...]`` (slow: the pose
model on every labelled clip whose frame rate gives a stride above 1; about 40 minutes on a busy 2-core
machine; clips already in ``DIR`` are reused). Prints figures; there are no assertions.

Every clip of ``../shared/clips/labels.json`` with a template is posed as ``scripts/make_fixtures.py`` does
(full model, with the mask, workers as ``analyze`` sets them) but on every n-th frame only, the frames in
between interpolated (:func:`formcheck.pose.pipeline.pose_stride`, :func:`fill_unposed`), and written to
``DIR/<stem>.npz``; clips posed on every frame anyway get their committed trace copied. Then, per clip:
the rep count and the lift techniques against the committed trace (every frame), the holds, and how far the
landmarks of the posed frames moved. ``formcheck evaluate ../shared/clips/labels.json --traces DIR`` then
gives the accuracy against the labels, to set beside the same command on ``tests/data/traces``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from formcheck.analysis.analyze import analyze_trace, extract_trace
from formcheck.core.templates import available, load_template
from formcheck.pose.pipeline import MIN_POSE_FPS, PoseTrace, pose_stride
from formcheck.pose.video import probe

REPO_ROOT = Path(__file__).resolve().parent.parent
TRACES = REPO_ROOT / "tests" / "data" / "traces"
SHARED_CLIPS = Path(os.environ.get("FORMCHECK_SHARED", REPO_ROOT.parent / "shared")) / "clips"


def extract(clips: list[tuple[Path, str]], out: Path, min_pose_fps: float) -> None:
    """Pose every clip at the reduced rate into ``out`` (committed traces copied where the rate is full)."""
    for path, _exercise in clips:
        dst = out / f"{path.stem}.npz"
        if dst.exists():
            continue
        info = probe(path)
        every = pose_stride(info.fps, min_pose_fps)
        if every == 1:
            if (TRACES / dst.name).is_file():
                shutil.copy(TRACES / dst.name, dst)
            continue
        t0, stats = time.perf_counter(), []
        trace = extract_trace(info, "full", with_mask=True, pose_every=every, stats=stats)
        trace.save(str(dst))
        print(
            f"  posed {path.stem}: every {every}. frame, {sum(s.posed for s in stats)} of {trace.frames} "
            f"frames, {sum(s.cpu_total for s in stats):.1f} CPU s, {time.perf_counter() - t0:.0f} s",
            flush=True,
        )


def compare(clips: list[tuple[Path, str]], out: Path, min_pose_fps: float) -> None:
    """Counts, techniques and holds on the reduced-rate traces against the committed ones."""
    n = same_count = lifts = same_lifts = 0
    d_knee: list[float] = []
    d_trunk: list[float] = []
    for path, exercise in clips:
        full_path, low_path = TRACES / f"{path.stem}.npz", out / f"{path.stem}.npz"
        if not full_path.is_file() or not low_path.is_file():
            continue
        full, low = PoseTrace.load(str(full_path)), PoseTrace.load(str(low_path))
        every = pose_stride(full.fps, min_pose_fps)
        if every == 1:
            continue
        template = load_template(exercise)
        a, b = analyze_trace(full, template).reps, analyze_trace(low, template).reps
        n += 1
        same_count += len(a) == len(b)
        flips = []
        if template.technique is not None and len(a) == len(b):
            for k, (x, y) in enumerate(zip(a, b, strict=True)):
                lifts += 1
                same_lifts += x.technique == y.technique
                kx, ky = x.peaks.get("knee_flexion", np.nan), y.peaks.get("knee_flexion", np.nan)
                tx, ty = x.peaks.get("trunk_incline", np.nan), y.peaks.get("trunk_incline", np.nan)
                d_knee.append(ky - kx)
                d_trunk.append(ty - tx)
                if x.technique != y.technique:
                    flips.append(
                        f"lift {k + 1} {x.technique} ({kx:.1f}/{tx:.1f}) -> {y.technique} ({ky:.1f}/{ty:.1f})"
                    )
        size = np.array(full.size, dtype=np.float64)
        px = np.linalg.norm((full.landmarks[::every, :, :2] - low.landmarks[::every, :, :2]) * size, axis=-1)
        holds = [
            (round(x.hold_s, 2), round(y.hold_s, 2))
            for x, y in zip(a, b, strict=False)
            if x.hold_s and y.hold_s
        ]
        print(
            f"  {path.stem:42s} {exercise:8s} every {every}: reps {len(a)} -> {len(b)}"
            f"{'' if len(a) == len(b) else ' (COUNT)'}; posed landmarks moved {np.nanmedian(px):.1f} px "
            f"(95 % within {np.nanpercentile(px, 95):.1f})" + (f"; holds {holds}" if holds else "")
        )
        for f in flips:
            print(f"      technique: {f} (knee flexion / trunk lean, degrees)")
    print(f"\n{n} clips posed at the reduced rate: the same count on {same_count}")
    if lifts:
        dk, dt = np.array(d_knee), np.array(d_trunk)
        dk, dt = dk[np.isfinite(dk)], dt[np.isfinite(dt)]
        print(
            f"lifts found in both: {lifts}, the same technique on {same_lifts}; at the lowest point knee "
            f"flexion moved by median {np.median(dk):+.2f} degrees "
            f"(90 % within {np.percentile(abs(dk), 90):.1f}), "
            f"trunk lean by median {np.median(dt):+.2f} (90 % within {np.percentile(abs(dt), 90):.1f})"
        )
    print(f"accuracy against the labels: formcheck evaluate {SHARED_CLIPS / 'labels.json'} --traces {out}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-pose-fps", type=float, default=MIN_POSE_FPS, help="default: analyze's")
    ap.add_argument("--out", type=Path, help="folder for the traces (default: a folder in the temp dir)")
    ap.add_argument("--only", help="comma-separated clip stems")
    args = ap.parse_args(argv)
    labels = SHARED_CLIPS / "labels.json"
    if not labels.is_file():
        print(f"needs {labels}")
        return 2
    out = args.out or Path(tempfile.gettempdir()) / f"formcheck_pose_{args.min_pose_fps:g}fps"
    out.mkdir(parents=True, exist_ok=True)
    known, only = set(available()), set(args.only.split(",")) if args.only else None
    clips = []
    for c in json.loads(labels.read_text(encoding="utf-8"))["clips"]:
        exercise, path = str(c.get("exercise", "")).replace("-", "_"), SHARED_CLIPS / c["file"]
        if exercise in known and path.is_file() and (only is None or path.stem in only):
            clips.append((path, exercise))
    print(f"{len(clips)} labelled clips with a template; traces in {out}")
    extract(clips, out, args.min_pose_fps)
    compare(clips, out, args.min_pose_fps)
    return 0


if __name__ == "__main__":  # the guard matters: later clips start their workers by spawning
    sys.exit(main())
