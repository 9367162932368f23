"""The teach page's pure helpers (no Streamlit): the physio's edits of a taught template, the demonstration's
plots with the derived limits drawn over them, and the table of demonstrated reps.

The page (:mod:`formcheck.webapp.pages.teach`) shows what :func:`formcheck.core.teach.derive` found, lets the
physio change the name, the titles and the key numbers (:class:`TeachEdits`), and saves the result with
:func:`formcheck.analysis.teach.save`, which validates it as any template file is validated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.analysis.teach import normalise_name
from formcheck.core.teach import Taught, unit
from formcheck.core.templates import Text
from formcheck.draw.plot import Limit, Span, format_number, plot_svg
from formcheck.webapp.texts import t


@dataclass
class TeachEdits:
    """What the physio may change before saving (units of the features; seconds).

    Attributes:
        name: the exercise's name (normalised when applied).
        title_nl / title_en: its title.
        min_range: the least movement that is a rep (count feature's unit).
        hold_min_s: the least hold (None: the demonstration did not hold).
        tolerances: per still feature, the allowed deviation from the demonstrated level.
        from_start: a recording that starts away from rest counts its first return.
    """

    name: str
    title_nl: str
    title_en: str
    min_range: float
    hold_min_s: float | None
    tolerances: dict[str, float] = field(default_factory=dict)
    from_start: bool = False


def edits_of(taught: Taught) -> TeachEdits:
    """The edits that leave ``taught`` as derived (the form's starting values)."""
    return TeachEdits(
        name=taught.name,
        title_nl=taught.title.nl,
        title_en=taught.title.en,
        min_range=taught.min_range,
        hold_min_s=None if taught.hold is None else taught.hold[0],
        tolerances={s.feature: s.tolerance for s in taught.still},
        from_start=taught.from_start,
    )


def apply_edits(taught: Taught, edits: TeachEdits) -> Taught:
    """``taught`` with the physio's edits (validated when saved, as a template file is)."""
    hold = taught.hold
    if hold is not None and edits.hold_min_s is not None:
        hold = (float(edits.hold_min_s), max(hold[1], float(edits.hold_min_s) + 1.0))
    still = tuple(
        dataclasses.replace(s, tolerance=float(edits.tolerances.get(s.feature, s.tolerance)))
        for s in taught.still
    )
    title = Text(nl=edits.title_nl.strip() or taught.title.nl, en=edits.title_en.strip() or taught.title.en)
    return dataclasses.replace(
        taught,
        name=normalise_name(edits.name),
        title=title,
        min_range=float(edits.min_range),
        hold=hold,
        still=still,
        from_start=edits.from_start,
    )


def _unit(feature: str) -> str:
    u = unit(feature)
    return "°" if u == "deg" else u


def count_limits(taught: Taught, values: np.ndarray, lang: str) -> list[Limit]:
    """The count signal's limits: its resting level and the least movement from it (an excursion), or the
    least swing around the middle (a cycle)."""
    m = taught.movement
    y = np.asarray(values, dtype=np.float64)
    if not np.isfinite(y).any():
        return []
    if m.kind == "excursion":
        rest = float(np.nanpercentile(y, 3 if m.direction == "up" else 97))
        sign = 1.0 if m.direction == "up" else -1.0
        return [
            Limit(rest, t("teach_limit_rest", lang)),
            Limit(rest + sign * taught.min_range, t("teach_limit_rep", lang)),
        ]
    mid = float(np.nanmedian(y))
    half = taught.min_range / 2
    return [Limit(mid - half, t("teach_limit_rep", lang)), Limit(mid + half, t("teach_limit_rep", lang))]


def plots(taught: Taught, times: np.ndarray, feats: Mapping[str, np.ndarray], lang: str) -> list[str]:
    """SVG plots of the demonstration: the count signal with its limits, then each still feature with its
    allowed band; the demonstrated reps shaded."""
    spans = [Span(r.start_s, r.end_s, str(i + 1)) for i, r in enumerate(taught.reps)]
    m = taught.movement
    out = [
        plot_svg(
            times,
            feats[m.feature],
            title=f"{m.feature} ({_unit(m.feature)})",
            lang=lang,
            spans=spans,
            limits=count_limits(taught, feats[m.feature], lang),
        )
    ]
    for s in taught.still:
        limits = [
            Limit(s.level - s.tolerance, t("teach_limit_low", lang)),
            Limit(s.level + s.tolerance, t("teach_limit_high", lang)),
        ]
        out.append(
            plot_svg(
                times,
                feats[s.feature],
                title=f"{s.feature} ({_unit(s.feature)})",
                lang=lang,
                spans=spans,
                limits=limits,
            )
        )
    return out


def rep_rows(taught: Taught, lang: str) -> list[dict[str, Any]]:
    """The demonstrated reps as table rows (column names in ``lang``)."""
    nl = lang == "nl"
    u = _unit(taught.movement.feature)
    rows = []
    for i, r in enumerate(taught.reps):
        row: dict[str, Any] = {
            "#": i + 1,
            ("start (s)" if not nl else "begin (s)"): format_number(r.start_s, lang, 1),
            ("end (s)" if not nl else "einde (s)"): format_number(r.end_s, lang, 1),
            (f"range ({u})" if not nl else f"bereik ({u})"): format_number(r.range, lang),
        }
        if taught.hold is not None:
            row["hold (s)" if not nl else "vastgehouden (s)"] = format_number(r.hold_s, lang, 1)
        rows.append(row)
    return rows
