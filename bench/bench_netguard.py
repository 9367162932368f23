"""What the network guard costs: pose speed, memory and landmarks with the guard on and off.

Run: ``python bench/bench_netguard.py [CLIP]`` (about a minute). The clip's frames are decoded once; the
same frames then go through a fresh ``PoseEstimator`` with the guard on and with ``FORMCHECK_NETGUARD=off``,
alternately, several times. Prints the median ms per frame of each, the cost of one hop to the guarded
thread, peak memory, and the largest landmark difference between the two. No assertions.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from formcheck.pose.landmarker import PoseEstimator
from formcheck.pose.netguard import ENV_SWITCH, NetlessThread
from formcheck.pose.video import probe, read_frames

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CLIP = REPO_ROOT.parent / "shared" / "clips" / "lifting" / "tby66_0016c_1.mp4"


def run_once(rgbs: list[np.ndarray], fps: float, model: str, guard: bool) -> tuple[float, np.ndarray, bool]:
    """One pass: (median seconds per frame after warm-up, landmarks, whether the guard was on)."""
    if guard:
        os.environ.pop(ENV_SWITCH, None)
    else:
        os.environ[ENV_SWITCH] = "off"
    times, lms = [], []
    with PoseEstimator(model, with_mask=True) as est:
        guarded = est.net_guarded
        for k, rgb in enumerate(rgbs):
            t0 = time.perf_counter()
            pf = est.detect(rgb, round(k * 1000 / fps))
            times.append(time.perf_counter() - t0)
            lms.append(pf.landmarks)
    os.environ.pop(ENV_SWITCH, None)
    return float(np.median(times[5:])), np.asarray(lms), guarded


def hop_cost_us(n: int = 2000) -> float:
    """Median microseconds of one empty call through the guarded thread."""
    t = NetlessThread()
    try:
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            t.call(int)
            samples.append(time.perf_counter() - t0)
    finally:
        t.shutdown()
    return 1e6 * float(np.median(samples))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", nargs="?", type=Path, default=DEFAULT_CLIP)
    ap.add_argument("--frames", type=int, default=240, help="frames per pass (default 240)")
    ap.add_argument("--rounds", type=int, default=3, help="passes per setting (default 3)")
    ap.add_argument("--model", default="full")
    args = ap.parse_args(argv)
    if not args.clip.is_file():
        print(f"bench_netguard: no clip {args.clip}", file=sys.stderr)
        return 2
    info = probe(args.clip)
    rgbs = [cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) for _i, _t, bgr in read_frames(info, 0, args.frames)]
    print(
        f"clip {args.clip.name} ({info.width}x{info.height}, {len(rgbs)} frames), "
        f"model {args.model} + mask, load {os.getloadavg()[0]:.1f}"
    )
    ms: dict[bool, list[float]] = {True: [], False: []}
    first: dict[bool, np.ndarray] = {}
    for _ in range(args.rounds):
        for guard in (True, False):
            s, lm, guarded = run_once(rgbs, info.fps, args.model, guard)
            if guarded != guard:
                print(f"  guard expected {'on' if guard else 'off'} but was {'on' if guarded else 'off'}")
            ms[guard].append(1000 * s)
            first.setdefault(guard, lm)
    for guard in (True, False):
        vals = ", ".join(f"{v:.1f}" for v in ms[guard])
        label = "on " if guard else "off"
        print(f"  guard {label}  {np.median(ms[guard]):6.2f} ms/frame (median of runs: {vals})")
    a, b = first[True], first[False]
    same_nan = bool(np.array_equal(np.isnan(a), np.isnan(b)))
    diff = float(np.nanmax(np.abs(a - b))) if np.isfinite(a).any() else float("nan")
    print(f"  landmarks guard on vs off: same missing frames {same_nan}, max |difference| {diff:.3g}")
    print(f"  one hop to the guarded thread: {hop_cost_us():.0f} us")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
