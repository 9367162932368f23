"""A back-curvature index from the person's segmentation mask.

BlazePose has no spine landmarks, so the shape of the back is read from the silhouette: the dorsal
(back-side) contour of the segmentation mask between the near-side shoulder and hip.

Method (all pixel geometry on the mask's own grid):

1. The near-side shoulder ``S`` and hip ``P`` are scaled to mask pixels; ``L = |P - S|`` is the trunk length
   and the posterior direction is minus :func:`formcheck.geometry.anterior`.
2. For fractions ``s`` along ``S -> P``, a ray is cast from the shoulder-hip line in the posterior direction
   and the mask probability is sampled along it (bilinear, one ``cv2.remap`` call for all rays). The
   distance ``d(s)`` at which the probability falls below ``threshold`` is the dorsal profile, with
   sub-pixel precision.
3. A parabola ``d(s) = a + b s + c s^2`` is fitted to the profile by least squares (with one round of
   outlier rejection). Its sagitta over the sampled span, i.e. how far the middle of the fitted curve lies
   posterior of the chord through its ends, divided by ``L``, is the index.

Units: trunk lengths (the shoulder-hip distance in the picture). ``> 0``: the back bulges backwards
(rounded, spine flexed: cat, rounded-back lift); ``< 0``: the back is hollow (spine extended: cow).
"""

from __future__ import annotations

import cv2
import numpy as np

from formcheck.geometry import anterior, chirality_of
from formcheck.landmarks import Side, sided

#: Fractions along shoulder -> hip at which the dorsal profile is sampled.
S_SAMPLES: np.ndarray = np.linspace(0.1, 0.9, 17)
#: Ray extent, in trunk lengths, anterior (negative) and posterior (positive) of the shoulder-hip line.
T_MIN = -0.3
T_MAX = 0.8
#: Smallest usable trunk length on the mask, in pixels.
MIN_TRUNK_PX = 8.0
#: Least share of profile samples that must be found for a value to be reported.
MIN_VALID_SHARE = 0.6
#: Samples further than this from the first fit (in trunk lengths) are dropped before the second fit.
OUTLIER_TRUNK = 0.05


