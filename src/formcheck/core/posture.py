"""Sitting posture from landmarks: the measures, the person's own baseline, and one frame's posture.

Pure: numpy in, dataclasses out, no clock and no I/O. The monitor that turns frames into segments,
reminders and a score over time is :mod:`formcheck.core.desk`; the limits come from the
``desk_posture`` template (:mod:`formcheck.core.posture_template`).

The measures use MediaPipe's world landmarks (metres, origin between the hips, y down) where a direction
toward the person's front is needed, so that the same measure works from the front (a laptop's own camera),
from the side and from an angle; the person's own baseline (a short calibration while sitting upright)
absorbs what a camera angle adds. Hip landmarks that are not seen (a laptop camera that shows head and
shoulders only) leave the trunk measures as NaN; the head and shoulders in the picture then stand in.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from formcheck.core.landmarks import Lm

#: Every measure with its unit and sign convention.
MEASURES: Mapping[str, str] = {
    "trunk_forward": "deg; mid-hip to mid-shoulder line from vertical toward the person's front "
    "(world landmarks); > 0 leaning forward, < 0 leaning back",
    "trunk_side": "deg; the same line's tilt toward the person's side (world landmarks); > 0 to their right",
    "neck_forward": "deg; shoulder-to-ear line from vertical toward the front (world landmarks); the "
    "craniovertebral angle is about 90 minus this",
    "head_pitch": "deg; the ear-to-nose line below horizontal (world landmarks); > 0 looking down",
    "shoulder_tilt": "deg; the shoulder line's tilt in the picture, > 0 the person's right shoulder lower",
    "head_height": "shoulder widths; mid-ear point above the mid-shoulder point (world landmarks, vertical)",
    "yaw": "deg; the shoulder line turned out of the picture plane: 0 seen from the front, 90 from the side",
}

#: The postures a sitting person is in (segments); ``away`` = nobody in view.
POSTURES: tuple[str, ...] = ("upright", "slouched", "forward_head", "leaning_back", "leaning_side", "away")
#: Camera views, by the yaw of the shoulder line: below 30 degrees front, above 60 side, oblique between.
VIEWS: tuple[str, ...] = ("front", "oblique", "side")
FRONT_MAX_YAW = 30.0
SIDE_MIN_YAW = 60.0
#: A landmark seen with less visibility than this counts as not seen.
SEEN = 0.5


@dataclass(frozen=True)
class Limits:
    """When a posture is no longer upright (degrees unless said; see the template for each one's source).

    ``*_change`` limits are relative to the person's calibrated baseline; the others are fixed limits that
    hold with or without a baseline.
    """

    slouch_change: float
    slouch_fixed: float
    back_change: float
    back_fixed: float
    side_change: float
    side_fixed: float
    tilt_change: float
    neck_change: float
    neck_fixed: float
    drop_change: float
    head_down_change: float
    head_down_fixed: float


@dataclass(frozen=True)
class Baseline:
    """The person's own upright sitting posture: the median of each measure over the calibration."""

    values: Mapping[str, float]
    view: str
    #: Where in a recording it was taken (start, end; s), for a baseline chosen by :func:`auto_baseline`.
    window_s: tuple[float, float] | None = None

    def get(self, name: str) -> float:
        """The baseline value of a measure (NaN when it was not measured)."""
        return float(self.values.get(name, math.nan))


def _mid(a: np.ndarray, i: int, j: int) -> np.ndarray:
    return (a[..., i, :] + a[..., j, :]) / 2.0


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=-1)


