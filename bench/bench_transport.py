"""Compare the two live transports, the same clip through the same :class:`LiveProcessor`, without a browser.

- ``ws`` (what the page uses): a client process plays the clip in real time (30 fps, 640x480, looping),
  JPEG-encodes each frame (quality 70, as the page's canvas does) and sends it to a real
  :class:`~formcheck.webapp.frameserver.FrameServer` on 127.0.0.1 with at most two frames unanswered (the
  page's rule: a frame that cannot be sent is never taken); the server answers each processed frame with
  its overlay message. Works with only ``lo``.
- ``webrtc`` (streamlit-webrtc, what the page used before): the clip is VP8-encoded beforehand (the
  browser's part), decoded frame by frame in real time as aiortc does, fed through streamlit-webrtc's own
  ``AsyncVideoProcessTrack`` to the processor, and the annotated output is VP8-encoded again by aiortc's own
  encoder off the event loop (aiortc sending the video back). Needs a network interface other than loopback
  in real use.

Printed per transport: processed frames per second, dropped share, the time from a frame's arrival to its
update being ready (median, 95th percentile), the same for frames that raised a cue ("frame-to-cue"), the
server's CPU time per processed frame (all its threads; the ws client runs in its own process), and the
pose time. For ``ws`` also the page-side figures: the time from grabbing a frame to its overlay being back
(median, p95; and for cue frames), the JPEG encode time, the bytes per frame.

    .venv/bin/python bench/bench_transport.py [--transport both|ws|webrtc] [--seconds 20]
        [--model lite|full|auto] [--clip PATH] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from formcheck.pose.video import probe, read_frames
from formcheck.webapp.live import CoachSession, LiveProcessor, LiveSettings, reset_auto_decision

if TYPE_CHECKING:
    import av

DEFAULT_CLIP = (
    Path(__file__).resolve().parents[1].parent / "shared" / "clips" / "bridge" / "physioplus_bridging.mp4"
)
SIZE = (640, 480)
JPEG_QUALITY = 70
MAX_IN_FLIGHT = 2


def load_clip(path: Path) -> list[np.ndarray]:
    """Every frame of ``path`` at 640x480 (BGR)."""
    return [
        cv2.resize(f, SIZE) if (f.shape[1], f.shape[0]) != SIZE else f
        for _i, _t, f in read_frames(probe(path))
    ]


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def _server_figures(proc: LiveProcessor, cpu_s: float, seconds: float, frames_in: int) -> dict[str, Any]:
    st = proc.stats
    lat = list(st.latency_ms)
    cue = list(st.cue_latency_ms)
    return {
        "model": proc.model,
        "seconds": round(seconds, 1),
        "frames_in": frames_in,
        "processed": st.processed,
        "processed_fps": round(st.processed / seconds, 1),
        "dropped_share": round(max(0, frames_in - st.processed) / max(1, frames_in), 3),
        "latency_ms_median": _pct(lat, 50),
        "latency_ms_p95": _pct(lat, 95),
        "cue_latency_ms_median": _pct(cue, 50),
        "cue_latency_ms_max": round(max(cue), 1) if cue else None,
        "cues": len(cue),
        "server_cpu_ms_per_frame": round(cpu_s * 1000.0 / max(1, st.processed), 1),
        "pose_ms_median": _pct(list(st.pose_ms), 50),
    }


# ------------------------------------------------------------------------------------------ webrtc


class WebRtcAdapter:
    """streamlit-webrtc's processor interface around :meth:`LiveProcessor.process_image`, as the page had it:
    only the newest of the queued frames is processed, and it goes back with the overlay drawn on it."""

    def __init__(self, processor: LiveProcessor) -> None:
        self.processor = processor

    async def recv_queued(self, frames: list[av.VideoFrame]) -> list[av.VideoFrame]:
        """Process the newest frame; the others are dropped (and counted)."""
        import av

        frame = frames[-1]
        bgr = frame.to_ndarray(format="bgr24")
        self.processor.process_image(bgr, frame.time, dropped=len(frames) - 1, draw=True)
        out = av.VideoFrame.from_ndarray(bgr, format="bgr24")
        out.pts, out.time_base = frame.pts, frame.time_base
        return [out]

    def on_ended(self) -> None:
        """The stream stopped."""
        self.processor.on_ended()


async def _run_webrtc(frames: list[np.ndarray], args: argparse.Namespace) -> dict[str, Any]:
    import av
    from aiortc import MediaStreamTrack
    from aiortc.codecs.vpx import Vp8Encoder
    from streamlit_webrtc.process import AsyncVideoProcessTrack

    def vp8(mode: str) -> av.CodecContext:
        c = av.CodecContext.create("libvpx", mode)
        if mode == "w":  # the browser's encoder, set up as aiortc sets up its own (real time, fast)
            c.width, c.height, c.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
            c.bit_rate = 1_000_000
            c.framerate = fractions.Fraction(int(args.fps), 1)
            c.options = {"deadline": "realtime", "cpu-used": "-6", "lag-in-frames": "0"}
        return c

    enc_in = vp8("w")  # the browser's encoder (not timed: it runs in the browser)
    packets: list[list[av.Packet]] = []
    for i, f in enumerate(frames):
        vf = av.VideoFrame.from_ndarray(f, format="bgr24").reformat(format="yuv420p")
        vf.pts = i
        packets.append(list(enc_in.encode(vf)))
    decode_ms: list[float] = []
    encode_ms: list[float] = []

    class VP8Track(MediaStreamTrack):
        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            self.i = 0
            self.start: float | None = None
            self.dec = vp8("r")

        async def recv(self) -> av.VideoFrame:
            if self.start is None:
                self.start = time.monotonic()
            delay = self.start + self.i / args.fps - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            k = self.i % len(packets)
            if k == 0:
                self.dec = vp8("r")  # the loop starts again at the key frame
            t0 = time.perf_counter()
            out = [f for p in packets[k] for f in self.dec.decode(p)]
            decode_ms.append((time.perf_counter() - t0) * 1000.0)
            frame = out[-1] if out else av.VideoFrame.from_ndarray(frames[k], format="bgr24")
            frame.pts = self.i * 3000
            frame.time_base = fractions.Fraction(1, 90000)
            self.i += 1
            return frame

    reset_auto_decision()
    session = CoachSession(LiveSettings(exercise=args.exercise, lang="en", model=args.model))
    processor = LiveProcessor(session)
    track = VP8Track()
    out = AsyncVideoProcessTrack(track, WebRtcAdapter(processor))
    enc_out = Vp8Encoder()  # aiortc's own encoder, run off the event loop as aiortc's sender does
    loop = asyncio.get_running_loop()

    def encode_back(f: av.VideoFrame) -> None:
        e0 = time.perf_counter()
        enc_out.encode(f)
        encode_ms.append((time.perf_counter() - e0) * 1000.0)

    cpu0, t0 = time.process_time(), time.monotonic()
    t_end = t0 + args.seconds
    last = None
    while time.monotonic() < t_end:
        f = await out.recv()
        if f is last:  # the same processed frame handed out again: nothing new to encode
            continue
        last = f
        await loop.run_in_executor(None, encode_back, f)
    seconds = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    out.stop()
    processor.on_ended()  # idempotent
    res = _server_figures(processor, cpu, seconds, track.i)
    res.update(
        vp8_decode_ms_median=_pct(decode_ms, 50),
        vp8_encode_back_ms_median=_pct(encode_ms, 50),
        reps=len(session.record.reps) if session.record else 0,
    )
    return res


# ------------------------------------------------------------------------------------------ websocket


def _ws_client(url: str, clip: str, fps: float, seconds: float, out: Any) -> None:
    """Child process: the page's part (real-time camera, JPEG encode, at most two frames in flight)."""
    from websockets.asyncio.client import connect

    from formcheck.webapp.wire import encode_frame

    frames = load_clip(Path(clip))
    jpegs: list[bytes] = []
    enc_ms: list[float] = []
    for f in frames:
        t0 = time.perf_counter()
        _ok, buf = cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        enc_ms.append((time.perf_counter() - t0) * 1000.0)
        jpegs.append(buf.tobytes())

    async def main() -> dict[str, Any]:
        sent_at: dict[int, float] = {}
        rtt: list[float] = []
        cue_rtt: list[float] = []
        state = {"sent": 0, "skipped": 0, "answered": 0, "reps": 0}
        async with connect(url, origin="http://127.0.0.1:8501", compression=None, max_size=None) as ws:

            async def receive() -> None:
                async for msg in ws:
                    m = json.loads(msg)
                    if m.get("type") not in ("overlay", "skip"):
                        continue
                    t = sent_at.get(m["seq"])
                    for k in [k for k in sent_at if k <= m["seq"]]:  # earlier frames: processed or dropped
                        sent_at.pop(k)
                    if m["type"] == "overlay" and t is not None:
                        ms = (time.monotonic() - t) * 1000.0
                        rtt.append(ms)
                        if m.get("new_cue"):
                            cue_rtt.append(ms)
                        state["answered"] += 1
                        state["reps"] = m["reps"]

            # Warm-up: the first frame waits for the session to start (model loading), as START does.
            await ws.send(encode_frame(0, time.monotonic() * 1000.0, jpegs[0]))
            while json.loads(await ws.recv()).get("type") not in ("overlay", "skip"):
                pass
            rx = asyncio.create_task(receive())
            start = time.monotonic()
            i = 0
            while time.monotonic() - start < seconds:
                delay = start + i / fps - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if len(sent_at) < MAX_IN_FLIGHT:
                    now = time.monotonic()
                    sent_at[i + 1] = now
                    await ws.send(encode_frame(i + 1, now * 1000.0, jpegs[i % len(jpegs)]))
                    state["sent"] += 1
                else:
                    state["skipped"] += 1
                i += 1
            await ws.send(json.dumps({"type": "stop"}))
            await asyncio.sleep(0.3)
            rx.cancel()
        return {
            "camera_frames": i,
            "sent": state["sent"],
            "not_taken": state["skipped"],
            "answered": state["answered"],
            "page_reps": state["reps"],
            "round_trip_ms_median": _pct(rtt[5:], 50),
            "round_trip_ms_p95": _pct(rtt[5:], 95),
            "cue_round_trip_ms_median": _pct(cue_rtt, 50),
            "cue_round_trip_ms_max": round(max(cue_rtt), 1) if cue_rtt else None,
            "jpeg_encode_ms_median": round(statistics.median(enc_ms), 1),
            "jpeg_bytes_median": int(statistics.median(len(j) for j in jpegs)),
        }

    out.put(asyncio.run(main()))


