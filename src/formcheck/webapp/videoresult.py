"""An analysed video in words, tables and chart data for the physio page (pure, no Streamlit).

Inputs are the files :mod:`formcheck.webapp.videojob` writes: the ``result.json`` document and the
per-frame feature series. Texts come from :mod:`formcheck.core.messages` and the exercise template, in the
page's language (fault codes become the template's words).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from formcheck.core.geometry import FEATURES
from formcheck.core.templates import LEGS, Template, leg_feature
from formcheck.webapp.texts import faults_text, t, technique_text

#: Video files the page accepts (lower-case extensions).
VIDEO_TYPES: tuple[str, ...] = ("mp4", "mov", "webm", "avi")
#: The smallest upload limit the page is meant for (MB): phone videos are large.
MIN_UPLOAD_MB = 500
#: Points per plotted line at most (longer series are thinned evenly; the browser stays quick).
MAX_POINTS = 800
#: Where each stage of the analysis ends on the progress bar (0..1): the pose pass is the slow part, then
#: counting (a moment), the report's key frames, and drawing the video.
POSE_END = 0.7
CHOOSE_END = 0.72
REPORT_END = 0.8


def too_big(size_bytes: int, limit_mb: int) -> bool:
    """Whether an upload of ``size_bytes`` is over ``limit_mb`` megabytes (Streamlit's MB: 2**20 bytes)."""
    return size_bytes > limit_mb * 1024 * 1024


def progress_of(event: Mapping[str, Any], lang: str) -> tuple[float, str] | None:
    """``(fraction 0..1, text)`` for a job event, or None for an event that moves nothing."""
    kind = event.get("event")
    if kind == "pose":
        done, total = int(event.get("done", 0)), max(1, int(event.get("total", 1)))
        return POSE_END * min(1.0, done / total), t("upload_progress_pose", lang, done=done, total=total)
    if kind == "choose":
        return CHOOSE_END, t("upload_progress_choose", lang)
    if kind == "report":
        frac = min(1.0, max(0.0, float(event.get("fraction", 0.0))))
        return CHOOSE_END + (REPORT_END - CHOOSE_END) * frac, t("upload_progress_report", lang)
    if kind == "draw":
        done, total = int(event.get("done", 0)), max(1, int(event.get("total", 1)))
        frac = REPORT_END + (1 - REPORT_END) * min(1.0, done / total)
        return frac, t("upload_progress_draw", lang, done=done, total=total)
    if kind == "done":
        return 1.0, t("upload_done", lang)
    if kind == "probe":
        return 0.0, t("upload_starting", lang)
    return None


def error_text(event: Mapping[str, Any], lang: str) -> str:
    """The one line the page shows for a job's ``error`` (or ``note``) event."""
    code = str(event.get("code") or "upload_failed")
    detail = str(event.get("detail") or "").strip().rstrip(".")
    if code in ("upload_not_video", "upload_no_frames"):
        return t(code, lang)
    if code in ("upload_bad_exercise", "report_failed"):
        return t(code, lang, detail=detail)
    return t("upload_failed", lang, detail=detail or "?")


def decided(doc: Mapping[str, Any]) -> bool:
    """Whether the analysis is of a chosen exercise (the physio's, or formcheck's one suggestion)."""
    choice = doc.get("exercise_choice") or {}
    return choice.get("by") != "formcheck" or bool(choice.get("suggested"))


def choice_lines(doc: Mapping[str, Any], title: Callable[[str], str], lang: str) -> list[str]:
    """How the exercise was chosen, in words: the physio's choice; formcheck's suggestion and what the
    others counted; or, without a suggestion, the exercises to choose from."""
    choice = doc.get("exercise_choice") or {}
    exercise = str(doc.get("exercise", ""))
    counts = {str(c["exercise"]): int(c.get("reps", 0)) for c in choice.get("candidates", [])}
    if choice.get("by") != "formcheck":
        return [t("choice_physio", lang, exercise=title(exercise))]
    if not choice.get("suggested"):
        options = [str(n) for n in choice.get("contenders", [])]
        if len(options) < 2:
            return [t("choice_none", lang)]
        listed = ", ".join(f"{title(n)} ({counts.get(n, 0)})" for n in options)
        return [t("choice_unsure", lang, options=listed)]
    lines = [t("choice_suggested", lang, exercise=title(exercise), reps=doc.get("reps", 0))]
    others = [(n, k) for n, k in counts.items() if n != exercise]
    if others:
        lines.append(t("choice_others", lang, others=", ".join(f"{title(n)} {k}" for n, k in others)))
    return lines


def rep_rows(doc: Mapping[str, Any], template: Template, lang: str) -> list[dict[str, Any]]:
    """One table row per rep: number, the leg (per-leg exercises), start and end (s), score, hold (s),
    technique, faults in words, and the experimental faults apart (only when a rep has one)."""
    reps = list(doc.get("rep_details") or [])
    experimental = any(r.get("experimental_faults") for r in reps)
    per_leg = any(r.get("side") for r in reps)
    rows = []
    for r in reps:
        row: dict[str, Any] = {t("col_rep", lang): r.get("index")}
        if per_leg:
            side = r.get("side")
            row[t("col_leg", lang)] = t(f"side_{side}", lang) if side in LEGS else ""
        row |= {
            t("col_start", lang): round(float(r.get("start_s", math.nan)), 1),
            t("col_end", lang): round(float(r.get("end_s", math.nan)), 1),
            t("col_score", lang): round(float(r.get("score") or 0.0)),
        }
        if template.hold is not None:
            hold = r.get("hold_s")
            row[t("col_hold", lang)] = None if hold is None else round(float(hold), 1)
        if template.technique is not None:
            row[t("col_technique", lang)] = technique_text(r.get("technique"), lang)
        row[t("col_faults", lang)] = faults_text(template, r.get("faults") or [], lang)
        if experimental:
            codes = r.get("experimental_faults") or []
            row[t("col_experimental", lang)] = " ".join(faults_text(template, [c], lang) for c in codes)
        rows.append(row)
    return rows


def key_features(template: Template, doc: Mapping[str, Any], available: Sequence[str]) -> list[str]:
    """The features worth plotting: the template's display features, the one it counts by, and those of
    the faults this video showed (in that order, each once, only those measured)."""
    faults = {c for r in doc.get("rep_details") or [] for c in r.get("faults") or []}
    names = [*template.display, template.count.feature]
    names += [f.feature for f in template.faults if f.code in faults]
    out: list[str] = []
    for name in names:  # a per-leg name ("hip_flexion_{leg}") stands for both legs
        expanded = [leg_feature(name, leg) for leg in LEGS] if "{" in name else [name]
        out += [n for n in expanded if n in available and n not in out]
    return out


def unit_text(feature: str, lang: str) -> str:
    """The unit of a feature for an axis title: ``°``, a length unit in words, or empty."""
    unit = FEATURES.get(feature, "").split(";", 1)[0].strip()
    if unit == "deg":
        return "°"
    key = "unit_" + unit.replace(" ", "_")
    try:
        return t(key, lang)
    except KeyError:
        return ""


@dataclass(frozen=True)
class SeriesChart:
    """What the angle plots draw (all lists of plain records, ready for a Vega-Lite/Altair chart).

    Attributes:
        lines: ``{"t", "value", "feature"}`` points, thinned to at most :data:`MAX_POINTS` per feature.
        reps: ``{"start", "end", "rep"}`` spans to shade.
        faults: ``{"t", "rep", "fault"}`` marks at the turn of each rep with a fault (one per fault).
        titles: feature -> axis title (label and unit).
    """

    lines: list[dict[str, Any]]
    reps: list[dict[str, Any]]
    faults: list[dict[str, Any]]
    titles: dict[str, str]


def series_chart(
    times: np.ndarray,
    values: Mapping[str, np.ndarray],
    doc: Mapping[str, Any],
    template: Template,
    lang: str,
    features: Sequence[str],
    max_points: int = MAX_POINTS,
) -> SeriesChart:
    """The chart data of ``features`` over ``times`` (s), with the reps and the faults of ``doc``."""
    from formcheck.draw.text import feature_label

    n = len(times)
    step = max(1, math.ceil(n / max_points)) if n else 1
    lines: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    for f in features:
        label = feature_label(f, lang)
        unit = unit_text(f, lang)
        titles[f] = f"{label} ({unit})" if unit else label
        v = np.asarray(values[f], dtype=np.float64)
        for i in range(0, n, step):
            x = float(v[i])
            lines.append(
                {"t": round(float(times[i]), 3), "value": x if math.isfinite(x) else None, "feature": f}
            )
    reps, faults = [], []
    for r in doc.get("rep_details") or []:
        label = f"{t('col_rep', lang)} {r.get('index')}"
        reps.append({"start": float(r["start_s"]), "end": float(r["end_s"]), "rep": label})
        for code in r.get("faults") or []:
            faults.append({"t": float(r.get("turn_s", r["start_s"])), "rep": label,
                           "fault": faults_text(template, [code], lang)})  # fmt: skip
    return SeriesChart(lines=lines, reps=reps, faults=faults, titles=titles)
