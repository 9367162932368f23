"""Teaching an exercise by demonstration: a template derived from 2-5 good reps filmed side-on (pure).

Features of the demonstration in, a :class:`Taught` out (numpy in, dataclasses out, no clock, no I/O):

1. **What moves** (:func:`find_movement`): every candidate feature (:data:`MOVE_FEATURES`) that is seen in
   most frames and moves by at least a sixth of a large movement of its kind (:data:`LARGE`: 90 degrees,
   half a leg length) is cut into reps by the very rep detector that counts them later
   (:class:`formcheck.core.reps.RepDetector`, a provisional ``min_range`` of :data:`CUT_SHARE` of its
   range). Where the demonstration starts says the kind: near the low end of the range a rep goes ``up``
   from rest, near the high end ``down`` (an excursion), in between it is a ``cycle``. Among the features
   whose signal-to-noise ratio is at least :data:`SNR_SHARE` of the best one (a flickering silhouette is
   not the movement) and that show at least 2 reps, the one that moves most (range / :data:`LARGE`) is the
   count signal.
2. **The rep rule** (:func:`derive`): ``min_range`` is :data:`MIN_RANGE_SHARE` of the demonstration's
   smallest rep (patients move less than the physio who shows it); its margins to the smallest rep and to
   the largest movement between reps are reported. A demonstration that holds the end position for at least
   :data:`HOLD_MIN_S` s (median) gets a hold of :data:`HOLD_SHARE` of its shortest hold.
3. **What stays still** (:data:`STILL_FEATURES` whose spread within the reps is under :data:`STILL`):
   a fault per feature when, at the rep's turning point, it is further than a tolerance (the larger of
   :data:`STILL_TOLERANCE` and 1.5 x its spread in the demonstration) from the demonstrated level.
4. **The demonstration itself** (:class:`DemoReference`): the moving features of every rep, resampled to
   :data:`SAMPLES` points; :func:`compare_rep` matches a patient's rep to their mean by dynamic time
   warping (:func:`dtw`) and says how close it is (0-100) and where it differed most ("less hip lift than
   shown").

:func:`template_toml` writes the result in the schema of ``exercises/*.toml`` with the figures it was
derived from as comments, so a physiotherapist can read and edit it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import warnings
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.core.engine import MAX_SIDE_VIEW
from formcheck.core.filters import running_stat, zero_phase
from formcheck.core.geometry import MASK_FEATURES
from formcheck.core.messages import MESSAGES
from formcheck.core.reps import CountRule, RepDetector, RepSpan
from formcheck.core.templates import Text

#: Features that can carry the movement, and are compared with the demonstration.
MOVE_FEATURES: tuple[str, ...] = (
    "trunk_incline",
    "pelvis_height",
    "hand_height",
    "hip_angle",
    "knee_angle",
    "elbow_angle",
    "shoulder_angle",
    "neck_flexion",
    "spine_flexion",
)
#: Features that are made faults when they stay still in the demonstration (angles a physio can read).
STILL_FEATURES: tuple[str, ...] = (
    "trunk_incline",
    "hip_angle",
    "knee_angle",
    "elbow_angle",
    "shoulder_angle",
    "neck_flexion",
)
#: A large movement of a feature, in its unit (degrees, or leg lengths for heights).
LARGE: Mapping[str, float] = {"pelvis_height": 0.5, "hand_height": 0.5}
LARGE_DEG = 90.0
#: A feature moves when its range is at least this share of :data:`LARGE`.
MOVING_SHARE = 1.0 / 6.0
#: A feature is still when its spread within the reps is under this share of :data:`LARGE` (20 degrees).
STILL_SHARE = 2.0 / 9.0
#: A still feature's fault tolerance is at least this share of :data:`LARGE` (20 degrees).
TOLERANCE_SHARE = 2.0 / 9.0
#: A feature must be seen in at least this share of the frames (of the demonstration, or of its reps).
MIN_SEEN = 0.8
#: Provisional ``min_range`` for cutting the demonstration into reps: this share of the feature's range.
CUT_SHARE = 0.4
#: The taught ``min_range``: this share of the demonstration's smallest rep.
MIN_RANGE_SHARE = 0.5
#: Candidates whose signal-to-noise ratio is below this share of the best one are not the count signal.
SNR_SHARE = 0.5
#: The demonstration holds when its median hold is at least this long (s); the taught hold is
#: :data:`HOLD_SHARE` of its shortest hold, rounded down to half seconds.
HOLD_MIN_S = 1.0
HOLD_SHARE = 0.8
#: Seconds at the start of the demonstration (once the person is seen) that say where rest is.
START_S = 0.5
#: Below this share of the range from the low end the start is rest for a rep going up (the mirror for down).
START_NEAR = 0.35
#: Points each rep is resampled to for the comparison with the demonstration.
SAMPLES = 50
#: At most this many features are compared (the ones that move most).
MAX_COMPARED = 4
#: Dynamic time warping may shift a point by at most this share of the rep.
DTW_BAND = 0.25
#: A mean difference of this share of the demonstrated range gives a score of 0 (none gives 100).
SCORE_ZERO = 0.4
#: A rep scoring at least this is "very close to the demonstration".
CLOSE_SCORE = 85.0
#: A rep faster than this share of the demonstration's median duration is "faster than shown".
FAST_SHARE = 0.6
#: Joints to colour when a still feature is off (side-free joint names of the overlay).
JOINTS: Mapping[str, tuple[str, ...]] = {
    "trunk_incline": ("shoulder", "hip"),
    "hip_angle": ("hip",),
    "knee_angle": ("knee",),
    "elbow_angle": ("elbow",),
    "shoulder_angle": ("shoulder",),
    "neck_flexion": ("shoulder",),
}
#: Unit of each taught feature, for the TOML comments and the page.
UNITS: Mapping[str, str] = {"pelvis_height": "leg lengths", "hand_height": "leg lengths"}


class TeachError(ValueError):
    """A demonstration that cannot be taught from; ``code`` is a :mod:`formcheck.core.messages` code and
    ``fields`` its format fields, so the page and the CLI say it in the user's language."""

    def __init__(self, code: str, **fields: Any) -> None:
        self.code = code
        self.fields = fields
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        """The message in ``lang``."""
        return MESSAGES[self.code].get(lang).format(**self.fields)


