"""Benchmark the live path as the browser drives it, without a browser.

A stub camera track plays a clip in real time (30 fps by default, looping) into streamlit-webrtc's own
``AsyncVideoProcessTrack`` with formcheck's :class:`~formcheck.webapp.live.LiveProcessor`, exactly as
``webrtc_streamer(async_processing=True)`` wires it; the output frames are VP8-encoded like aiortc does when
it sends the video back. Prints the processed frame rate, the dropped frames, and the time from a frame's
arrival to its update (and its cue) being ready for the page.

    .venv/bin/python bench/bench_live.py [--clip PATH] [--exercise bridge] [--model auto|lite|full]
        [--seconds 12] [--no-encode] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np
from aiortc import MediaStreamTrack
from streamlit_webrtc.process import AsyncVideoProcessTrack

from formcheck.video import probe, read_frames
from formcheck.webapp.live import TARGET_FPS, CoachSession, LiveProcessor, LiveSettings, reset_auto_decision

DEFAULT_CLIP = (
    Path(__file__).resolve().parents[1].parent / "shared" / "clips" / "bridge" / "physioplus_bridging.mp4"
)


class ClipTrack(MediaStreamTrack):
    """A fake camera: the clip's frames (640x480, looping) delivered in real time at ``fps``."""

    kind = "video"

    def __init__(self, frames: list[np.ndarray], fps: float) -> None:
        super().__init__()
        self.frames = frames
        self.fps = fps
        self.i = 0
        self.start: float | None = None

    async def recv(self) -> av.VideoFrame:
        """The next frame, at its presentation time."""
        if self.start is None:
            self.start = time.monotonic()
        due = self.start + self.i / self.fps
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = av.VideoFrame.from_ndarray(self.frames[self.i % len(self.frames)], format="bgr24")
        frame.pts = self.i * 3000
        frame.time_base = fractions.Fraction(1, 90000)
        self.i += 1
        return frame


def load_clip(path: Path, size: tuple[int, int] = (640, 480)) -> list[np.ndarray]:
    """Every frame of ``path`` resized to ``size`` (BGR)."""
    return [
        cv2.resize(f, size) if (f.shape[1], f.shape[0]) != size else f
        for _i, _t, f in read_frames(probe(path))
    ]


async def run(args: argparse.Namespace) -> dict[str, object]:
    """Drive the processor for ``args.seconds`` and return the figures."""
    frames = load_clip(Path(args.clip))
    if not frames:
        raise SystemExit(f"no frames in {args.clip}")
    reset_auto_decision()
    session = CoachSession(LiveSettings(exercise=args.exercise, lang="en", model=args.model))
    processor = LiveProcessor(session)
    track = ClipTrack(frames, args.fps)
    out = AsyncVideoProcessTrack(track, processor)
    encoder = None
    if not args.no_encode:
        encoder = av.CodecContext.create("libvpx", "w")
        encoder.width, encoder.height, encoder.pix_fmt = 640, 480, "yuv420p"
        encoder.bit_rate = 1_000_000
        encoder.framerate = fractions.Fraction(int(args.fps), 1)
        encoder.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    t_end = time.monotonic() + args.seconds
    sent = 0
    unique: set[int] = set()
    while time.monotonic() < t_end:
        f = await out.recv()
        sent += 1
        unique.add(id(f))
        if encoder is not None:
            encoder.encode(f.reformat(format="yuv420p"))
    out.stop()
    processor.on_ended()
    st = processor.stats.summary()
    updates = session.drain()
    duration = args.seconds
    return {
        "clip": Path(args.clip).name,
        "exercise": args.exercise,
        "model": processor.model,
        "model_note": session.model_note,
        "input_fps": args.fps,
        "seconds": duration,
        "frames_in": track.i,
        "frames_out": sent,
        "processed": st["processed"],
        "processed_fps": round(st["processed"] / duration, 1),
        "dropped": st["dropped"],
        "dropped_share": round(st["dropped"] / max(1, track.i), 3),
        "latency_ms_median": st["latency_ms_median"],
        "latency_ms_p95": st["latency_ms_p95"],
        "cue_latency_ms_median": st["cue_latency_ms_median"],
        "cue_latency_ms_max": st["cue_latency_ms_max"],
        "pose_ms_median": st["pose_ms_median"],
        "reps": updates[-1].reps if updates else 0,
        "cues": len(session.record.cues) if session.record else 0,
        "vp8_encode": encoder is not None,
        "target_fps": TARGET_FPS,
        "target_fps_met": st["processed"] / duration >= TARGET_FPS,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clip", default=str(DEFAULT_CLIP))
    p.add_argument("--exercise", default="bridge")
    p.add_argument("--model", default="auto", choices=["auto", "lite", "full"])
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--seconds", type=float, default=12.0)
    p.add_argument("--no-encode", action="store_true", help="do not VP8-encode the output frames")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if not Path(args.clip).is_file():
        print(f"clip not found: {args.clip}", file=sys.stderr)
        return 2
    res = asyncio.run(run(args))
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            if k in ("target_fps", "target_fps_met"):
                continue
            note = ""
            if k == "processed_fps":
                note = f"  target >= {TARGET_FPS:g} fps: {'OK' if res['target_fps_met'] else 'MISSED'}"
            print(f"{k:>22}: {v}{note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
