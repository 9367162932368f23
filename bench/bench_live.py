"""Benchmark the live path as the page drives it, without a browser: the clip in real time over the page's
websocket transport to a real frame server (see ``bench/bench_transport.py``, which also measures WebRTC).

Prints the processed frame rate against the target, the dropped share, the time from a frame's arrival to
its update (and its cue) being ready, the server's CPU time per frame and the page-side round trip.

    .venv/bin/python bench/bench_live.py [--clip PATH] [--exercise bridge] [--model auto|lite|full]
        [--seconds 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench_transport import DEFAULT_CLIP, _run_ws

from formcheck.webapp.live import TARGET_FPS


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clip", default=str(DEFAULT_CLIP))
    p.add_argument("--exercise", default="bridge")
    p.add_argument("--model", default="auto", choices=["auto", "lite", "full"])
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if not Path(args.clip).is_file():
        print(f"clip not found: {args.clip}", file=sys.stderr)
        return 2
    res = _run_ws(args)
    res["target_fps"] = TARGET_FPS
    res["target_fps_met"] = res["processed_fps"] >= TARGET_FPS
    if args.json:
        print(json.dumps(res))
        return 0
    for k, v in res.items():
        if k in ("target_fps", "target_fps_met"):
            continue
        note = ""
        if k == "processed_fps":
            note = f"  target >= {TARGET_FPS:g} fps: {'OK' if res['target_fps_met'] else 'MISSED'}"
        print(f"{k:>32}: {v}{note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
