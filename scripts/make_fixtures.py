"""Extract pose traces from the shared clips once, for fast engine tests without the model.

Runs the real pose model (with the segmentation mask, for the back-curvature index) over every clip in a
labels file and writes ``tests/data/traces/<clip stem>.npz`` (:class:`formcheck.pose.pipeline.PoseTrace`).
Only numbers derived from the clips are written, never frames.

    python scripts/make_fixtures.py [--labels ../shared/clips/labels.json] [--model full] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from formcheck.analysis.analyze import extract_trace
from formcheck.pose.video import probe

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Write one trace per labelled clip; returns the exit code."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--labels", type=Path, default=ROOT.parent / "shared" / "clips" / "labels.json")
    p.add_argument("--model", default="full", choices=("lite", "full", "heavy"))
    p.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "traces")
    p.add_argument("--only", help="comma-separated clip stems")
    args = p.parse_args()
    if not args.labels.is_file():
        print(f"labels file not found: {args.labels}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    for clip in json.loads(args.labels.read_text())["clips"]:
        path = args.labels.parent / clip["file"]
        if only and path.stem not in only:
            continue
        t0 = time.perf_counter()
        trace = extract_trace(probe(path), args.model, with_mask=True)
        trace.save(str(args.out / f"{path.stem}.npz"))
        print(f"{path.stem}: {trace.frames} frames in {time.perf_counter() - t0:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