def measure(landmarks: np.ndarray, world: np.ndarray, size: tuple[int, int]) -> dict[str, np.ndarray]:
    """The posture measures (:data:`MEASURES`) of every frame.

    Args:
        landmarks: ``(T, 33, 4)`` normalised landmarks (NaN rows without a pose).
        world: ``(T, 33, 4)`` world landmarks in metres (same frames).
        size: picture (width, height) in pixels.

    Returns:
        ``{measure: (T,)}``; NaN where the landmarks it needs are not seen.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    w = np.array(world, dtype=np.float64)[..., :3]
    vis = lm[..., 3]
    w[~(vis >= SEEN)] = np.nan
    px = lm[..., :2] * np.asarray(size, dtype=np.float64)
    px[~(vis >= SEEN)] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        shoulder, hip = _mid(w, Lm.LEFT_SHOULDER, Lm.RIGHT_SHOULDER), _mid(w, Lm.LEFT_HIP, Lm.RIGHT_HIP)
        ear, nose = _mid(w, Lm.LEFT_EAR, Lm.RIGHT_EAR), w[..., Lm.NOSE, :]
        # the person's right, horizontal; forward = up x right, turned toward the nose
        right = w[..., Lm.RIGHT_SHOULDER, :] - w[..., Lm.LEFT_SHOULDER, :]
        right[..., 1] = 0.0
        right /= np.linalg.norm(right, axis=-1, keepdims=True)
        fwd = np.cross(np.array([0.0, -1.0, 0.0]), right)
        fwd *= np.where(_dot(nose - ear, fwd) < 0, -1.0, 1.0)[..., None]
        trunk, neck, head = shoulder - hip, ear - shoulder, nose - ear
        out = {
            "trunk_forward": np.degrees(np.arctan2(_dot(trunk, fwd), -trunk[..., 1])),
            "trunk_side": np.degrees(np.arctan2(_dot(trunk, right), -trunk[..., 1])),
            "neck_forward": np.degrees(np.arctan2(_dot(neck, fwd), -neck[..., 1])),
            "head_pitch": np.degrees(np.arctan2(head[..., 1], _dot(head, fwd))),
        }
        ls, rs = px[..., Lm.LEFT_SHOULDER, :], px[..., Lm.RIGHT_SHOULDER, :]
        out["shoulder_tilt"] = np.degrees(
            np.arctan2(rs[..., 1] - ls[..., 1], np.abs(rs[..., 0] - ls[..., 0]))
        )
        dw = w[..., Lm.RIGHT_SHOULDER, :] - w[..., Lm.LEFT_SHOULDER, :]
        out["head_height"] = (shoulder[..., 1] - ear[..., 1]) / np.linalg.norm(dw, axis=-1)
        out["yaw"] = np.degrees(np.arctan2(np.abs(dw[..., 2]), np.abs(dw[..., 0])))
    return out


def frame_measures(measures: Mapping[str, np.ndarray], i: int) -> dict[str, float]:
    """The measures of frame ``i`` as plain floats."""
    return {k: float(v[i]) for k, v in measures.items()}


def view_of(yaw: float) -> str:
    """``front``, ``oblique`` or ``side`` from the shoulder line's yaw (deg); ``oblique`` when unknown."""
    if math.isnan(yaw):
        return "oblique"
    return "front" if yaw < FRONT_MAX_YAW else "side" if yaw > SIDE_MIN_YAW else "oblique"


def present(m: Mapping[str, float]) -> bool:
    """Whether a person is in view: both shoulders and the nose seen (a frame's measures)."""
    return math.isfinite(m.get("shoulder_tilt", math.nan)) and math.isfinite(m.get("head_height", math.nan))


def _change(m: Mapping[str, float], base: Baseline | None, name: str) -> float:
    """How far a measure is from the baseline (NaN without a baseline or a value)."""
    return math.nan if base is None else m.get(name, math.nan) - base.get(name)


def _ge(x: float, limit: float) -> bool:
    return math.isfinite(x) and x >= limit


def classify(m: Mapping[str, float], limits: Limits, base: Baseline | None, view: str) -> str:
    """One frame's posture (:data:`POSTURES`) from its measures.

    Checked in this order, the first that holds wins: away (no person), leaning to one side (not judged
    from a pure side view, where the sideways tilt is a depth guess), leaning back (not judged from the
    front without a baseline: the forward tilt is a depth guess there too), slouched (the trunk bent
    forward; with the hips out of view, the head sinking toward the shoulders), forward head (the ear ahead
    of the shoulder), else upright. Each uses the change from the baseline when there is one, and the
    fixed limit always.

    Args:
        m: the frame's measures (:data:`MEASURES`; smoothed by the caller if wanted).
        limits: the template's limits.
        base: the person's baseline, or None (fixed limits only).
        view: ``front``, ``oblique`` or ``side`` (of the baseline, or of the frame without one).
    """
    if not present(m):
        return "away"
    trunk_fwd = m.get("trunk_forward", math.nan)
    if view != "side":
        side = m.get("trunk_side", math.nan)
        tilt_change = abs(_change(m, base, "shoulder_tilt"))
        if (
            _ge(abs(_change(m, base, "trunk_side")), limits.side_change)
            or _ge(abs(side), limits.side_fixed)
            or (math.isnan(side) and _ge(tilt_change, limits.tilt_change))
        ):
            return "leaning_side"
    if _ge(-_change(m, base, "trunk_forward"), limits.back_change) or (
        view != "front" and _ge(-trunk_fwd, -limits.back_fixed)
    ):
        return "leaning_back"
    if (
        _ge(_change(m, base, "trunk_forward"), limits.slouch_change)
        or _ge(trunk_fwd, limits.slouch_fixed)
        or (math.isnan(trunk_fwd) and _ge(-_change(m, base, "head_height"), limits.drop_change))
    ):
        return "slouched"
    if _ge(_change(m, base, "neck_forward"), limits.neck_change) or _ge(
        m.get("neck_forward", math.nan), limits.neck_fixed
    ):
        return "forward_head"
    return "upright"


