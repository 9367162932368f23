"""A back-curvature index from the person's segmentation mask.

BlazePose has no spine landmarks, so the shape of the back is read from the silhouette: the dorsal
(back-side) contour of the segmentation mask between the near-side shoulder and hip.

Method (pixel geometry on the mask's own grid; one ``cv2.remap`` call per frame, no loops over pixels):

1. The near-side shoulder ``S`` and hip ``P`` are scaled to mask pixels; ``L = |P - S|`` is the trunk length
   and the posterior direction is minus :func:`formcheck.core.geometry.anterior`.
2. For fractions ``s`` along ``S -> P``, a ray is cast from the shoulder-hip line in the posterior direction
   and the mask probability is sampled along it (bilinear). The distance ``d(s)`` (in trunk lengths) at
   which the probability falls below ``threshold`` is the dorsal profile, with sub-pixel precision.
3. The index is ``median d(s)`` over the mid-back (:data:`MID`) minus ``median d(s)`` at the hip end
   (:data:`HIP_END`): how far the middle of the back lies behind a line drawn through the dorsal contour at
   the hip end, parallel to the shoulder-hip axis.

The upper end of that reference line is anchored on the shoulder joint rather than on the contour next
to the shoulder, which is unreliable (hood or collar, scapulae, the head and neck in cow or when the head
hangs); on real clips this separated rounded from neutral lifts far better than a chord through both ends
of the contour (rounded-back lift: +0.05..+0.1 against at most +0.02 for neutral lifts). A neutral spine
reads slightly negative (about -0.03..-0.05: lumbar lordosis). The index assumes a side view.

Units: trunk lengths (the shoulder-hip distance in the picture). ``> 0``: the back bulges backwards
(rounded, spine flexed: cat, rounded-back lift); ``< 0``: the back is hollow (spine extended: cow).

A second index, :func:`low_back_from_profile`, reads only the low back against the buttock from the same
contour (for a pelvic tilt on the back, whose movement is too small for the landmarks alone).
"""

from __future__ import annotations

import warnings

import cv2
import numpy as np

from formcheck.core.geometry import anterior, chirality_of
from formcheck.core.landmarks import Side, sided

#: Range of fractions along shoulder -> hip taken as the mid-back.
MID: tuple[float, float] = (0.2, 0.7)
#: Range of fractions along shoulder -> hip taken as the hip end of the back (sacrum / top of the buttock).
HIP_END: tuple[float, float] = (0.85, 0.95)
#: Fractions along shoulder -> hip at which the dorsal profile is sampled (every 1/40 trunk length).
S_SAMPLES: np.ndarray = np.concatenate([np.linspace(*MID, 21), np.linspace(*HIP_END, 5)])
#: Fractions along shoulder -> hip at which the coarse whole-back profile is kept in pose traces (so other
#: back-shape signals can be derived later without the model): every 0.05 trunk length, shoulder to buttock.
PROFILE_S: np.ndarray = np.round(np.linspace(0.0, 1.1, 23), 3)
#: Fractions along shoulder -> hip taken as the low back (the lumbar part just headward of the buttock) and
#: as its reference at the hip end (sacrum and buttock), for :func:`low_back_from_profile`. Both lie on
#: :data:`PROFILE_S`, so the index is the same from a stored profile (offline) and from a mask (live).
LOW_BACK: tuple[float, float] = (0.7, 0.85)
LOW_BACK_REF: tuple[float, float] = (0.95, 1.1)
#: Ray extent, in trunk lengths, anterior (negative) and posterior (positive) of the shoulder-hip line.
T_MIN = -0.3
T_MAX = 0.8
#: Least and most samples per ray.
N_T_RANGE: tuple[int, int] = (48, 128)
#: Smallest usable trunk length on the mask, in pixels.
MIN_TRUNK_PX = 8.0
#: Least share of samples of each part (mid-back, hip end) whose edge must be found for a value.
MIN_VALID_SHARE = 0.6


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
        threshold: probability (0..1, also for uint8 masks) at which the silhouette ends.
        s: fractions along shoulder -> hip at which to sample.

    Returns:
        ``(d, L)``: ``d`` is ``(len(s),)`` in trunk lengths, positive towards the person's back (NaN where
        no edge was found or the edge is the picture's border), and ``L`` the trunk length in mask pixels.
        All-NaN ``d`` and NaN ``L`` when the mask or the landmarks are unusable.
    """
    s = np.asarray(s, dtype=np.float64)
    nan = (np.full(s.shape, np.nan), float("nan"))
    m = np.asarray(mask)
    if m.ndim != 2 or m.size == 0:
        return nan
    # uint8 masks are sampled as they are (no full-frame conversion), float ones as float32.
    scale = 255.0 if m.dtype == np.uint8 else 1.0
    if m.dtype not in (np.uint8, np.float32):
        m = m.astype(np.float32)
    height, width = m.shape
    shoulder, hip = _endpoints(landmarks, side, width, height)
    if not (np.all(np.isfinite(shoulder)) and np.all(np.isfinite(hip))):
        return nan
    trunk = float(np.hypot(*(hip - shoulder)))
    if trunk < MIN_TRUNK_PX:
        return nan
    post = -anterior(shoulder, hip, chirality_of(side))
    # About one sample per pixel along each ray, within N_T_RANGE (the crossing is interpolated).
    n_t = int(np.clip(np.ceil((T_MAX - T_MIN) * trunk) + 1, *N_T_RANGE))
    t = np.linspace(T_MIN, T_MAX, n_t)
    base = shoulder + s[:, None] * (hip - shoulder)  # (n_s, 2)
    pts = base[:, None, :] + (t[None, :, None] * trunk) * post  # (n_s, n_t, 2)
    map_x = np.ascontiguousarray(pts[..., 0], dtype=np.float32)
    map_y = np.ascontiguousarray(pts[..., 1], dtype=np.float32)
    v = cv2.remap(m, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    v = v.astype(np.float64) / scale
    inside = v > threshold
    # Search from the line (t = 0) when it is inside the body, else from the anterior end of the ray.
    k0 = int(np.searchsorted(t, 0.0))
    start = np.where(inside[:, k0], k0, 0)
    exits = inside[:, :-1] & ~inside[:, 1:]  # (n_s, n_t - 1): leaves the mask between k and k + 1
    exits &= np.arange(n_t - 1)[None, :] >= start[:, None]
    found = exits.any(axis=1)
    k = np.argmax(exits, axis=1)
    rows = np.arange(s.size)
    v0 = v[rows, k]
    v1 = v[rows, k + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip((v0 - threshold) / (v0 - v1), 0.0, 1.0)
    d = t[k] + frac * (t[1] - t[0])
    # An edge at the picture's border is where the picture ends, not the back.
    edge = pts[rows, k + 1]
    in_picture = (
        (edge[:, 0] >= 0.0) & (edge[:, 0] <= width - 1.0) & (edge[:, 1] >= 0.0) & (edge[:, 1] <= height - 1.0)
    )
    return np.where(found & in_picture, d, np.nan), trunk


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
        Median dorsal distance from the shoulder-hip line over the mid-back minus the same at the hip end,
        in trunk lengths (see the module docstring); typically within +-0.2.
    """
    d, _ = dorsal_profile(mask, landmarks, side, threshold)
    return bulge_from_profile(d)


