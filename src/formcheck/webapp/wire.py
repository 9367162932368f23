"""The websocket transport's messages: camera frames in, overlay state out (pure: bytes and values only).

A frame message (binary, browser -> server) is a 16-byte header and a JPEG::

    magic  b"FCF1"   4 bytes
    seq    uint32    little-endian; the browser's running frame number
    t_ms   float64   little-endian; when the browser grabbed the frame, its own clock (ms)
    jpeg   the rest

A control message (text, browser -> server) is JSON: ``{"type": "stop"}`` ends the session (the socket
closing does the same).

An overlay message (text, server -> browser) is the JSON of :func:`overlay_message`: the frame's ``seq``,
the landmarks to draw, the bad joints and the readout (count, phase, hold, cue, set-up problems), all texts
already translated. A frame that could not be used is answered ``{"type": "skip", "seq": n}``. The server
takes frames in the order sent and answers only those it processed (one that a newer frame overtook while
waiting is dropped unanswered), so an answer for frame ``n`` settles every frame sent before it.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from formcheck.core.cues import cue_is_good
from formcheck.core.landmarks import SKELETON
from formcheck.core.messages import MESSAGES, leg_counts_text
from formcheck.draw.overlay import bad_landmarks

MAGIC = b"FCF1"
HEADER = struct.Struct("<4sId")
#: Largest frame message accepted (bytes); a 640x480 JPEG at quality 0.7 is about 40 kB.
MAX_FRAME_BYTES = 4 * 1024 * 1024
#: Largest frame accepted (pixels a side).
MAX_SIDE = 1920
#: The skeleton's bones as index pairs, sorted (sent once, with the first overlay message).
BONES: tuple[tuple[int, int], ...] = tuple(sorted((int(a), int(b)) for a, b in SKELETON))


class WireError(ValueError):
    """A message that is not a valid frame (one line, for the log)."""


@dataclass(frozen=True)
class FrameMessage:
    """One camera frame from the browser.

    Attributes:
        seq: the browser's frame number.
        t_s: when the browser grabbed it, on its own clock (s).
        jpeg: the encoded picture.
    """

    seq: int
    t_s: float
    jpeg: bytes


def encode_frame(seq: int, t_ms: float, jpeg: bytes) -> bytes:
    """A frame message (what the page sends; the benchmark and the tests use it too)."""
    return HEADER.pack(MAGIC, seq & 0xFFFFFFFF, float(t_ms)) + jpeg


def parse_frame(data: bytes) -> FrameMessage:
    """The frame in a binary message; raises :class:`WireError` on anything else."""
    if len(data) <= HEADER.size:
        raise WireError(f"frame message too short ({len(data)} bytes)")
    if len(data) > MAX_FRAME_BYTES:
        raise WireError(f"frame message too large ({len(data)} bytes)")
    magic, seq, t_ms = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise WireError("not a formcheck frame message")
    if not math.isfinite(t_ms):
        raise WireError("frame time is not a number")
    return FrameMessage(seq=int(seq), t_s=t_ms / 1000.0, jpeg=bytes(data[HEADER.size :]))


def decode_jpeg(jpeg: bytes) -> np.ndarray:
    """``(H, W, 3)`` uint8 BGR pixels of a JPEG; raises :class:`WireError` when it is not a usable picture."""
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if img is None or img.ndim != 3 or img.shape[2] != 3:
        raise WireError("the frame is not a decodable JPEG")
    if max(img.shape[:2]) > MAX_SIDE or min(img.shape[:2]) < 16:
        raise WireError(f"frame size {img.shape[1]}x{img.shape[0]} is out of range")
    return img


def _num(x: float, nd: int) -> float | None:
    return round(float(x), nd) if x is not None and math.isfinite(float(x)) else None


def landmark_list(landmarks: np.ndarray | None) -> list[list[float | None]] | None:
    """``[[x, y, visibility], ...]`` (x, y normalised 0..1, rounded to 4 decimals; None where missing)."""
    if landmarks is None:
        return None
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim != 2 or lm.shape[1] < 2 or not np.isfinite(lm[:, :2]).any():
        return None
    vis = lm[:, 3] if lm.shape[1] >= 4 else np.ones(len(lm))
    return [[_num(p[0], 4), _num(p[1], 4), _num(v, 2)] for p, v in zip(lm[:, :2], vis, strict=True)]


def cue_kind(code: str) -> str:
    """``good``, ``setup`` or ``fix``: the colour of a cue banner (as the board colours it)."""
    from formcheck.core.engine import SETUP_ISSUES

    if code in SETUP_ISSUES or code == "position":
        return "setup"
    return "good" if cue_is_good(code) else "fix"


def overlay_message(result: Any, seq: int, first: bool = False) -> dict[str, Any]:
    """The JSON-ready overlay message of one processed frame.

    Args:
        result: the :class:`formcheck.webapp.live.FrameResult` of the frame.
        seq: the browser's number of the frame.
        first: add the skeleton's bones (sent once per connection).

    Returns:
        ``{"type": "overlay", "seq", "t_s", "w", "h", "side", "lm", "bad", "reps", "phase", "counting",
        "hold_s", "hold_target_s", "cue", "cue_kind", "issues", "new_rep", "new_cue", "error", "fps",
        "latency_ms", "legs", "hold_leg"}``; ``legs`` is the reps per leg in words (``["Left 2", "Right 1"]``)
        and ``hold_leg`` the leg being held (``"Left"``) for a per-leg exercise, else None.
    """
    u = result.update
    st = result.state
    lang = result.lang
    cue_text = cue_k = None
    if u.cue is not None:
        cue_text, cue_k = u.cue[1].get(lang), cue_kind(u.cue[0])
    elif u.issues:
        code = u.issues[0]
        cue_text, cue_k = (MESSAGES[code].get(lang) if code in MESSAGES else code), "setup"
    held = u.side in ("left", "right") and u.hold_s > 0  # a per-leg hold going on
    msg: dict[str, Any] = {
        "type": "overlay",
        "seq": int(seq),
        "t_s": _num(u.t_s, 3),
        "w": result.size[0],
        "h": result.size[1],
        "side": int(result.side),
        "lm": landmark_list(result.landmarks),
        "bad": sorted(bad_landmarks(st.bad_joints)) if st is not None else [],
        "reps": u.reps,
        "target": result.template.target_reps,
        "phase": u.phase,
        "counting": u.counting,
        "hold_s": _num(u.hold_s, 2) or 0.0,
        "hold_target_s": _num(u.hold_target_s, 2) or 0.0,
        "cue": cue_text,
        "cue_kind": cue_k,
        "issues": [MESSAGES[c].get(lang) if c in MESSAGES else c for c in u.issues],
        "new_rep": u.new_rep is not None,
        "new_cue": u.new_cue is not None,
        "error": u.error,
        "fps": _num(u.fps, 1),
        "latency_ms": _num(u.latency_ms, 1),
        "legs": [leg_counts_text({k: n}, lang) for k, n in u.leg_reps.items()] if u.leg_reps else None,
        "hold_leg": MESSAGES[f"leg_{u.side}"].get(lang) if held else None,
    }
    if first:
        msg["bones"] = [list(b) for b in BONES]
    return msg
