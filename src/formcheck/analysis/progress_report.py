"""Progress in words, tables and charts: the sentences and tables the progress page shows (pure, no Streamlit)
and the self-contained, printable HTML report for the physio (inline SVG charts, no external resource).

Every text comes from the message catalogue (Dutch and English) or the exercise templates (titles, faults).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from formcheck.analysis.progress import Progress, Trend
from formcheck.core.messages import message
from formcheck.core.templates import Template, TemplateError, load_template

#: Chart colours (colour-blind safe: Okabe-Ito).
COLOURS: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")


def t(code: str, lang: str, **kw: Any) -> str:
    """A catalogue text in ``lang``, formatted."""
    text = message(code, lang)
    return text.format(**kw) if kw else text


@cache
def _template(name: str) -> Template | None:
    try:
        return load_template(name)
    except TemplateError:
        return None


def exercise_title(name: str, lang: str) -> str:
    """An exercise's title in ``lang`` (its name when this formcheck has no such template)."""
    tpl = _template(name)
    return tpl.title.get(lang) if tpl is not None else name.replace("_", " ")


def fault_words(exercise: str, code: str, lang: str) -> str:
    """A fault code in plain words (the template's cue text), or the code."""
    tpl = _template(exercise)
    cue = tpl.fault_cue(code) if tpl is not None else None
    return cue.get(lang) if cue is not None else code.replace("_", " ")