def head_down(m: Mapping[str, float], limits: Limits, base: Baseline | None) -> bool:
    """Whether the head is tilted down past the limits (looking down at a screen that is too low)."""
    return _ge(_change(m, base, "head_pitch"), limits.head_down_change) or _ge(
        m.get("head_pitch", math.nan), limits.head_down_fixed
    )


def baseline_of(samples: list[Mapping[str, float]], min_share: float = 0.6) -> Baseline | None:
    """The baseline from the measures of the calibration frames: the median of each measure.

    Args:
        samples: one measures dict per calibration frame.
        min_share: the least share of frames with a person in view.

    Returns:
        The baseline, or None when too few frames showed a person.
    """
    seen = [s for s in samples if present(s)]
    if not samples or len(seen) < min_share * len(samples):
        return None
    values: dict[str, float] = {}
    for name in MEASURES:
        xs = [s[name] for s in seen if math.isfinite(s.get(name, math.nan))]
        values[name] = float(np.median(xs)) if xs else math.nan
    return Baseline(values=values, view=view_of(values["yaw"]))


#: The measures that say how someone sits, for choosing a recording's typical posture.
TYPICAL = ("trunk_forward", "trunk_side", "neck_forward")


def auto_baseline(
    measures: Mapping[str, np.ndarray],
    times: np.ndarray,
    limits: Limits,
    window_s: float,
    step_s: float = 0.5,
) -> Baseline | None:
    """The baseline of a recording without a calibration: its most typical upright ``window_s`` seconds.

    Every window (starting each ``step_s``) whose median posture is upright by the fixed limits is a
    candidate; the one nearest the recording's own median posture (the sum of the absolute differences of
    ``trunk_forward``, ``trunk_side`` and ``neck_forward``, deg; measures not seen are left out) wins: the
    person's habitual posture, as long as the fixed limits call it upright. Used offline, where nobody sat
    upright on request; the live page calibrates instead.

    Args:
        measures: ``{measure: (T,)}`` of the whole recording.
        times: ``(T,)`` frame times (s).
        limits: the template's limits.
        window_s: the calibration length (s).
        step_s: spacing of the candidate windows (s).

    Returns:
        The baseline (with its ``window_s``), or None when no window is upright by the fixed limits.
    """
    times = np.asarray(times, dtype=np.float64)
    if times.size == 0:
        return None
    best: tuple[float, Baseline] | None = None
    typical = {}
    for name in TYPICAL:
        finite = measures[name][np.isfinite(measures[name])]
        typical[name] = float(np.median(finite)) if finite.size else math.nan
    last_start = max(float(times[0]), float(times[-1]) - window_s)
    for start in np.arange(float(times[0]), last_start + 1e-9, step_s):
        idx = np.flatnonzero((times >= start) & (times < start + window_s))
        base = baseline_of([frame_measures(measures, int(i)) for i in idx]) if idx.size else None
        if base is None or classify(base.values, limits, None, base.view) != "upright":
            continue
        diffs = [abs(base.get(name) - typical[name]) for name in TYPICAL]
        cost = sum(d for d in diffs if math.isfinite(d))
        if math.isfinite(cost) and (best is None or cost < best[0]):
            end = min(float(start) + window_s, float(times[-1]))
            best = (cost, dataclasses.replace(base, window_s=(float(start), end)))
    return None if best is None else best[1]
