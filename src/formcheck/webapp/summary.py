"""A finished session in numbers and words (pure, no Streamlit): the per-rep table, the chart's columns,
the pain check.
"""

from __future__ import annotations

import math
from typing import Any

from formcheck.core.templates import Template
from formcheck.store.history import SessionRecord
from formcheck.webapp.texts import faults_text, t, technique_text

#: Pain this many points (0-10 scale) higher after the session than before triggers the "stop" advice.
PAIN_WORSE = 2


def summary_rows(rec: SessionRecord, template: Template, lang: str) -> list[dict[str, Any]]:
    """One table row per rep: number, the leg (per-leg exercises), score, hold time (s), technique and faults
    in words, and for a taught exercise how close the rep came to the demonstration (score and cue)."""
    per_leg = template.legs[0] is not None
    rows = []
    for r in rec.reps:
        row: dict[str, Any] = {
            t("col_rep", lang): r.get("index"),
        }
        if per_leg:
            side = r.get("side")
            row[t("col_leg", lang)] = t(f"side_{side}", lang) if side in ("left", "right") else ""
        row[t("col_score", lang)] = round(float(r.get("score") or 0.0))
        if template.hold is not None:
            row[t("col_hold", lang)] = r.get("hold_s")
        if template.technique is not None:
            row[t("col_technique", lang)] = technique_text(r.get("technique"), lang)
        row[t("col_faults", lang)] = faults_text(template, r.get("faults") or [], lang)
        if any(x.get("demo") for x in rec.reps):  # a taught exercise: each rep against the demonstration
            demo = r.get("demo") or {}
            row[t("col_demo", lang)] = f"{demo['score']:.0f} · {demo['cue']}" if demo else ""
        rows.append(row)
    return rows


def chart_data(rec: SessionRecord, lang: str) -> dict[str, list[float | None]]:
    """``{column: values}`` for ``st.line_chart``: time (s) plus each display feature (labelled, degrees)."""
    from formcheck.draw.text import feature_label

    time_col = t("col_time", lang)
    data: dict[str, list[float | None]] = {time_col: []}
    labels = [feature_label(n, lang) for n in rec.series_features]
    for label in labels:
        data[label] = []
    for row in rec.series:
        data[time_col].append(row[0])
        for label, v in zip(labels, row[1:], strict=False):
            data[label].append(v if v is not None and math.isfinite(v) else None)
    return data


def pain_much_worse(before: int | None, after: int | None) -> bool:
    """Whether the pain after the session is :data:`PAIN_WORSE` or more points above the pain before."""
    return before is not None and after is not None and after - before >= PAIN_WORSE
