"""The report's content and its one self-contained HTML page (no I/O: an analysis and pictures in, text out).

The pieces the physio page can show as they are live here too: :func:`rep_rows` (the per-rep table in
words), :func:`summary_lines` (the patient-facing summary) and :func:`feature_plots` (inline SVG plots of
the key angles with the reps shaded and the faults marked).

The page has no script, no link, no web font and no outside address of any kind: the pictures are data
URIs, the plots inline SVG, the style inline; a Content-Security-Policy forbids loading anything else, so
it reads the same offline, and it prints on A4 portrait.
"""

from __future__ import annotations

import base64
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np

from formcheck.analysis.analyze import Analysis
from formcheck.core.messages import fault_text, message, technique_text
from formcheck.core.templates import Template, Text, leg_feature
from formcheck.draw.plot import Limit, Mark, Span, format_number, plot_svg
from formcheck.draw.text import feature_label, feature_unit

#: Units as words in the plot titles (keys: the unit part of :data:`formcheck.core.geometry.FEATURES`).
UNIT_TEXT: dict[str, Text] = {
    "deg": Text(nl="graden", en="degrees"),
    "leg lengths": Text(nl="beenlengtes", en="leg lengths"),
    "trunk lengths": Text(nl="romplengtes", en="trunk lengths"),
}
#: At most this many plots (the display features first, then the counted signal, then faults' features).
MAX_PLOTS = 6


def _num(v: float | None, lang: str, digits: int = 1) -> str:
    if v is None or not math.isfinite(float(v)):
        return "–"
    s = f"{float(v):.{digits}f}"
    return s.replace(".", ",") if lang == "nl" else s


def moment_code(template: Template) -> str:
    """Message code naming a rep's turning point: the lowest point of a lift (excursion down), the top of a
    bridge (excursion up), the turning point of a cycle."""
    if template.count.kind != "excursion":
        return "moment_turn"
    return "moment_lowest" if template.count.direction == "down" else "moment_top"


# ---------------------------------------------------------------------------------------------- table


def rep_rows(doc: Mapping[str, Any], template: Template, lang: str) -> list[dict[str, str]]:
    """The per-rep table of a ``result.json`` document, in words: ``{column heading: cell text}`` per rep.

    Columns: rep number (with the leg of a per-leg exercise's rep, when the document says it), time from-to
    (s), score, hold (s; templates with a hold), technique (templates
    that classify), and the points to improve as the template's cue texts (trial checks after them,
    marked as such). Numbers have one decimal (a decimal comma in Dutch); the score is a whole number.
    """
    rows = []
    for r in doc.get("rep_details", []):
        leg = r.get("side")
        side = f" ({message('side_' + leg, lang)})" if leg in ("left", "right") else ""
        row = {
            message("col_rep", lang): f"{r['index']}{side}",
            message("col_time", lang): f"{_num(r['start_s'], lang)}–{_num(r['end_s'], lang)}",
            message("col_score", lang): f"{float(r['score']):.0f}",
        }
        if template.hold is not None:
            row[message("col_hold", lang)] = _num(r.get("hold_s"), lang)
        if template.technique is not None:
            row[message("col_technique", lang)] = technique_text(r.get("technique"), lang)
        faults = [fault_text(template, c, lang) for c in r.get("faults", [])]
        trial = [fault_text(template, c, lang) for c in r.get("experimental_faults", [])]
        text = " ".join(faults) if faults else message("no_faults", lang)
        if trial:
            text += f" ({message('video_report_trial_short', lang)}: {' '.join(trial)})"
        row[message("col_faults", lang)] = text
        rows.append(row)
    return rows


# -------------------------------------------------------------------------------------------- summary