def _num(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "–"
    return f"{x:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:.0f}"


def _verdict(tr: Trend, lang: str, score: bool = False) -> str:
    if tr.verdict in ("up", "down") and score:
        return t(f"score_{tr.verdict}", lang)
    return t(f"verdict_{tr.verdict}", lang)


def trend_sentences(p: Progress, lang: str) -> list[str]:
    """What changed, in plain sentences: pain, each exercise's score and fault, each PSK activity."""
    out = []
    for when, tr in (("before", p.pain_before), ("after", p.pain_after)):
        if tr.first is not None:
            out.append(
                t(
                    "trend_pain",
                    lang,
                    when=t(f"when_{when}", lang),
                    first=_num(tr.first),
                    last=_num(tr.last),
                    w1=tr.first_week,
                    w2=tr.last_week,
                    verdict=_verdict(tr, lang),
                )
            )
    for ex, tr in p.score_trend.items():
        if tr.first is not None:
            out.append(
                t(
                    "trend_score",
                    lang,
                    exercise=exercise_title(ex, lang),
                    first=_num(tr.first, 0),
                    last=_num(tr.last, 0),
                    verdict=_verdict(tr, lang, score=True),
                )
            )
    for ex, ft in p.faults.items():
        title = exercise_title(ex, lang)
        if ft.code is None:
            if ft.verdict == "none":
                out.append(t("fault_none", lang, exercise=title))
            continue
        out.append(t(f"fault_{ft.verdict}", lang, exercise=title, fault=fault_words(ex, ft.code, lang)))
    for activity, tr in p.psk.items():
        if tr.first is not None:
            out.append(
                t(
                    "trend_psk",
                    lang,
                    activity=activity,
                    first=_num(tr.first, 0),
                    last=_num(tr.last, 0),
                    verdict=_verdict(tr, lang),
                )
            )
    return out


def week_rows(p: Progress, lang: str) -> list[dict[str, Any]]:
    """One row per week: sessions done / planned, other sessions, mean pain before and after, PSK scores."""
    rows = []
    for w in p.weeks:
        row: dict[str, Any] = {
            t("col_week", lang): w.week,
            t("col_from", lang): w.start.isoformat(),
            t("col_done", lang): w.done,
            t("col_planned", lang): w.planned,
            t("col_free", lang): w.free,
            t("col_pain_before", lang): None if w.pain_before is None else round(w.pain_before, 1),
            t("col_pain_after", lang): None if w.pain_after is None else round(w.pain_after, 1),
        }
        for activity in p.psk:
            row[activity] = w.psk.get(activity)
        rows.append(row)
    return rows


def exercise_rows(p: Progress, lang: str) -> list[dict[str, Any]]:
    """One row per week and exercise: sets and reps done of planned, reps counted, holds, score, top fault."""
    rows = []
    for e in p.exercises:
        holds = f"{e.holds} ({_num(e.hold_mean_s)} s)" if e.holds else "–"
        rows.append(
            {
                t("col_week", lang): e.week,
                t("col_exercise", lang): exercise_title(e.exercise, lang),
                t("col_sets", lang): f"{e.sets_done} / {e.sets_planned}" if e.sets_planned else "–",
                t("col_reps_plan", lang): f"{e.reps_done} / {e.reps_planned}" if e.reps_planned else "–",
                t("col_reps_all", lang): e.reps,
                t("col_holds", lang): holds,
                t("col_score", lang): None if e.score is None else round(e.score),
                t("col_top_fault", lang): fault_words(e.exercise, e.top_fault, lang) if e.top_fault else "–",
            }
        )
    return rows


@dataclass(frozen=True)
class Series:
    """One line (or bar) of a chart: a name and one value per week (None: no value that week)."""

    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    """A chart by week: x labels (week numbers), its series, the y range, and bars or lines."""

    title: str
    weeks: tuple[int, ...]
    series: tuple[Series, ...]
    y_max: float
    bars: bool = False


def charts(p: Progress, lang: str) -> list[Chart]:
    """The four charts of the progress page and report: sessions, pain, score per exercise, PSK."""
    weeks = tuple(w.week for w in p.weeks)
    out = [
        Chart(
            t("chart_sessions", lang),
            weeks,
            (
                Series(t("col_done", lang), tuple(float(w.done + w.free) for w in p.weeks)),
                Series(t("col_planned", lang), tuple(float(w.planned) for w in p.weeks)),
            ),
            y_max=float(max([w.planned for w in p.weeks] + [w.done + w.free for w in p.weeks] + [1])),
            bars=True,
        ),
        Chart(
            t("chart_pain", lang),
            weeks,
            (
                Series(t("col_pain_before", lang), tuple(w.pain_before for w in p.weeks)),
                Series(t("col_pain_after", lang), tuple(w.pain_after for w in p.weeks)),
            ),
            y_max=10.0,
        ),
    ]
    scores = []
    for ex in p.score_trend:
        by_week = {e.week: e.score for e in p.exercises if e.exercise == ex}
        scores.append(Series(exercise_title(ex, lang), tuple(by_week.get(w) for w in weeks)))
    out.append(Chart(t("chart_score", lang), weeks, tuple(scores), y_max=100.0))
    psk = [
        Series(a, tuple(None if (v := w.psk.get(a)) is None else float(v) for w in p.weeks)) for a in p.psk
    ]
    out.append(Chart(t("chart_psk", lang), weeks, tuple(psk), y_max=10.0))
    return out


def chart_table(c: Chart, lang: str) -> dict[str, list[Any]]:
    """A chart as ``{column: values}`` for ``st.line_chart`` / ``st.bar_chart`` (x = the week)."""
    data: dict[str, list[Any]] = {t("col_week", lang): list(c.weeks)}
    for s in c.series:
        data[s.name] = list(s.values)
    return data


# --------------------------------------------------------------------------------------------- SVG, HTML


def svg_chart(c: Chart, width: int = 640, height: int = 220) -> str:
    """The chart as an inline SVG (lines with dots, or grouped bars), with a legend; no external resource."""
    left, right, top, bottom = 36, 12, 12, 28
    pw, ph = width - left - right, height - top - bottom
    n = max(1, len(c.weeks))
    step = pw / n
    esc = html.escape

    def y(v: float) -> float:
        return top + ph * (1.0 - max(0.0, min(v, c.y_max)) / c.y_max)

    parts = [
        f'<svg width="{width}" height="{height + 18 * len(c.series)}" '
        f'role="img" aria-label="{esc(c.title)}" font-family="sans-serif" font-size="11">'
    ]
    for frac in (0.0, 0.5, 1.0):
        gy = top + ph * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{gy:.1f}" x2="{width - right}" y2="{gy:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{gy + 4:.1f}" text-anchor="end">{frac * c.y_max:g}</text>')
    for i, wk in enumerate(c.weeks):
        parts.append(
            f'<text x="{left + step * (i + 0.5):.1f}" y="{height - 10}" text-anchor="middle">{wk}</text>'
        )
    k = max(1, len(c.series))
    for j, s in enumerate(c.series):
        colour = COLOURS[j % len(COLOURS)]
        if c.bars:
            bw = step * 0.8 / k
            for i, v in enumerate(s.values):
                if v is None:
                    continue
                x = left + step * i + step * 0.1 + bw * j
                parts.append(
                    f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bw:.1f}" height="{top + ph - y(v):.1f}" '
                    f'fill="{colour}"/>'
                )
        else:
            pts = [(left + step * (i + 0.5), y(v)) for i, v in enumerate(s.values) if v is not None]
            if len(pts) > 1:
                path = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            parts += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in pts]
        ly = height + 18 * j + 6
        parts.append(f'<rect x="{left}" y="{ly}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{left + 16}" y="{ly + 9}">{esc(s.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return ""
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape('–' if r.get(c) is None else str(r.get(c)))}</td>" for c in cols)
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:sans-serif;max-width:900px;margin:1.5em auto;padding:0 1em;color:#111;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
th{background:#f2f2f2}.note{background:#eef6ff;padding:.6em .8em;border-radius:4px}
figure{margin:1em 0;break-inside:avoid}figcaption{font-weight:bold;margin-bottom:.3em}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,figure{break-inside:avoid}}
"""


def progress_html(p: Progress, lang: str, made_on: date, heading: str = "") -> str:
    """The printable, self-contained HTML progress report (inline CSS and SVG; no link, script or font)."""
    esc = html.escape
    title = t("report_title", lang)
    parts = [
        f'<!DOCTYPE html><html lang="{esc(lang)}"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    if heading:
        parts.append(f"<p><b>{esc(heading)}</b></p>")
    parts.append(f"<p>{esc(t('report_made', lang, day=made_on.isoformat()))}</p>")
    parts.append(
        f"<p>{esc(t('progress_sessions', lang, done=p.sessions_done, planned=p.sessions_planned))}</p>"
    )
    parts.append(f"<h2>{esc(t('trends_title', lang))}</h2><ul>")
    parts += [f"<li>{esc(s)}</li>" for s in trend_sentences(p, lang)]
    parts.append(f'</ul><p class="note">{esc(t("pain_rising_note", lang))}</p>')
    for c in charts(p, lang):
        if any(v is not None for s in c.series for v in s.values):
            parts.append(f"<figure><figcaption>{esc(c.title)}</figcaption>{svg_chart(c)}</figure>")
    parts.append(f"<h2>{esc(t('numbers_title', lang))}</h2>")
    parts.append(_table(week_rows(p, lang)))
    parts.append(_table(exercise_rows(p, lang)))
    parts.append(f"<p><small>{esc(t('disclaimer', lang))}</small></p></body></html>")
    return "".join(parts)