def _endpoints(landmarks: np.ndarray, side: Side, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    lm = np.asarray(landmarks, dtype=np.float64)
    scale = np.array([width, height], dtype=np.float64)
    shoulder = lm[..., sided("shoulder", side), :2] * scale
    hip = lm[..., sided("hip", side), :2] * scale
    return shoulder, hip


def dorsal_profile(
    mask: np.ndarray,
    landmarks: np.ndarray,
    side: Side,
    threshold: float = 0.5,
    s: np.ndarray = S_SAMPLES,
) -> tuple[np.ndarray, float]:
    """The dorsal contour's distance from the shoulder-hip line, sampled along the trunk.

    Args:
        mask: ``(H, W)`` person probability in 0..1 (float) or 0..255 (uint8), any resolution.
        landmarks: ``(33, 4)`` normalised landmarks of the same frame.
        side: the body side facing the camera.
        threshold: probability at which the silhouette ends (for uint8 masks, on the 0..1 scale).
        s: fractions along shoulder -> hip at which to sample.

    Returns:
        ``(d, L)``: ``d`` is ``(len(s),)`` in trunk lengths, positive towards the person's back (NaN where
        no edge was found), and ``L`` the trunk length in mask pixels. All-NaN ``d`` and NaN ``L`` when
        the mask or the landmarks are unusable.
    """
    s = np.asarray(s, dtype=np.float64)
    nan = (np.full(s.shape, np.nan), float("nan"))
    m = np.asarray(mask)
    if m.ndim != 2 or m.size == 0:
        return nan
    if m.dtype == np.uint8:
        m = m.astype(np.float32) * np.float32(1.0 / 255.0)
    elif m.dtype != np.float32:
        m = m.astype(np.float32)
    height, width = m.shape
    shoulder, hip = _endpoints(landmarks, side, width, height)
    if not (np.all(np.isfinite(shoulder)) and np.all(np.isfinite(hip))):
        return nan
    trunk = float(np.hypot(*(hip - shoulder)))
    if trunk < MIN_TRUNK_PX:
        return nan
    post = -anterior(shoulder, hip, chirality_of(side))
    # One sample per pixel (at least 48 per ray) along each ray.
    n_t = max(48, int(np.ceil((T_MAX - T_MIN) * trunk)) + 1)
    t = np.linspace(T_MIN, T_MAX, n_t)
    base = shoulder + s[:, None] * (hip - shoulder)  # (n_s, 2)
    pts = base[:, None, :] + (t[None, :, None] * trunk) * post  # (n_s, n_t, 2)
    map_x = np.ascontiguousarray(pts[..., 0], dtype=np.float32)
    map_y = np.ascontiguousarray(pts[..., 1], dtype=np.float32)
    v = cv2.remap(m, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    inside = v > threshold
    # Search from the line (t = 0) when it is inside the body, else from the anterior end of the ray.
    k0 = int(np.searchsorted(t, 0.0))
    start = np.where(inside[:, k0], k0, 0)
    exits = inside[:, :-1] & ~inside[:, 1:]  # (n_s, n_t - 1): leaves the mask between k and k + 1
    exits &= np.arange(n_t - 1)[None, :] >= start[:, None]
    found = exits.any(axis=1)
    k = np.argmax(exits, axis=1)
    rows = np.arange(s.size)
    v0 = v[rows, k].astype(np.float64)
    v1 = v[rows, k + 1].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip((v0 - threshold) / (v0 - v1), 0.0, 1.0)
    d = t[k] + frac * (t[1] - t[0])
    return np.where(found, d, np.nan), trunk


def profile_bulge(d: np.ndarray, s: np.ndarray = S_SAMPLES) -> float:
    """Signed sagitta of a dorsal profile, in the profile's units (trunk lengths).

    Fits ``d = a + b s + c s^2`` (least squares, then again without samples further than
    :data:`OUTLIER_TRUNK` from the first fit) and returns how far the middle of the fitted curve lies
    above the chord through its ends: ``-c (s_max - s_min)^2 / 4``. NaN when too few samples are valid.
    """
    d = np.asarray(d, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    ok = np.isfinite(d)
    if ok.sum() < max(4, int(np.ceil(MIN_VALID_SHARE * d.size))):
        return float("nan")
    span = float(s[ok].max() - s[ok].min())
    if span < 0.5 * float(s.max() - s.min()):
        return float("nan")
    for _ in range(2):
        coef = np.polyfit(s[ok], d[ok], 2)
        resid = np.abs(np.polyval(coef, s) - d)
        keep = ok & (resid <= OUTLIER_TRUNK)
        if keep.sum() < max(4, int(np.ceil(MIN_VALID_SHARE * d.size))) or keep.sum() == ok.sum():
            break
        ok = keep
    return float(-coef[0] * span * span / 4.0)


def back_curvature(mask: np.ndarray, landmarks: np.ndarray, side: Side, threshold: float = 0.5) -> float:
    """Signed bulge of the dorsal contour between shoulder and hip, in trunk lengths.

    > 0: back rounded (spine flexed, e.g. cat, or a rounded-back lift); < 0: hollow (spine extended, cow).
    NaN when the mask or the needed landmarks are missing/unusable.

    Args:
        mask: ``(H, W)`` person probability, float in 0..1 (uint8 0..255 is accepted), any resolution; the
            normalised landmarks are scaled to its size.
        landmarks: ``(33, 4)`` normalised landmarks of the same frame.
        side: the body side facing the camera (its shoulder and hip are used).
        threshold: probability at which the silhouette ends.

    Returns:
        The sagitta of the dorsal profile (see :func:`profile_bulge`) divided by the trunk length in the
        picture; typically within +-0.1.
    """
    d, _ = dorsal_profile(mask, landmarks, side, threshold)
    return profile_bulge(d)


def back_curvature_series(
    masks: np.ndarray, landmarks: np.ndarray, side: Side, threshold: float = 0.5
) -> np.ndarray:
    """:func:`back_curvature` over frames: ``masks (T, H, W)``, ``landmarks (T, 33, 4)`` -> ``(T,)`` float64.

    ``masks`` may be float 0..1 or uint8 0..255 (e.g. stored half-resolution masks); a frame whose mask is
    ``None`` or empty gives NaN.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    out = np.full(lm.shape[0], np.nan)
    for i in range(lm.shape[0]):
        m = masks[i]
        if m is None:
            continue
        out[i] = back_curvature(m, lm[i], side, threshold)
    return out