def back_measures(
    mask: np.ndarray, landmarks: np.ndarray, side: Side, threshold: float = 0.5
) -> tuple[float, np.ndarray]:
    """:func:`back_curvature` and the coarse profile at :data:`PROFILE_S` (trunk lengths), in one pass."""
    n = S_SAMPLES.size
    d, _ = dorsal_profile(mask, landmarks, side, threshold, s=np.concatenate([S_SAMPLES, PROFILE_S]))
    return bulge_from_profile(d[:n]), d[n:]


def bulge_from_profile(d: np.ndarray, s: np.ndarray = S_SAMPLES) -> float:
    """The index from a dorsal profile ``d`` (trunk lengths) sampled at fractions ``s``: mid minus hip end.

    NaN unless at least :data:`MIN_VALID_SHARE` of the samples in both :data:`MID` and :data:`HIP_END` hold
    an edge.
    """
    d = np.asarray(d, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    parts = []
    for lo, hi in (MID, HIP_END):
        sel = (s >= lo - 1e-9) & (s <= hi + 1e-9)
        v = d[sel]
        v = v[np.isfinite(v)]
        if sel.sum() == 0 or v.size < MIN_VALID_SHARE * sel.sum():
            return float("nan")
        parts.append(float(np.median(v)))
    return parts[0] - parts[1]


def low_back_from_profile(d: np.ndarray, s: np.ndarray = PROFILE_S) -> np.ndarray:
    """How hollow the low back is, from dorsal profiles ``d`` (``(..., len(s))``, trunk lengths): the median
    profile over :data:`LOW_BACK_REF` minus the median over :data:`LOW_BACK`.

    Seen from the side with the person on their back, this is how far the low back's contour lies in front
    of (lifted off the mat, towards the belly) the contour at the buttock: > 0 the low back is hollow
    (arched), about 0 it is flat (pressed down). A supine pelvic tilt moves it by about 0.03 trunk lengths
    (one real clip; see ``exercises/pelvic_tilt.toml``). Units: trunk lengths; NaN unless at least
    :data:`MIN_VALID_SHARE` of the samples of both parts hold an edge.
    """
    d = np.asarray(d, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    parts = []
    for lo, hi in (LOW_BACK_REF, LOW_BACK):
        sel = (s >= lo - 1e-9) & (s <= hi + 1e-9)
        v = d[..., sel]
        enough = np.isfinite(v).sum(axis=-1) >= max(1.0, MIN_VALID_SHARE * sel.sum())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: NaN, as meant
            parts.append(np.where(enough, np.nanmedian(v, axis=-1) if v.shape[-1] else np.nan, np.nan))
    return parts[0] - parts[1]


def low_back_hollow(mask: np.ndarray, landmarks: np.ndarray, side: Side, threshold: float = 0.5) -> float:
    """:func:`low_back_from_profile` of one frame's mask (live): the profile sampled at :data:`PROFILE_S`, as
    the pose traces store it, so live and offline read the same index. NaN when unusable."""
    d, _ = dorsal_profile(mask, landmarks, side, threshold, s=PROFILE_S)
    return float(low_back_from_profile(d))


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