def summary_lines(doc: Mapping[str, Any], template: Template, lang: str) -> list[str]:
    """The patient-facing summary of a ``result.json`` document, one sentence per line, kind and plain:
    reps found, average score, average hold against the aim, lift techniques, the points to work on (the
    template's cues, most frequent first, with how many reps showed them) or praise, and trial checks."""
    reps = doc.get("rep_details", [])
    lines = [
        message("video_report_reps", lang).format(
            exercise=template.title.get(lang), reps=len(reps), duration=_num(doc.get("duration_s"), lang)
        )
    ]
    if not reps:
        lines.append(message("video_report_no_reps", lang))
        return lines
    scores = [float(r["score"]) for r in reps]
    lines.append(message("video_report_score", lang).format(score=f"{sum(scores) / len(scores):.0f}"))
    if template.hold is not None:
        holds = [float(r["hold_s"]) for r in reps if r.get("hold_s") is not None]
        if holds:
            lines.append(
                message("video_report_hold", lang).format(
                    hold=_num(sum(holds) / len(holds), lang),
                    min=format_number(template.hold.min_s, lang),
                    max=format_number(template.hold.max_s, lang),
                )
            )
    if template.technique is not None:
        counts = Counter(r.get("technique") for r in reps if r.get("technique"))
        if counts:
            items = ", ".join(f"{technique_text(k, lang)} {n}×" for k, n in counts.most_common())
            lines.append(message("video_report_technique", lang).format(items=items))
    seen = Counter(c for r in reps for c in r.get("faults", []))
    if not seen:
        lines.append(message("video_report_all_good", lang))
    else:
        lines.append(message("video_report_work_on", lang))
        for code, n in seen.most_common():
            lines.append(
                f"• {fault_text(template, code, lang)} "
                + message("video_report_in_reps", lang).format(n=n, total=len(reps))
            )
    trial = Counter(c for r in reps for c in r.get("experimental_faults", []))
    if trial:
        items = "; ".join(fault_text(template, c, lang) for c in trial)
        lines.append(message("video_report_trial", lang).format(items=items))
    return lines


# ---------------------------------------------------------------------------------------------- plots


def plotted_features(analysis: Analysis) -> list[str]:
    """Features to plot, in order: the template's display angles, the counted signal, then the feature of
    every fault some rep showed (trial checks included); only features with at least one value."""
    t = analysis.template
    names = [*t.display, t.count.feature]
    shown = {c for r in analysis.reps for c in (*r.faults, *r.experimental_faults)}
    names += [f.feature for f in t.faults if f.code in shown]
    out: list[str] = []
    for n in (leg_feature(name, leg) for name in names for leg in t.legs):  # per-leg: both legs
        v = analysis.features.get(n)
        if n not in out and v is not None and np.isfinite(v).any():
            out.append(n)
    return out[:MAX_PLOTS]


