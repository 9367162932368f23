"""Line plots of a feature over time as inline SVG text, for reports and pages (no plotting library).

Pure: numpy arrays in, an ``<svg>`` string out; no file, no clock, no external reference (no font, no
stylesheet, no link), so the result can be embedded in an offline HTML file or shown by a page as is. Reps
are drawn as shaded spans, faults as marks on the curve, limits from the template as dashed lines.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np

#: Colours (printable on white paper, and apart for people with red-green colour blindness by shape too).
LINE = "#1f5fa8"
SPAN = "#e6eef8"
SPAN_BAD = "#fbe6e1"
FAULT = "#c0392b"
TRIAL = "#b9770e"
GRID = "#d0d4da"
INK = "#222222"
#: A curve is thinned to about this many points (pairs of min and max per column keep the peaks).
MAX_POINTS = 1200


@dataclass(frozen=True)
class Span:
    """A shaded time interval (a rep), labelled at its top.

    Attributes:
        t0 / t1: start and end (s).
        label: short text drawn at the top (e.g. the rep number).
        bad: the rep had a fault (shaded in a warmer colour, label in red).
    """

    t0: float
    t1: float
    label: str
    bad: bool = False


@dataclass(frozen=True)
class Mark:
    """A point on the curve to draw attention to (a fault).

    Attributes:
        t: time (s).
        value: the feature's value there (the plot's unit).
        label: short text beside the mark (e.g. ``"2"`` for rep 2).
        experimental: a fault not yet checked on real recordings (drawn hollow, in another colour).
    """

    t: float
    value: float
    label: str
    experimental: bool = False


@dataclass(frozen=True)
class Limit:
    """A horizontal dashed line: a threshold from the template (same unit as the curve)."""

    value: float
    label: str


def nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """About ``n`` round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering ``lo..hi``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(n, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = first
    while v <= hi + step * 1e-9:
        ticks.append(0.0 if abs(v) < step * 1e-9 else v)
        v += step
    return ticks


def format_number(v: float, lang: str, digits: int | None = None) -> str:
    """``v`` with as few decimals as it needs (at most ``digits``, default by size); Dutch decimal comma."""
    if digits is None:
        a = abs(v)
        digits = 0 if a >= 20 or v == round(v) else 1 if a >= 2 else 2
    s = f"{v:.{digits}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s.replace(".", ",") if lang == "nl" else s


def thin(t: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most about ``max_points`` points of a curve, keeping each column's lowest and highest value in
    time order, so peaks survive; NaN gaps stay gaps (a column of only NaN stays NaN)."""
    n = len(t)
    if n <= max_points:
        return t, y
    cols = max(max_points // 2, 1)
    edges = np.linspace(0, n, cols + 1).astype(int)
    keep: list[int] = []
    for a, b in itertools.pairwise(edges.tolist()):
        if b <= a:
            continue
        seg = y[a:b]
        if not np.isfinite(seg).any():
            keep.append(a)
            continue
        i_lo = a + int(np.nanargmin(seg))
        i_hi = a + int(np.nanargmax(seg))
        keep.extend(sorted({i_lo, i_hi}))
    idx = np.asarray(keep, dtype=int)
    return t[idx], y[idx]


def _path(xs: np.ndarray, ys: np.ndarray) -> str:
    """An SVG path through the points, lifted at every NaN."""
    parts: list[str] = []
    pen_down = False
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        if not (math.isfinite(x) and math.isfinite(y)):
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{x:.1f} {y:.1f}")
        pen_down = True
    return " ".join(parts)


def plot_svg(
    t: np.ndarray,
    values: np.ndarray,
    *,
    title: str,
    lang: str,
    spans: Sequence[Span] = (),
    marks: Sequence[Mark] = (),
    limits: Sequence[Limit] = (),
    time_label: str = "s",
    width: int = 680,
    height: int = 190,
) -> str:
    """One feature over time as an ``<svg>`` element (scales to its container's width).

    Args:
        t: ``(T,)`` frame times in seconds, increasing.
        values: ``(T,)`` feature values (NaN where unknown: a gap in the line).
        title: the plot's heading (feature name and unit), drawn inside the picture.
        lang: ``nl`` or ``en`` (decimal comma in Dutch).
        spans: shaded intervals (the reps).
        marks: points to mark (faults).
        limits: dashed horizontal lines (thresholds).
        time_label: the unit text of the time axis.
        width / height: size of the drawing in SVG units (pixels at 100 %).

    Returns:
        SVG markup with a ``<title>`` for screen readers, for use inline in HTML (no namespace
        declaration, which would be an outside address; not meant as a standalone ``.svg`` file).
    """
    t = np.asarray(t, dtype=float).reshape(-1)
    y = np.asarray(values, dtype=float).reshape(-1)
    if t.shape != y.shape:
        raise ValueError(f"t and values differ in length: {t.shape} vs {y.shape}")
    left, right, top, bottom = 52, 14, 24, 30
    pw, ph = width - left - right, height - top - bottom
    t0 = float(t[0]) if t.size else 0.0
    t1 = float(t[-1]) if t.size else 1.0
    if t1 <= t0:
        t1 = t0 + 1.0
    pool = [v for v in y.tolist() if math.isfinite(v)]
    pool += [m.value for m in marks if math.isfinite(m.value)] + [lim.value for lim in limits]
    if pool:
        lo, hi = min(pool), max(pool)
    else:
        lo, hi = 0.0, 1.0
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad

    def sx(v: Any) -> Any:  # seconds -> x (floats or arrays)
        return left + (v - t0) / (t1 - t0) * pw

    def sy(v: Any) -> Any:  # feature value -> y
        return top + (hi - v) / (hi - lo) * ph

    out = [
        f'<svg class="plot" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="15" font-size="12" font-weight="bold" fill="{INK}">{escape(title)}</text>',
    ]
    for s in spans:
        a, b = max(s.t0, t0), min(s.t1, t1)
        if b < a:
            continue
        x0, x1 = sx(a), sx(b)
        colour, ink = (SPAN_BAD, FAULT) if s.bad else (SPAN, LINE)
        out.append(
            f'<rect x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 1.0):.1f}" height="{ph}" fill="{colour}"/>'
        )
        out.append(
            f'<text x="{(x0 + x1) / 2:.1f}" y="{top + 11}" text-anchor="middle" font-weight="bold" '
            f'fill="{ink}">{escape(s.label)}</text>'
        )
    for v in nice_ticks(lo, hi):
        yy = sy(v)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{left - 5}" y="{yy + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{escape(format_number(v, lang))}</text>"
        )
    for v in nice_ticks(t0, t1, 8):
        xx = sx(v)
        out.append(
            f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top + ph}" y2="{top + ph + 4}" stroke="{INK}"/>'
            f'<text x="{xx:.1f}" y="{top + ph + 16}" text-anchor="middle" fill="{INK}">'
            f"{escape(format_number(v, lang))}</text>"
        )
    out.append(
        f'<text x="{left + pw}" y="{height - 2}" text-anchor="end" fill="{INK}">{escape(time_label)}</text>'
    )
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="{INK}"/>')
    for lim in limits:
        yy = sy(lim.value)
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{FAULT}" '
            f'stroke-dasharray="6 4"/>'
            f'<text x="{left + pw - 4}" y="{yy - 4:.1f}" text-anchor="end" fill="{FAULT}">'
            f"{escape(lim.label)}</text>"
        )
    tt, yv = thin(t, y)
    path = _path(sx(tt), sy(yv))
    if path:
        out.append(f'<path d="{path}" fill="none" stroke="{LINE}" stroke-width="1.8"/>')
    for m in marks:
        if not (math.isfinite(m.t) and math.isfinite(m.value)):
            continue
        xx, yy = sx(m.t), sy(m.value)
        colour = TRIAL if m.experimental else FAULT
        fill = "white" if m.experimental else colour
        out.append(
            f'<circle cx="{xx:.1f}" cy="{yy:.1f}" r="5" fill="{fill}" stroke="{colour}" stroke-width="2"/>'
            f'<text x="{xx + 8:.1f}" y="{yy - 6:.1f}" fill="{colour}" font-weight="bold">'
            f"{escape(m.label)}</text>"
        )
    out.append("</svg>")
    return "".join(out)