def large(feature: str) -> float:
    """A large movement of ``feature`` in its unit (see :data:`LARGE`)."""
    return LARGE.get(feature, LARGE_DEG)


def unit(feature: str) -> str:
    """The unit of ``feature`` (``deg`` for angles)."""
    return UNITS.get(feature, "deg")


# ------------------------------------------------------------------------------------------- the movement


@dataclass(frozen=True)
class DemoRep:
    """One rep of the demonstration (seconds; ``range`` in the count feature's unit)."""

    start_s: float
    turn_s: float
    end_s: float
    range: float
    hold_s: float


@dataclass(frozen=True)
class Candidate:
    """How one feature moved in the demonstration (for the choice of the count signal, and the page).

    Attributes:
        feature: the feature.
        range: its spread over the demonstration (97th - 3rd percentile of the 0.3 s running median).
        snr: ``range`` over the jitter (standard deviation around a 0.25 s smoothing).
        kind / direction: the movement read from where the demonstration starts.
        reps: the reps the rep detector cut with a provisional ``min_range`` of :data:`CUT_SHARE` x range.
    """

    feature: str
    range: float
    snr: float
    kind: str
    direction: str
    reps: tuple[RepSpan, ...]

    @property
    def moves(self) -> float:
        """The range as a share of a large movement of this feature."""
        return self.range / large(self.feature)