def _fault_point(analysis: Analysis, rep_i: int, feature: str, stat: str, during: str) -> tuple[float, float]:
    """Where the judged value of a fault lies in a rep: (time s, value), for the mark on the plot (for a
    ``rise``, the highest point it rose to)."""
    rep = analysis.reps[rep_i]
    t = analysis.trace.times
    y = analysis.features[feature]
    if stat == "extreme":
        return rep.turn_s, float(rep.peaks.get(feature, math.nan))
    sel = (t >= rep.start_s - 1e-6) & (t <= rep.end_s + 1e-6)
    if during == "to_turn":
        sel &= t <= rep.turn_s + 1e-6
    elif during == "from_turn":
        sel &= t >= rep.turn_s - 1e-6
    elif during != "rep":
        phase = np.array([s.phase == during for s in analysis.states])
        if (sel & phase).any():
            sel &= phase
    idx = np.flatnonzero(sel & np.isfinite(y))
    if idx.size == 0:
        return rep.turn_s, math.nan
    if stat == "mean":
        mid = idx[idx.size // 2]
        return float(t[mid]), float(np.mean(y[idx]))
    pick = idx[int(np.argmin(y[idx]) if stat == "min" else np.argmax(y[idx]))]  # max, rise: the highest
    return float(t[pick]), float(y[pick])


def feature_plots(analysis: Analysis, lang: str) -> list[str]:
    """One inline SVG plot per :func:`plotted_features`: the feature over time, the reps shaded and
    numbered (red when the rep had a fault), each fault of a rep marked where it was judged (hollow for a
    trial check) and the fault thresholds on that feature drawn as dashed lines."""
    tpl = analysis.template
    times = analysis.trace.times
    reps = analysis.reps
    spans = [Span(r.start_s, r.end_s, str(r.index), bad=bool(r.faults)) for r in reps]
    shown = {c for r in reps for c in r.experimental_faults}
    out = []
    for name in plotted_features(analysis):
        marks: list[Mark] = []
        limits: list[Limit] = []
        for f in tpl.faults:
            if name not in {leg_feature(f.feature, leg) for leg in tpl.legs}:
                continue
            if (not f.experimental or f.code in shown) and f.stat != "rise":  # a rise is not a level
                for bound in (f.above, f.below):
                    if bound is not None:
                        limits.append(Limit(bound, format_number(bound, lang, 3)))
            for i, r in enumerate(reps):
                on_leg = leg_feature(f.feature, getattr(r, "side", None)) == name
                if on_leg and (f.code in r.faults or f.code in r.experimental_faults):
                    tm, v = _fault_point(analysis, i, name, f.stat, f.during)
                    marks.append(Mark(tm, v, str(r.index), experimental=f.code in r.experimental_faults))
        unit = feature_unit(name)
        unit_words = UNIT_TEXT[unit].get(lang) if unit in UNIT_TEXT else unit
        title = feature_label(name, lang) + (f" ({unit_words})" if unit_words else "")
        out.append(
            plot_svg(
                times,
                analysis.features[name],
                title=title,
                lang=lang,
                spans=spans,
                marks=marks,
                limits=limits,
                time_label=message("col_time", lang),
            )
        )
    return out


# ----------------------------------------------------------------------------------------------- page


@dataclass(frozen=True)
class KeyFrame:
    """The still picture of one rep's turning point.

    Attributes:
        rep: 1-based rep number.
        t_s: the frame's time (s).
        jpeg: the picture with the skeleton drawn, JPEG bytes, or None when it could not be read.
    """

    rep: int
    t_s: float
    jpeg: bytes | None


CSS = """
@page { size: A4 portrait; margin: 14mm 14mm 16mm 14mm; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
  color: #222; background: #fff; margin: 0 auto; max-width: 182mm; padding: 8mm 4mm; font-size: 10.5pt;
  line-height: 1.4; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 7mm 0 2mm; border-bottom: 1px solid #bbb; padding-bottom: 1mm;
  break-after: avoid; }
.made, .small { color: #555; font-size: 9pt; }
.summary p { margin: 1mm 0; }
.note { border-left: 4px solid #b9770e; background: #fdf5e6; padding: 2mm 3mm; margin: 2mm 0; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
th, td { border: 1px solid #c8c8c8; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
th { background: #eef2f7; }
thead { display: table-header-group; }
tr, figure, .plot { break-inside: avoid; }
td.num { text-align: right; white-space: nowrap; }
.plots svg { display: block; margin: 0 0 3mm; }
.frames { display: flex; flex-wrap: wrap; gap: 3mm; }
figure { margin: 0; width: calc(50% - 1.5mm); }
.frames.portrait figure { width: calc(33.3% - 2mm); }
figure img { width: 100%; height: auto; display: block; border: 1px solid #ccc; }
figcaption { font-size: 9pt; color: #333; margin-top: 1mm; }
.missing { border: 1px dashed #999; padding: 8mm 3mm; color: #555; text-align: center; }
ul.cues { padding-left: 5mm; margin: 1mm 0; }
footer { margin-top: 8mm; font-size: 9pt; color: #444; border-top: 1px solid #bbb; padding-top: 2mm; }
"""

#: The browser may load nothing at all: no script, no outside picture, font, style or frame.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _table_html(rows: Sequence[Mapping[str, str]], lang: str) -> str:
    if not rows:
        return ""
    heads = list(rows[0])
    numeric = {message(c, lang) for c in ("col_rep", "col_time", "col_score", "col_hold")}
    out = ['<table class="reps"><thead><tr>']
    out += [f"<th>{escape(h)}</th>" for h in heads]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for h in heads:
            cls = ' class="num"' if h in numeric else ""
            out.append(f"<td{cls}>{escape(row.get(h, ''))}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _frames_html(frames: Sequence[KeyFrame], template: Template, lang: str, portrait: bool) -> str:
    moment = message(moment_code(template), lang)
    out = [f'<div class="frames{" portrait" if portrait else ""}">']
    for k in frames:
        caption = message("video_report_frame_caption", lang).format(
            n=k.rep, t=_num(k.t_s, lang), moment=moment
        )
        if k.jpeg is not None:
            data = base64.b64encode(k.jpeg).decode("ascii")
            body = f'<img alt="{escape(caption)}" src="data:image/jpeg;base64,{data}">'
        else:
            body = f'<div class="missing">{escape(message("video_report_frame_missing", lang))}</div>'
        out.append(f"<figure>{body}<figcaption>{escape(caption)}</figcaption></figure>")
    out.append("</div>")
    return "".join(out)


def _cues_html(doc: Mapping[str, Any], lang: str) -> str:
    times: dict[str, list[float]] = {}
    for c in doc.get("cues", []):
        times.setdefault(str(c.get("text") or c.get("code")), []).append(float(c["t_s"]))
    if not times:
        return f"<p>{escape(message('video_report_no_cues', lang))}</p>"
    items = [
        f"<li>{escape(text)} <span class='small'>({', '.join(_num(t, lang) for t in ts)} s)</span></li>"
        for text, ts in times.items()
    ]
    return '<ul class="cues">' + "".join(items) + "</ul>"


def report_html(
    analysis: Analysis,
    doc: Mapping[str, Any],
    frames: Sequence[KeyFrame],
    lang: str,
    *,
    created: str,
    notes: Sequence[str] = (),
) -> str:
    """The whole report as one HTML document.

    Args:
        analysis: the analysed video (plots come from its features and reps).
        doc: its ``result.json`` document (table, summary, cues and notes come from it, so the report and
            ``result.json`` agree).
        frames: the key frames, one per rep, in rep order.
        lang: ``nl`` or ``en``.
        created: the date (and time) shown as when the report was made.
        notes: extra remarks for the reader (e.g. that the video could not be read again for pictures).
    """
    tpl = analysis.template
    title = f"{message('video_report_title', lang)} · {tpl.title.get(lang)}"
    side_code = f"camera_side_{doc.get('camera_side')}"
    about = message("video_report_about_text", lang).format(
        with_pose=doc.get("frames_with_pose", 0),
        frames=doc.get("frames", 0),
        fps=format_number(float(doc.get("fps", 0.0)), lang, 1),
        model=doc.get("model") or "?",
        side=message(side_code, lang) if side_code in ("camera_side_left", "camera_side_right") else "?",
    )
    made = message("video_report_made", lang).format(date=created, video=doc.get("source") or "?")
    summary = "".join(f"<p>{escape(line)}</p>" for line in summary_lines(doc, tpl, lang))
    summary += "".join(f'<p class="note">{escape(n)}</p>' for n in [*doc.get("notes", []), *notes])
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(lang)}"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1><p class='made'>{escape(made)}</p>",
        _section("video_report_summary", summary, lang, "summary"),
    ]
    rows = rep_rows(doc, tpl, lang)
    if rows:
        parts.append(_section("video_report_table", _table_html(rows, lang), lang))
    plots = feature_plots(analysis, lang)
    if plots:
        legend = f"<p class='small'>{escape(message('video_report_plots_legend', lang))}</p>"
        parts.append(_section("video_report_plots", legend + "".join(plots), lang, "plots"))
    if frames:
        width, height = analysis.trace.size
        parts.append(_section("video_report_frames", _frames_html(frames, tpl, lang, height > width), lang))
    parts.append(_section("video_report_cues", _cues_html(doc, lang), lang))
    parts.append(_section("video_report_about", f"<p class='small'>{escape(about)}</p>", lang))
    footer = "".join(
        f"<p>{escape(message(c, lang))}</p>" for c in ("stop_note", "disclaimer", "video_report_private")
    )
    parts.append(f"<footer>{footer}</footer></body></html>")
    return "\n".join(parts)


def _section(heading: str, body: str, lang: str, cls: str = "") -> str:
    """A ``<section>`` with the heading of message code ``heading`` over ``body`` (HTML)."""
    attr = f' class="{cls}"' if cls else ""
    return f"<section{attr}><h2>{escape(message(heading, lang))}</h2>{body}</section>"
