"""Pure transforms of a :class:`formcheck.pose.pipeline.PoseTrace` that a camera or a person could cause.

Each function takes a trace and returns a new one (the input is never changed): the same movement as the
pose model would have seen it mirrored, through a rolled camera, from farther away, at another frame rate,
with dropped frames, or with noisier landmarks. The robustness suite requires the engine to give the same
verdicts on every one of them.

Coordinates: ``landmarks`` are normalised (x right, y down, 0..1 of the picture's width and height; ``z``
on the scale of x), ``world`` in metres (camera-aligned axes, y down), ``size`` is (width, height) in
pixels, times in seconds.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from formcheck.core.back import PROFILE_S
from formcheck.core.geometry import anterior, chirality_of
from formcheck.core.landmarks import BODY, N_LANDMARKS, Lm, Side, sided
from formcheck.pose.pipeline import PoseTrace


def _swap_index() -> np.ndarray:
    """``(33,)`` index that maps every landmark to its left/right counterpart (the nose to itself)."""
    idx = np.arange(N_LANDMARKS)
    for lm in Lm:
        if lm.name.startswith("LEFT_"):
            other = Lm[lm.name.replace("LEFT_", "RIGHT_", 1)]
        elif lm.name.startswith("RIGHT_"):
            other = Lm[lm.name.replace("RIGHT_", "LEFT_", 1)]
        elif lm.name.endswith("_LEFT"):  # MOUTH_LEFT
            other = Lm[lm.name.replace("_LEFT", "_RIGHT")]
        elif lm.name.endswith("_RIGHT"):
            other = Lm[lm.name.replace("_RIGHT", "_LEFT")]
        else:
            other = lm
        idx[int(lm)] = int(other)
    return idx


#: Landmark index of each landmark's mirror-image counterpart (left <-> right).
SWAP = _swap_index()


def _replace(trace: PoseTrace, **changes: object) -> PoseTrace:
    """A copy of ``trace`` with ``changes``; arrays not changed are copied too (no aliasing)."""
    fields = {f.name: getattr(trace, f.name) for f in dataclasses.fields(trace)}
    fields = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in fields.items()}
    fields.update(changes)
    return PoseTrace(**fields)  # type: ignore[arg-type]


def mirror(trace: PoseTrace) -> PoseTrace:
    """The person facing the other way: the picture flipped left-right.

    ``x -> 1 - x`` and every left landmark becomes the right one (and back); world ``x`` is negated the
    same way; the per-side back measures (``back``, ``profile``) swap columns.
    """
    lm = trace.landmarks[:, SWAP].copy()
    lm[..., 0] = 1.0 - lm[..., 0]
    world = trace.world[:, SWAP].copy()
    world[..., 0] = -world[..., 0]
    profile = None if trace.profile is None else trace.profile[:, ::-1].copy()
    return _replace(trace, landmarks=lm, world=world, back=trace.back[:, ::-1].copy(), profile=profile)


def roll(trace: PoseTrace, degrees: float) -> PoseTrace:
    """The camera rolled by ``degrees`` (positive: the picture content turns clockwise on screen).

    The rotation is done in pixel space about the picture's centre, so a non-square picture is not
    sheared; world landmarks turn by the same angle about the camera axis. Depth and the back measures
    (ratios of the silhouette) do not change.
    """
    w, h = trace.size
    a = np.radians(degrees)
    c, s = np.cos(a), np.sin(a)
    lm = trace.landmarks.astype(np.float64, copy=True)
    px = lm[..., 0] * w - w / 2
    py = lm[..., 1] * h - h / 2
    lm[..., 0] = (c * px - s * py + w / 2) / w
    lm[..., 1] = (s * px + c * py + h / 2) / h
    world = trace.world.astype(np.float64, copy=True)
    wx, wy = world[..., 0].copy(), world[..., 1].copy()
    world[..., 0] = c * wx - s * wy
    world[..., 1] = s * wx + c * wy
    return _replace(trace, landmarks=lm.astype(np.float32), world=world.astype(np.float32))


def scale(trace: PoseTrace, factor: float) -> PoseTrace:
    """The person ``factor`` times as large in the picture (0.5: twice as far), about the picture's centre.

    Scaling in pixel space about the centre is the same as scaling normalised x and y about 0.5; ``z`` is on
    the scale of x and scales with it. World landmarks (metres) and the back measures do not change.
    """
    lm = trace.landmarks.astype(np.float64, copy=True)
    lm[..., :2] = 0.5 + factor * (lm[..., :2] - 0.5)
    lm[..., 2] = factor * lm[..., 2]
    return _replace(trace, landmarks=lm.astype(np.float32))


def _interp_rows(values: np.ndarray, times: np.ndarray, new_times: np.ndarray) -> np.ndarray:
    """Linear interpolation in time of ``(T, ...)`` rows; a NaN neighbour gives NaN (gaps stay gaps)."""
    flat = np.asarray(values, dtype=np.float64).reshape(len(times), -1)
    i = np.clip(np.searchsorted(times, new_times, side="right") - 1, 0, len(times) - 1)
    j = np.minimum(i + 1, len(times) - 1)
    span = times[j] - times[i]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(span > 0, (new_times - times[i]) / span, 0.0)[:, None]
    out = flat[i] + w * (flat[j] - flat[i])
    exact = w[:, 0] == 0.0
    out[exact] = flat[i[exact]]  # on a sample: that sample, whatever its neighbour holds
    return out.reshape((len(new_times), *np.shape(values)[1:]))


def resample(trace: PoseTrace, fps: float) -> PoseTrace:
    """The same movement filmed at ``fps``: every series interpolated linearly at ``t0 + k / fps``.

    The new frames span the original first to last frame time (the duration is kept to within one new
    frame); people counts are taken from the nearest earlier frame.
    """
    times = trace.times
    n = int(np.floor((times[-1] - times[0]) * fps + 1e-9)) + 1
    new_t = times[0] + np.arange(n, dtype=np.float64) / fps
    i = np.clip(np.searchsorted(times, new_t, side="right") - 1, 0, len(times) - 1)
    return PoseTrace(
        landmarks=_interp_rows(trace.landmarks, times, new_t).astype(np.float32),
        world=_interp_rows(trace.world, times, new_t).astype(np.float32),
        back=_interp_rows(trace.back, times, new_t).astype(np.float32),
        n_people=trace.n_people[i].copy(),
        brightness=_interp_rows(trace.brightness, times, new_t).astype(np.float32),
        fps=float(fps),
        size=trace.size,
        t=new_t,
        profile=None
        if trace.profile is None
        else _interp_rows(trace.profile, times, new_t).astype(np.float32),
    )


def drop_frames(trace: PoseTrace, share: float, seed: int) -> PoseTrace:
    """``share`` of the frames lost at random (seeded): their rows removed, the others keep their times.

    The first and the last frame are always kept, so the duration does not change.
    """
    n = trace.frames
    rng = np.random.default_rng(seed)
    k = round(share * n)
    lost = rng.choice(np.arange(1, n - 1), size=min(k, max(n - 2, 0)), replace=False)
    keep = np.setdiff1d(np.arange(n), lost)
    return PoseTrace(
        landmarks=trace.landmarks[keep].copy(),
        world=trace.world[keep].copy(),
        back=trace.back[keep].copy(),
        n_people=trace.n_people[keep].copy(),
        brightness=trace.brightness[keep].copy(),
        fps=trace.fps,
        size=trace.size,
        t=trace.times[keep].copy(),
        profile=None if trace.profile is None else trace.profile[keep].copy(),
    )


def body_height_px(trace: PoseTrace) -> float:
    """The person's length in pixels: the median over frames of the larger side of the body's bounding box.

    Uses the main body landmarks (:data:`formcheck.core.landmarks.BODY`); lying or standing alike, this is
    about the body's height. NaN without any pose.
    """
    w, h = trace.size
    pts = trace.landmarks[:, list(BODY), :2].astype(np.float64) * np.array([w, h])
    seen = np.isfinite(pts).all(axis=-1).any(axis=-1)
    if not seen.any():
        return float("nan")
    pts = pts[seen]
    with np.errstate(invalid="ignore"):
        ext = np.nanmax(pts, axis=1) - np.nanmin(pts, axis=1)
    return float(np.nanmedian(np.max(ext, axis=-1)))


def jitter(trace: PoseTrace, share: float, seed: int) -> PoseTrace:
    """Landmark noise: Gaussian on x and y with a standard deviation of ``share`` of the body height (px).

    Seeded; ``z``, visibility, world landmarks and the back-curvature index ``back`` are unchanged. The
    dorsal ``profile`` is a distance from the line through the shoulder and the hip: it moves with that line
    (:func:`shift_profile`), so a signal read from it (the pelvic tilt's low-back index) feels the noise too.
    """
    w, h = trace.size
    sigma_px = share * body_height_px(trace)
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, sigma_px, size=(*trace.landmarks.shape[:2], 2)) / np.array([w, h])
    lm = trace.landmarks.astype(np.float64, copy=True)
    lm[..., :2] += noise
    out = _replace(trace, landmarks=lm.astype(np.float32))
    if trace.profile is not None:
        out.profile = shift_profile(trace, out).astype(np.float32)
    return out


def shift_profile(before: PoseTrace, after: PoseTrace) -> np.ndarray:
    """``before``'s dorsal profile re-read from ``after``'s shoulder-hip lines (to first order).

    The profile is the distance (trunk lengths) of the back's contour behind the line from the camera-side
    shoulder to the hip at fractions :data:`formcheck.core.back.PROFILE_S` along it; moving the shoulder by
    ``a`` and the hip by ``b`` trunk lengths towards the back moves that line at ``s`` by ``(1 - s) a + s b``,
    and the same contour then lies that much less far behind it. NaN where either trace lacks a point.
    """
    w, h = before.size
    prof = before.profile.astype(np.float64, copy=True)
    for side in (Side.LEFT, Side.RIGHT):
        ends = []
        for tr in (before, after):
            px = tr.landmarks[..., :2].astype(np.float64) * np.array([w, h])
            ends.append((px[:, sided("shoulder", side)], px[:, sided("hip", side)]))
        (sh, hip), (sh2, hip2) = ends
        with np.errstate(invalid="ignore", divide="ignore"):
            trunk = np.linalg.norm(hip - sh, axis=-1)
            post = -anterior(sh, hip, chirality_of(side))
            a = np.sum((sh2 - sh) * post, axis=-1) / trunk
            b = np.sum((hip2 - hip) * post, axis=-1) / trunk
        line = (1.0 - PROFILE_S)[None, :] * a[:, None] + PROFILE_S[None, :] * b[:, None]
        prof[:, int(side)] -= line
    return prof


#: The transforms of the robustness suite, by readable id.
TRANSFORMS = {
    "mirror": mirror,
    "roll+10": lambda tr: roll(tr, 10.0),
    "roll-10": lambda tr: roll(tr, -10.0),
    "half_size": lambda tr: scale(tr, 0.5),
    "15fps": lambda tr: resample(tr, 15.0),
    "60fps": lambda tr: resample(tr, 60.0),
    "drop10pct": lambda tr: drop_frames(tr, 0.10, seed=6),
    "jitter1pct": lambda tr: jitter(tr, 0.01, seed=6),
}
