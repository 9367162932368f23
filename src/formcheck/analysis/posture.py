"""A recording (or a photo) of someone sitting -> posture segments, reminders and a score.

The same causal monitor as the live page (:class:`formcheck.core.desk.DeskMonitor`) runs over every frame.
A recording has no calibration, so the baseline is its most upright stretch of ``calibration_s`` seconds
(:func:`formcheck.core.posture.auto_baseline`); a photo (one frame) and a recording with no upright stretch
are judged against the fixed limits only. The result says which.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.core.desk import DeskMonitor, DeskState, Segment, posture_at
from formcheck.core.landmarks import has_pose
from formcheck.core.messages import message
from formcheck.core.posture import Baseline, auto_baseline, classify, frame_measures, measure, view_of
from formcheck.core.posture_template import MonitorTemplate, reminder_text
from formcheck.pose.pipeline import PoseTrace

#: A share of frames with two or more people above this gets a note (as for the exercises).
MULTIPLE_PEOPLE_SHARE = 0.05


@dataclass
class PostureAnalysis:
    """An analysed recording of someone sitting."""

    template: MonitorTemplate
    lang: str
    trace: PoseTrace
    measures: dict[str, np.ndarray]
    baseline: Baseline | None
    monitor: DeskMonitor
    states: list[DeskState]
    source: str = ""
    model: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def photo(self) -> bool:
        """Whether the input was one picture."""
        return self.trace.frames == 1

    @property
    def segments(self) -> list[Segment]:
        """The posture segments."""
        return self.monitor.segments

    def postures(self) -> list[str]:
        """Each frame's posture as finally segmented (a segment's start is dated back to when it began)."""
        return [posture_at(self.segments, float(t)) or "away" for t in self.trace.times]

    def to_json(self) -> dict[str, Any]:
        """The ``result.json`` document of a posture analysis."""
        tr = self.trace
        with_pose = int(has_pose(tr.landmarks).sum())
        doc: dict[str, Any] = {
            "exercise": self.template.name,
            "kind": "monitor",
            "source": self.source,
            "model": self.model,
            "lang": self.lang,
            "frames": tr.frames,
            "frames_with_pose": with_pose,
            "fps": round(tr.fps, 3),
            "duration_s": round(tr.frames / tr.fps, 3),
            "person_found": with_pose > 0,
            "photo": self.photo,
            "calibrated": self.baseline is not None,
            "view": self.baseline.view if self.baseline is not None else self._frame_view(),
            "baseline": None
            if self.baseline is None
            else {k: None if not np.isfinite(v) else round(v, 2) for k, v in self.baseline.values.items()},
            "segments": [
                {"posture": s.posture, "start_s": round(s.start_s, 3), "end_s": round(s.end_s, 3)}
                for s in self.segments
            ],
            "totals_s": {k: round(v, 2) for k, v in self.monitor.totals().items()},
            "score": None if not np.isfinite(self.monitor.score) else round(self.monitor.score, 1),
            "reminders": [
                {
                    "t_s": round(r.t_s, 3),
                    "code": r.code,
                    "text": reminder_text(self.template, r.code, self.lang),
                }
                for r in self.monitor.reminders
            ],
            "max_people": int(tr.n_people.max()) if tr.frames else 0,
            "notes": list(self.notes),
        }
        if with_pose == 0:
            doc["notes"].append(message("no_person_in_video", self.lang))
        if tr.frames and float(np.mean(tr.n_people >= 2)) > MULTIPLE_PEOPLE_SHARE:
            doc["notes"].append(message("multiple_people_in_video", self.lang))
        return doc

    def _frame_view(self) -> str:
        yaw = self.measures["yaw"]
        return view_of(float(np.nanmedian(yaw))) if np.isfinite(yaw).any() else "unknown"


def analyze_posture_trace(
    trace: PoseTrace, template: MonitorTemplate, lang: str = "en", *, source: str = "", model: str = ""
) -> PostureAnalysis:
    """Run the desk-posture monitor over a pose trace (no model needed)."""
    m = measure(trace.landmarks, trace.world, trace.size)
    times = trace.times
    notes: list[str] = []
    baseline = None
    if trace.frames > 1:
        baseline = auto_baseline(m, times, template.limits, template.timing.calibration_s)
    if baseline is not None and baseline.window_s is not None:
        start, end = baseline.window_s
        notes.append(
            message("desk_auto_baseline", lang).format(
                seconds=template.timing.calibration_s, start=start, end=end
            )
        )
    else:
        notes.append(message("desk_photo" if trace.frames == 1 else "desk_fixed_only", lang))
    monitor = DeskMonitor(template.limits, template.timing, baseline)
    states = [monitor.update(float(t), frame_measures(m, i)) for i, t in enumerate(times)]
    if trace.frames == 1 and states:  # a photo: its own frame, no smoothing over time, fixed limits
        one = frame_measures(m, 0)
        monitor.segments[0].posture = classify(one, template.limits, None, view_of(one["yaw"]))
    return PostureAnalysis(
        template=template,
        lang=lang,
        trace=trace,
        measures=m,
        baseline=baseline,
        monitor=monitor,
        states=states,
        source=source,
        model=model,
        notes=notes,
    )


def analyze_posture_video(
    path: str | os.PathLike[str],
    template: MonitorTemplate,
    *,
    model: str = "full",
    lang: str = "en",
    workers: int | None = None,
    progress: Any = None,
) -> PostureAnalysis:
    """Analyse a video file or a photo end to end.

    Raises:
        formcheck.pose.video.VideoError: the file is missing, not a video or picture, or has no decodable
            frame.
    """
    from formcheck.analysis.analyze import video_trace

    trace, note = video_trace(path, model, with_mask=False, workers=workers, progress=progress)
    a = analyze_posture_trace(trace, template, lang, source=str(Path(path).name), model=model)
    if note is not None:
        a.notes.append(note.format(lang))
    return a


def posture_summary(doc: dict[str, Any], template: MonitorTemplate, lang: str) -> str:
    """A short human summary of a posture result: the segments with their times, score and reminders."""
    nl = lang == "nl"
    view = f"{'camera' if nl else 'view'} {doc['view']}"
    if doc["photo"]:
        posture = message(f"posture_{doc['segments'][0]['posture']}", lang) if doc["segments"] else "-"
        lines = [f"{template.title.get(lang)} ({'foto' if nl else 'photo'}, {view}): {posture}"]
    else:
        score = "-" if doc["score"] is None else f"{doc['score']:.0f}/100"
        lines = [f"{template.title.get(lang)}: {doc['duration_s']:.1f} s, {view}, score {score}"]
        for s in doc["segments"]:
            name = message("posture_" + s["posture"], lang)
            lines.append(f"  {s['start_s']:7.1f}-{s['end_s']:7.1f} s  {name}")
    for r in doc["reminders"]:
        lines.append(f"  {r['t_s']:7.1f} s  > {r['text']}")
    for note in doc.get("notes", []):
        lines.append(f"  ! {note}")
    return "\n".join(lines)
