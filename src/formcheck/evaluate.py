"""Accuracy against hand labels: rep counts per clip and lift technique per labelled lift.

The labels file has the shape of ``shared/clips/labels.json``: ``{"clips": [{"file", "exercise", "fps",
"reps", "confidence", "lifts": [{"bottom_frame", "technique"}], ...}]}`` with clip paths relative to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from formcheck.analyze import analyze_trace, analyze_video
from formcheck.pipeline import PoseTrace
from formcheck.templates import TemplateError, available, load_template

#: A labelled lift matches the detected rep whose turning point is nearest, within this many seconds.
MATCH_S = 1.5


def evaluate_labels(labels: Path, *, model: str = "full", traces: Path | None = None) -> dict[str, Any]:
    """Analyse every labelled clip and compare with the labels.

    Args:
        labels: the labels file.
        model: pose model for clips analysed from video.
        traces: a folder of saved pose traces (``<clip stem>.npz``) to use instead of running the model.

    Returns:
        ``{"clips": [...], "reps_exact": n, "reps_scored": n, "technique_right": n, "technique_total": n}``.
    """
    try:
        doc = json.loads(Path(labels).read_text(encoding="utf-8"))
        clips = doc["clips"]
    except FileNotFoundError:
        raise TemplateError(f"{labels}: file not found") from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise TemplateError(f"{labels}: not a labels file ({e})") from None
    known = set(available())
    if not isinstance(clips, list) or not all(isinstance(c, dict) and "file" in c for c in clips):
        raise TemplateError(f"{labels}: not a labels file (every clip needs a 'file')")
    rows: list[dict[str, Any]] = []
    for c in clips:
        name = str(c.get("exercise", "")).replace("-", "_")
        row: dict[str, Any] = {"file": c.get("file"), "exercise": name, "truth": c.get("reps")}
        rows.append(row)
        if name not in known:
            row["skipped"] = f"no template for '{name}'"
            continue
        template = load_template(name)
        stem = Path(str(c["file"])).stem
        if traces is not None:
            path = traces / f"{stem}.npz"
            if not path.is_file():
                row["skipped"] = f"no trace {path}"
                continue
            analysis = analyze_trace(PoseTrace.load(str(path)), template, source=stem)
        else:
            analysis = analyze_video(Path(labels).parent / c["file"], template, model=model)
        reps = analysis.reps
        row["got"] = len(reps)
        scored = c.get("confidence", "high") != "low" and c.get("reps") is not None
        row["scored"] = scored
        row["exact"] = scored and len(reps) == c["reps"]
        fps = float(c.get("fps") or analysis.trace.fps)
        lifts = c.get("lifts") or []
        right = 0
        details = []
        for lift in lifts:
            frame = int(lift["bottom_frame"])
            times = analysis.trace.times
            t_bottom = float(times[frame]) if 0 <= frame < len(times) else frame / fps
            best = min(reps, key=lambda r: abs(r.turn_s - t_bottom), default=None)
            got = best.technique if best is not None and abs(best.turn_s - t_bottom) <= MATCH_S else None
            ok = got == lift.get("technique")
            right += int(ok)
            details.append({"bottom_frame": lift["bottom_frame"], "truth": lift.get("technique"), "got": got})
        if lifts:
            row["technique_right"] = right
            row["technique_total"] = len(lifts)
            row["techniques"] = details
    scored_rows = [r for r in rows if r.get("scored")]
    return {
        "clips": rows,
        "reps_scored": len(scored_rows),
        "reps_exact": sum(bool(r["exact"]) for r in scored_rows),
        "technique_right": sum(r.get("technique_right", 0) for r in rows),
        "technique_total": sum(r.get("technique_total", 0) for r in rows),
    }


def format_report(report: dict[str, Any]) -> str:
    """Human-readable table of an evaluation."""
    lines = [f"{'clip':52s} {'exercise':10s} {'truth':>5s} {'got':>4s}  technique"]
    for r in report["clips"]:
        if "skipped" in r:
            lines.append(f"{r['file']:52s} {r['exercise']:10s} skipped: {r['skipped']}")
            continue
        mark = "ok" if r.get("exact") else ("--" if not r.get("scored") else "MISS")
        tech = f"{r['technique_right']}/{r['technique_total']}" if "technique_total" in r else ""
        lines.append(
            f"{r['file']:52s} {r['exercise']:10s} {r['truth']!s:>5s} {r['got']:>4d}  {tech:9s} {mark}"
        )
    n, k = report["reps_scored"], report["reps_exact"]
    lines.append(f"rep counts exact: {k}/{n}" + (f" ({100 * k / n:.0f} %)" if n else ""))
    t, tt = report["technique_right"], report["technique_total"]
    lines.append(f"lift technique right: {t}/{tt}" + (f" ({100 * t / tt:.0f} %)" if tt else ""))
    return "\n".join(lines)