def _run_ws(args: argparse.Namespace) -> dict[str, Any]:
    from formcheck.webapp.frameserver import FrameServer

    made: list[LiveProcessor] = []

    def factory(session: CoachSession) -> LiveProcessor:
        p = LiveProcessor(session)
        made.append(p)
        return p

    reset_auto_decision()
    server = FrameServer(processor_factory=factory).start()
    session = CoachSession(LiveSettings(exercise=args.exercise, lang="en", model=args.model))
    url = server.url(server.register(session))
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    client = ctx.Process(target=_ws_client, args=(url, args.clip, args.fps, args.seconds, q), daemon=True)
    client.start()
    # The client's start-up and the session's (model loading) are not measured: wait for the first answer.
    while (not made or made[0].stats.processed < 1) and client.is_alive():
        time.sleep(0.01)
    cpu0, t0 = time.process_time(), time.monotonic()
    page = q.get(timeout=args.seconds + 120)
    seconds = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    client.join(timeout=10)
    server.stop()
    res = _server_figures(made[0], cpu, seconds, int(page["camera_frames"]) + 1)
    res["reps"] = len(session.record.reps) if session.record else 0
    res.update({f"page_{k}": v for k, v in page.items()})
    return res


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--transport", default="both", choices=["both", "ws", "webrtc"])
    p.add_argument("--clip", default=str(DEFAULT_CLIP))
    p.add_argument("--exercise", default="bridge")
    p.add_argument("--model", default="lite", choices=["auto", "lite", "full"])
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if not Path(args.clip).is_file():
        print(f"clip not found: {args.clip}", file=sys.stderr)
        return 2
    out: dict[str, Any] = {
        "clip": Path(args.clip).name,
        "cpus": os.cpu_count(),
        "load_1min": os.getloadavg()[0],
    }
    if args.transport in ("both", "ws"):
        out["ws"] = _run_ws(args)
    if args.transport in ("both", "webrtc"):
        try:
            import aiortc  # noqa: F401
            import streamlit_webrtc  # noqa: F401
        except ImportError:
            print("the webrtc measurement needs aiortc and streamlit-webrtc (pip install streamlit-webrtc)")
            return 2
        out["webrtc"] = asyncio.run(_run_webrtc(load_clip(Path(args.clip)), args))
    out["load_1min_end"] = round(os.getloadavg()[0], 1)
    if args.json:
        print(json.dumps(out))
        return 0
    for key, value in out.items():
        if isinstance(value, dict):
            print(f"[{key}]")
            for k, v in value.items():
                print(f"{k:>30}: {v}")
        else:
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