def _median_signal(times: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The 0.3 s running median the rep detector sees (causal)."""
    return running_stat(y, times, 0.3, "median")


def _fps(times: np.ndarray) -> float:
    dt = np.diff(times)
    dt = dt[dt > 0]
    return 1.0 / float(np.median(dt)) if dt.size else 30.0


def cut_reps(times: np.ndarray, values: np.ndarray, rule: CountRule) -> tuple[list[RepSpan], list[float]]:
    """The reps the rep detector finds in one signal, and the time each spent at its top (s).

    Args:
        times: ``(T,)`` frame times (s).
        values: ``(T,)`` the signal (NaN = not seen).
        rule: the count rule.

    Returns:
        The reps (including the ones only the end settles) and, per rep, the seconds at the top of the
        excursion (0 for cycles), with steps longer than 0.25 s not credited (as the engine does).
    """
    det = RepDetector(rule)
    reps: list[RepSpan] = []
    holds: list[float] = []
    top = 0.0
    prev = None
    for t, v in zip(times.tolist(), values.tolist(), strict=True):
        step = det.update(t, v)
        dt = 0.0 if prev is None else min(max(t - prev, 0.0), 0.25)
        prev = t
        if step.started is not None:
            top = 0.0
        if step.at_top:
            top += dt
        if step.finished is not None:
            reps.append(step.finished)
            holds.append(top)
            top = 0.0
    if len(times):
        last = values[np.isfinite(values)]
        for span in det.finish(float(times[-1]), float(last[-1]) if last.size else None):
            reps.append(span)
            holds.append(0.0)
    return reps, holds


def _provisional(feature: str, kind: str, direction: str, min_range: float) -> CountRule:
    phases = ("rest", "away") if kind == "excursion" else ("high", "low")
    return CountRule(
        feature=feature,
        kind=kind,
        direction=direction,
        min_range=min_range,
        phases=phases,
        min_s=0.3,
        max_s=600.0,
    )


def candidate(times: np.ndarray, values: np.ndarray, feature: str) -> Candidate | None:
    """How ``feature`` moved in the demonstration, or None when it is not seen in most frames or does
    not move (range under :data:`MOVING_SHARE` of a large movement)."""
    y = np.asarray(values, dtype=np.float64)
    seen = np.isfinite(y)
    if y.size == 0 or seen.mean() < MIN_SEEN:
        return None
    m = _median_signal(times, y)
    lo, hi = (float(v) for v in np.nanpercentile(m, [3, 97]))
    rng = hi - lo
    if not rng >= MOVING_SHARE * large(feature):
        return None
    smooth = zero_phase(y, _fps(times), 0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        noise = float(np.nanstd(y - smooth))
    snr = rng / max(noise, 1e-9)
    first = float(times[np.flatnonzero(np.isfinite(m))[0]])
    start = m[(times >= first) & (times <= first + START_S)]
    z0 = (float(np.nanmedian(start)) - lo) / rng
    if z0 < START_NEAR:
        kind, direction = "excursion", "up"
    elif z0 > 1.0 - START_NEAR:
        kind, direction = "excursion", "down"
    else:
        kind, direction = "cycle", "up"
    reps, _ = cut_reps(times, y, _provisional(feature, kind, direction, CUT_SHARE * rng))
    return Candidate(feature, rng, snr, kind, direction, tuple(reps))


def find_movement(times: np.ndarray, feats: Mapping[str, np.ndarray]) -> tuple[Candidate, list[Candidate]]:
    """The count signal of a demonstration, and every moving candidate (most moving first).

    Raises:
        TeachError: ``teach_no_person`` (a pose in under half the frames), ``teach_not_side`` (not filmed
            from the side: the median ``side_view`` above the live set-up check's
            :data:`formcheck.core.engine.MAX_SIDE_VIEW`), ``teach_no_movement`` (nothing moves) or
            ``teach_few_reps`` (the best movement shows fewer than 2 reps).
    """
    vis = np.asarray(feats.get("visibility", np.full(len(times), np.nan)), dtype=np.float64)
    if len(times) == 0 or np.isfinite(vis).mean() < 0.5:
        raise TeachError("teach_no_person")
    side = np.asarray(feats.get("side_view", np.full(len(times), np.nan)), dtype=np.float64)
    if np.isfinite(side).any() and float(np.nanmedian(side)) > MAX_SIDE_VIEW:
        raise TeachError("teach_not_side")
    cands = [c for f in MOVE_FEATURES if f in feats if (c := candidate(times, feats[f], f)) is not None]
    cands.sort(key=lambda c: -c.moves)
    if not cands:
        raise TeachError("teach_no_movement")
    # a noisy signal (a flickering silhouette) is not the movement, however many "reps" it shows
    top_snr = max(c.snr for c in cands)
    clear = [c for c in cands if c.snr >= SNR_SHARE * top_snr]
    usable = [c for c in clear if len(c.reps) >= 2]
    if not usable:
        best = max(cands, key=lambda c: c.snr)
        raise TeachError("teach_few_reps", n=len(best.reps), feature=best.feature)
    return max(usable, key=lambda c: c.moves), cands


# ----------------------------------------------------------------------------------------- the template


@dataclass(frozen=True)
class StillFeature:
    """A feature the demonstration kept still: a fault when the rep's turning point is outside
    ``level +- tolerance`` (its unit)."""

    feature: str
    level: float
    spread: float
    tolerance: float

    @property
    def code(self) -> str:
        """The fault code."""
        return f"keep_{self.feature}"


@dataclass(frozen=True)
class DemoReference:
    """The demonstration's reps, kept with the taught template to compare a patient's reps with.

    Attributes:
        features: the compared features (the count feature first).
        kind: ``excursion`` (traces relative to the rep's start) or ``cycle`` (relative to the rep's mean).
        reps: per rep, per feature, :data:`SAMPLES` values (the feature's unit, relative as above).
        scale: per feature, the demonstrated range used to make the features comparable (its unit).
        duration_s: the demonstration's median rep duration.
    """

    features: tuple[str, ...]
    kind: str
    reps: tuple[Mapping[str, tuple[float, ...]], ...]
    scale: Mapping[str, float]
    duration_s: float

    def mean(self) -> np.ndarray:
        """``(SAMPLES, F)`` mean trace over the demonstrated reps."""
        return np.mean([[r[f] for f in self.features] for r in self.reps], axis=0).T

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (see :meth:`from_json`)."""
        return {
            "schema": 1,
            "features": list(self.features),
            "kind": self.kind,
            "samples": SAMPLES,
            "duration_s": round(self.duration_s, 3),
            "scale": {k: round(v, 4) for k, v in self.scale.items()},
            "reps": [{k: [round(x, 4) for x in v] for k, v in r.items()} for r in self.reps],
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> DemoReference:
        """The reference from :meth:`to_json`'s dict.

        Raises:
            ValueError: the dict is not a reference (missing keys, wrong lengths).
        """
        try:
            feats = tuple(str(f) for f in doc["features"])
            reps = tuple({f: tuple(float(x) for x in r[f]) for f in feats} for r in doc["reps"])
            scale = {f: float(doc["scale"][f]) for f in feats}
            ref = cls(feats, str(doc["kind"]), reps, scale, float(doc["duration_s"]))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"not a demonstration reference ({e})") from None
        if not feats or not reps or any(len(r[f]) != SAMPLES for r in reps for f in feats):
            raise ValueError(f"not a demonstration reference (needs features and reps of {SAMPLES} samples)")
        return ref


@dataclass(frozen=True)
class Taught:
    """A template derived from a demonstration, with the figures it was derived from.

    Attributes:
        name: the exercise name (the file name).
        movement: the count signal as found.
        candidates: every moving feature (most moving first).
        reps: the demonstration's reps as counted with the taught rule.
        min_range: the taught least range of a rep (count feature's unit).
        between_reps: the largest movement of the count signal between the reps (excursions), or None.
        min_s / max_s: shortest and longest rep (s).
        hold: ``(min_s, max_s)`` of the hold, or None when the demonstration does not hold.
        still: the features kept still, as faults.
        position: ``(feature, min, max)`` band of the starting position.
        posture / camera_height: for the camera-placement picture.
        display: features shown on screen.
        reference: the demonstration's traces for the comparison.
        title: the exercise's title (the physio may change it).
    """

    name: str
    movement: Candidate
    candidates: tuple[Candidate, ...]
    reps: tuple[DemoRep, ...]
    min_range: float
    between_reps: float | None
    min_s: float
    max_s: float
    hold: tuple[float, float] | None
    still: tuple[StillFeature, ...]
    position: tuple[str, float, float]
    posture: str
    camera_height: str
    display: tuple[str, ...]
    reference: DemoReference
    title: Text = field(default_factory=lambda: MESSAGES["teach_title_default"])
    from_start: bool = False

    @property
    def count_rule(self) -> CountRule:
        """The taught rep rule."""
        m = self.movement
        rule = _provisional(m.feature, m.kind, m.direction, self.min_range)
        return dataclasses.replace(rule, min_s=self.min_s, max_s=self.max_s, from_start=self.from_start)

    @property
    def margins(self) -> tuple[float, float | None]:
        """``min_range``'s margins: to the smallest demonstrated rep, and over the largest movement between
        reps (None for cycles), in the count feature's unit."""
        low = min(r.range for r in self.reps) - self.min_range
        return low, (None if self.between_reps is None else self.min_range - self.between_reps)


def _nice(x: float, step: float) -> float:
    """``x`` rounded to a multiple of ``step`` (and to 4 decimals, for tidy TOML)."""
    return round(round(x / step) * step, 4)


def _step(feature: str) -> float:
    return 0.01 if feature in LARGE else 1.0


def _between_reps(times: np.ndarray, m: np.ndarray, reps: Sequence[RepSpan]) -> float:
    """The largest movement (97th - 3rd percentile) of the running median ``m`` between two reps (before the
    first and after the last the demonstration may be getting ready or end mid-rep)."""
    worst = 0.0
    for a, b in itertools.pairwise(reps):
        v = m[(times > a.end_s) & (times < b.start_s)]
        v = v[np.isfinite(v)]
        if v.size >= 2:
            worst = max(worst, float(np.percentile(v, 97) - np.percentile(v, 3)))
    return worst


def _resample(times: np.ndarray, y: np.ndarray, start: float, end: float) -> np.ndarray | None:
    """``y`` between ``start`` and ``end`` (s) at :data:`SAMPLES` evenly spaced times, linearly
    interpolated over unseen frames; None when under half of that stretch is seen."""
    sel = (times >= start) & (times <= end)
    t, v = times[sel], y[sel]
    ok = np.isfinite(v)
    if t.size < 2 or ok.mean() < 0.5:
        return None
    return np.interp(np.linspace(start, end, SAMPLES), t[ok], v[ok])


def _relative(trace: np.ndarray, kind: str) -> np.ndarray:
    """A rep's trace relative to its start (excursion) or its mean (cycle)."""
    base = trace[0] if kind == "excursion" else float(np.mean(trace))
    return trace - base


def _still(
    times: np.ndarray, feats: Mapping[str, np.ndarray], reps: Sequence[DemoRep], skip: str
) -> list[StillFeature]:
    inside = np.zeros(len(times), bool)
    for r in reps:
        inside |= (times >= r.start_s) & (times <= r.end_s)
    out = []
    for f in STILL_FEATURES:
        if f == skip or f not in feats:
            continue
        y = np.asarray(feats[f], dtype=np.float64)[inside]
        if y.size == 0 or np.isfinite(y).mean() < MIN_SEEN:
            continue
        lo, hi = np.nanpercentile(y, [5, 95])
        spread = float(hi - lo)
        if spread >= STILL_SHARE * large(f):
            continue
        at_turn = [
            float(np.interp(r.turn_s, times, np.nan_to_num(feats[f], nan=float(np.nanmedian(y)))))
            for r in reps
        ]
        tol = _nice(max(TOLERANCE_SHARE * large(f), 1.5 * spread), 5.0 * _step(f))
        out.append(StillFeature(f, _nice(float(np.median(at_turn)), _step(f)), round(spread, 2), tol))
    return out


def derive(
    times: np.ndarray, feats: Mapping[str, np.ndarray], name: str, *, from_start: bool = False
) -> Taught:
    """A template from a demonstration's features.

    Args:
        times: ``(T,)`` frame times (s).
        feats: ``{feature: (T,)}`` as from :func:`formcheck.pose.pipeline.trace_features`.
        name: the exercise name.
        from_start: a recording that starts away from rest counts its first return (e.g. a lift that
            starts at the load); the demonstration cannot show this, the physio chooses it.

    Returns:
        The :class:`Taught` template (write it with :func:`template_toml`).

    Raises:
        TeachError: no person, no clear repeated movement, or fewer than 2 reps.
    """
    times = np.asarray(times, dtype=np.float64)
    move, cands = find_movement(times, feats)
    y = np.asarray(feats[move.feature], dtype=np.float64)
    min_range = _nice(MIN_RANGE_SHARE * min(r.range for r in move.reps), _step(move.feature) / 10)
    spans, holds = cut_reps(times, y, _provisional(move.feature, move.kind, move.direction, min_range))
    if len(spans) < 2:
        raise TeachError("teach_few_reps", n=len(spans), feature=move.feature)
    reps = tuple(
        DemoRep(s.start_s, s.turn_s, s.end_s, s.range, round(h, 2)) for s, h in zip(spans, holds, strict=True)
    )
    durations = [r.end_s - r.start_s for r in reps]
    min_s = max(0.3, _nice(0.3 * min(durations), 0.1))
    max_s = min(600.0, max(30.0, _nice(4.0 * max(durations), 1.0)))
    hold = None
    if move.kind == "excursion" and float(np.median([r.hold_s for r in reps])) >= HOLD_MIN_S:
        lo_hold = max(0.5, math.floor(HOLD_SHARE * min(r.hold_s for r in reps) * 2) / 2)
        hold = (lo_hold, float(min(600.0, max(lo_hold + 1.0, math.ceil(2.0 * max(r.hold_s for r in reps))))))
    m = _median_signal(times, y)
    between = _between_reps(times, m, spans) if move.kind == "excursion" else None
    still = _still(times, feats, reps, move.feature)
    posture, height = _posture(feats)
    position = _position(times, feats, move)
    # other clear movements, to show and compare; silhouette features only when they are the count signal
    # (they need the segmentation mask, which the template would otherwise not ask for)
    moving = [
        c
        for c in cands
        if c.feature != move.feature and c.snr >= SNR_SHARE * move.snr and c.feature not in MASK_FEATURES
    ]
    display = (move.feature, *(c.feature for c in moving[:1]))
    reference = _reference(times, feats, reps, move, moving)
    return Taught(
        name=name,
        movement=move,
        candidates=tuple(cands),
        reps=reps,
        min_range=min_range,
        between_reps=None if between is None else round(between, 4),
        min_s=min_s,
        max_s=max_s,
        hold=hold,
        still=tuple(still),
        position=position,
        posture=posture,
        camera_height=height,
        display=display,
        reference=reference,
        title=Text(nl=_pretty(name), en=_pretty(name)),
        from_start=from_start,
    )


def _pretty(name: str) -> str:
    """A title from an exercise name: ``my_bridge`` -> ``My bridge``."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else MESSAGES["teach_title_default"].en


def _posture(feats: Mapping[str, np.ndarray]) -> tuple[str, str]:
    """The start posture and camera height for the placement picture: upright, lying or on all fours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        trunk = float(np.nanmedian(feats.get("trunk_incline", np.array([np.nan]))))
        pelvis = float(np.nanmedian(feats.get("pelvis_height", np.array([np.nan]))))
    if not trunk > 45.0:
        return "standing", "hip"
    if pelvis > 0.3:
        return "all_fours", "knee"
    return "supine_knees_bent", "floor"


def _position(
    times: np.ndarray, feats: Mapping[str, np.ndarray], move: Candidate
) -> tuple[str, float, float]:
    """The starting-position band: the trunk's tilt over the demonstration with 35 degrees to spare (a
    camera that is not level, a different body), else the count signal's range with one range to spare."""
    trunk = np.asarray(feats.get("trunk_incline", np.array([])), dtype=np.float64)
    if trunk.size and np.isfinite(trunk).mean() >= MIN_SEEN:
        lo, hi = np.nanpercentile(trunk, [1, 99])
        return "trunk_incline", max(0.0, _nice(lo - 35.0, 5.0)), min(180.0, _nice(hi + 35.0, 5.0))
    y = np.asarray(feats[move.feature], dtype=np.float64)
    lo, hi = np.nanpercentile(y, [1, 99])
    step = _step(move.feature)
    return move.feature, _nice(lo - move.range, step), _nice(hi + move.range, step)


def _reference(
    times: np.ndarray,
    feats: Mapping[str, np.ndarray],
    reps: Sequence[DemoRep],
    move: Candidate,
    moving: Sequence[Candidate],
) -> DemoReference:
    names = [move.feature, *(c.feature for c in moving)][:MAX_COMPARED]
    traces: list[dict[str, tuple[float, ...]]] = []
    for r in reps:
        rep: dict[str, tuple[float, ...]] = {}
        for f in names:
            tr = _resample(times, np.asarray(feats[f], dtype=np.float64), r.start_s, r.end_s)
            if tr is None:
                break
            rep[f] = tuple(float(x) for x in _relative(tr, move.kind))
        else:
            traces.append(rep)
    if not traces:  # every rep has a gap in some feature: compare the count signal alone
        names = [move.feature]
        for r in reps:
            tr = _resample(times, np.asarray(feats[move.feature], dtype=np.float64), r.start_s, r.end_s)
            if tr is not None:
                traces.append({move.feature: tuple(float(x) for x in _relative(tr, move.kind))})
    mean = np.mean([[t[f] for f in names] for t in traces], axis=0)
    scale = {f: max(float(np.ptp(mean[i])), MOVING_SHARE * large(f)) for i, f in enumerate(names)}
    duration = float(np.median([r.end_s - r.start_s for r in reps]))
    return DemoReference(tuple(names), move.kind, tuple(traces), scale, duration)


# ---------------------------------------------------------------------------------------------- the TOML


def _q(s: str) -> str:
    """A TOML basic string."""
    return json.dumps(s, ensure_ascii=False)


def _num(x: float) -> str:
    return repr(round(float(x), 4))


def _text(table: str, text: Text) -> list[str]:
    return [f"[{table}]", f"nl = {_q(text.nl)}", f"en = {_q(text.en)}"]


def _still_cue(s: StillFeature) -> Text:
    level = f"{s.level:.0f}°" if unit(s.feature) == "deg" else f"{s.level:.2f}"
    t = MESSAGES["teach_still_cue"]
    part = MESSAGES.get(f"teach_part_{s.feature}", Text(s.feature, s.feature))
    return Text(nl=t.nl.format(part=part.nl, level=level), en=t.en.format(part=part.en, level=level))


def template_toml(taught: Taught) -> str:
    """The taught template as TOML in the schema of ``exercises/*.toml``, with the figures it was derived
    from as comments."""
    tg = taught
    m = tg.movement
    low, high = tg.margins
    u = unit(m.feature)
    rng = ", ".join(f"{r.range:.3g}" for r in tg.reps)
    holds = ", ".join(f"{r.hold_s:.1f}" for r in tg.reps)
    start = "at rest" if m.kind == "excursion" else "mid-way"
    what = (
        f"an excursion going {m.direction} from rest and back"
        if m.kind == "excursion"
        else "a cycle between two turning points and back"
    )
    over = ""
    if high is not None:
        over = f", and {high:.3g} {u} over the largest movement between reps ({tg.between_reps:.3g} {u})"
    from_start = (
        ["from_start = true  # a recording that starts away from rest counts its first return"]
        if tg.from_start
        else []
    )
    lines = [
        f"# Taught by demonstration: {len(tg.reps)} reps, counted on {m.feature} ({u}); see",
        "# `formcheck features` for every feature and its unit.",
        f"# The demonstration's traces are kept beside this file in {tg.name}.demo.json (to compare a",
        "# patient's reps with it). Every number below was read from the demonstration; edit them freely.",
        "schema = 1",
        f"name = {_q(tg.name)}",
        "target_reps = 10",
        f"display = [{', '.join(_q(d) for d in tg.display)}]",
        "",
        *_text("title", tg.title),
        "",
        *_text("instructions", MESSAGES["teach_instructions"]),
        "",
        "[camera]",
        'view = "side"',
        "distance_m = [2.0, 3.0]",
        f"height = {_q(tg.camera_height)}",
        f"posture = {_q(tg.posture)}",
        *_text("camera.text", MESSAGES["teach_camera"]),
        "",
        "# The starting position: the demonstration's range with room to spare for another body and camera.",
        "[position]",
        "settle_s = 0.3",
        "[[position.require]]",
        f"feature = {_q(tg.position[0])}",
        f"min = {_num(tg.position[1])}",
        f"max = {_num(tg.position[2])}",
        *_text("position.cue", MESSAGES["teach_position_cue"]),
        "",
        f"# Counting, by movement: {m.feature} moved most clearly (range {m.range:.3g} {u}, signal-to-noise",
        f"# {m.snr:.0f}); the demonstration starts {start}, so a rep is {what}.",
        f"# The demonstrated reps moved it by {rng} {u}.",
        f"# min_range is half the smallest: margin {low:.3g} {u} to it{over}.",
        f"# Demonstrated reps took {min(r.end_s - r.start_s for r in tg.reps):.1f} to "
        f"{max(r.end_s - r.start_s for r in tg.reps):.1f} s.",
        "[count]",
        f"feature = {_q(m.feature)}",
        f"kind = {_q(m.kind)}",
        f"direction = {_q(m.direction)}",
        f"min_range = {_num(tg.min_range)}",
        f"min_s = {_num(tg.min_s)}",
        f"max_s = {_num(tg.max_s)}",
        *from_start,
        "",
    ]
    names = ("rest", "away") if m.kind == "excursion" else ("high", "low")
    for ph in names:
        lines += ["[[phases]]", f"name = {_q(ph)}", *_text("phases.label", MESSAGES[f"teach_phase_{ph}"]), ""]
    if tg.hold is not None:
        cue = MESSAGES["teach_hold_cue"]
        s = f"{tg.hold[0]:g}"
        lines += [
            f"# Held at the end position for {holds} s in the demonstration: the hold is {HOLD_SHARE:.0%} of",
            "# the shortest, rounded down to half seconds.",
            "[hold]",
            'phase = "away"',
            f"min_s = {_num(tg.hold[0])}",
            f"max_s = {_num(tg.hold[1])}",
            'code = "hold_short"',
            *_text("hold.cue", Text(nl=cue.nl.format(s=s.replace(".", ",")), en=cue.en.format(s=s))),
            *_text("hold.done_cue", MESSAGES["teach_hold_done"]),
            "",
        ]
    for st in tg.still:
        su = unit(st.feature)
        lines += [
            f"# Kept still in the demonstration: {st.feature} about {st.level:g} {su} at the turning point",
            f"# (spread {st.spread:.3g} {su} within the reps); off by over {st.tolerance:g} {su} is a fault.",
            "[[faults]]",
            f"code = {_q(st.code)}",
            f"feature = {_q(st.feature)}",
            'stat = "extreme"',
            'during = "rep"',
            f"above = {_num(st.level + st.tolerance)}",
            f"below = {_num(st.level - st.tolerance)}",
            "priority = 3",
            "penalty = 10",
            f"joints = [{', '.join(_q(j) for j in JOINTS.get(st.feature, ()))}]",
            *_text("faults.cue", _still_cue(st)),
            "",
        ]
    lines += _text("cues.good", MESSAGES["teach_good"])
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------------------------- the comparison


def dtw(a: np.ndarray, b: np.ndarray, band: float = DTW_BAND) -> tuple[float, list[tuple[int, int]]]:
    """Dynamic time warping of two ``(N, F)`` and ``(M, F)`` traces (mean absolute difference per feature).

    Args:
        a: the reference.
        b: the compared trace.
        band: the largest shift allowed, as a share of the longer trace (Sakoe-Chiba band).

    Returns:
        The cost of the best path per point of ``a``, and the path as ``(i, j)`` index pairs from (0, 0)
        to (N-1, M-1).
    """
    a = np.atleast_2d(np.asarray(a, dtype=np.float64).T).T
    b = np.atleast_2d(np.asarray(b, dtype=np.float64).T).T
    n, m = len(a), len(b)
    cost = np.mean(np.abs(a[:, None, :] - b[None, :, :]), axis=-1)
    w = max(math.ceil(band * max(n, m)), abs(n - m))
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, n + 1):
        j0 = max(1, math.floor(i * m / n) - w)
        j1 = min(m, math.ceil(i * m / n) + w)
        for j in range(j0, j1 + 1):
            acc[i, j] = cost[i - 1, j - 1] + min(acc[i - 1, j], acc[i, j - 1], acc[i - 1, j - 1])
    i, j = n, m
    path = [(n - 1, m - 1)]
    while (i, j) != (1, 1):
        steps = ((i - 1, j - 1), (i - 1, j), (i, j - 1))
        i, j = min((s for s in steps if s[0] >= 1 and s[1] >= 1), key=lambda s: acc[s])
        path.append((i - 1, j - 1))
    path.reverse()
    # per point of the reference: a path that lingers in the easy parts is not made cheaper by it
    return float(acc[n, m] / n), path


@dataclass(frozen=True)
class RepMatch:
    """How close a patient's rep came to the demonstration.

    Attributes:
        score: 0-100 (100 = the demonstrated movement; 0 = off by :data:`SCORE_ZERO` of its range).
        distance: the mean difference along the warping path, in shares of the demonstrated ranges.
        feature: the feature that differed most.
        where: where in the demonstrated rep it differed most (0 = start, 1 = end).
        difference: the signed difference there (feature's unit; < 0: less movement than shown).
        tempo: the rep's duration over the demonstration's median one.
        cue: what to say (less/more movement than shown, faster than shown, or very close).
    """

    score: float
    distance: float
    feature: str
    where: float
    difference: float
    tempo: float
    cue: Text
    code: str

    def to_json(self, lang: str) -> dict[str, Any]:
        """The JSON fields of a rep's ``demo`` entry."""
        return {
            "score": self.score,
            "distance": round(self.distance, 3),
            "feature": self.feature,
            "where": round(self.where, 2),
            "difference": round(self.difference, 3),
            "tempo": round(self.tempo, 2),
            "code": self.code,
            "cue": self.cue.get(lang),
        }


def _fill(text: Text, **kw: Text) -> Text:
    return Text(
        nl=text.nl.format(**{k: v.nl for k, v in kw.items()}),
        en=text.en.format(**{k: v.en for k, v in kw.items()}),
    )


def compare_rep(
    ref: DemoReference, times: np.ndarray, feats: Mapping[str, np.ndarray], start_s: float, end_s: float
) -> RepMatch | None:
    """Compare one rep (``start_s`` to ``end_s`` of the features) with the demonstration.

    Both are resampled to :data:`SAMPLES` points, taken relative to their start (or mean, for cycles),
    divided by the demonstrated range per feature and matched by :func:`dtw`. None when a compared feature
    is unseen in most of the rep.
    """
    times = np.asarray(times, dtype=np.float64)
    cols = []
    for f in ref.features:
        tr = _resample(
            times, np.asarray(feats.get(f, np.full(len(times), np.nan)), dtype=np.float64), start_s, end_s
        )
        if tr is None:
            return None
        cols.append(_relative(tr, ref.kind))
    scale = np.array([ref.scale[f] for f in ref.features])
    rep = np.stack(cols, axis=1)
    # the mean of the demonstrated reps: what was shown (the closest single rep would let a small rep pass as
    # "close" whenever one demonstrated rep happened to be small)
    demo = ref.mean()
    dist, path = dtw(demo / scale, rep / scale)
    score = round(100.0 * max(0.0, 1.0 - dist / SCORE_ZERO), 1)
    ii = np.array([p[0] for p in path])
    jj = np.array([p[1] for p in path])
    # which way each feature moves in the demonstration: its largest excursion's sign
    sign = np.sign(demo[np.argmax(np.abs(demo), axis=0), np.arange(demo.shape[1])])
    sign[sign == 0] = 1.0
    diff = (rep[jj] - demo[ii]) * sign  # > 0: further than shown
    worst_f = int(np.argmax(np.mean(np.abs(diff / scale), axis=0)))
    k = int(np.argmax(np.abs(diff[:, worst_f])))
    feature = ref.features[worst_f]
    tempo = (end_s - start_s) / ref.duration_s if ref.duration_s > 0 else 1.0
    what = MESSAGES.get(f"teach_what_{feature}", Text(feature, feature))
    if score < CLOSE_SCORE:
        code = "teach_less" if diff[k, worst_f] < 0 else "teach_more"
        cue = _fill(MESSAGES[code], what=what)
    elif tempo < FAST_SHARE:
        code, cue = "teach_faster", MESSAGES["teach_faster"]
    else:
        code, cue = "teach_close", MESSAGES["teach_close"]
    return RepMatch(
        score=score,
        distance=dist,
        feature=feature,
        where=float(ii[k]) / (SAMPLES - 1),
        difference=float(diff[k, worst_f]),
        tempo=tempo,
        cue=cue,
        code=code,
    )


class DemoMatcher:
    """The comparison with the demonstration while a stream runs: the compared features of the last
    ``keep_s`` seconds are kept, and a finished rep is compared as :func:`compare_rep` does offline.

    Args:
        ref: the demonstration.
        keep_s: seconds of features kept (at least the template's longest rep).
    """

    def __init__(self, ref: DemoReference, keep_s: float) -> None:
        self.ref = ref
        self.keep_s = float(keep_s)
        self._t: deque[float] = deque()
        self._rows: deque[tuple[float, ...]] = deque()

    def add(self, t_s: float, feats: Mapping[str, float]) -> None:
        """One frame's features (s; NaN or missing = not seen)."""
        self._t.append(float(t_s))
        self._rows.append(tuple(float(feats.get(f, math.nan)) for f in self.ref.features))
        while self._t and t_s - self._t[0] > self.keep_s:
            self._t.popleft()
            self._rows.popleft()

    def compare(self, start_s: float, end_s: float) -> RepMatch | None:
        """The rep from ``start_s`` to ``end_s`` against the demonstration (None: too little of it kept or
        seen)."""
        if len(self._t) < 2:
            return None
        times = np.fromiter(self._t, dtype=np.float64)
        rows = np.array(self._rows, dtype=np.float64).reshape(len(times), -1)
        feats = {f: rows[:, i] for i, f in enumerate(self.ref.features)}
        return compare_rep(self.ref, times, feats, start_s, end_s)

