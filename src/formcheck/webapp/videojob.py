"""The physio page's video analysis, run in a child process: ``python -m formcheck.webapp.videojob``.

The page starts one child per analysis (:class:`VideoJob`) and reads its progress as JSON lines on
stdout. A child keeps the web server light (the pose model, the trace and the drawing live and die with
it), can be stopped at any moment (the page closes, a new video comes) without leaving anything behind, and
stops by itself when the server goes away.

The child writes into its output folder:

- ``result.json``: :meth:`formcheck.analysis.analyze.Analysis.to_json`, plus ``exercise_choice`` (how the
  exercise was chosen and what every template counted);
- ``series.npz``: frame times (s) and every feature per frame (units as in
  :data:`formcheck.core.geometry.FEATURES`), for the page's plots;
- ``report.html`` and ``features.csv``: the printable report and every feature per frame
  (:func:`formcheck.analysis.report.make_report`; when the report cannot be made the job goes on and says
  why in a ``note`` event);
- ``annotated.webm``: the video with the overlay (VP8, plays in the browser; at most
  :data:`PLAYBACK_HEIGHT` pixels high and :data:`PLAYBACK_FPS` frames per second);
- ``trace.npz`` and ``trace.json``: the pose trace, so that analysing the same upload as another exercise
  needs no second pose pass.

Progress lines (JSON on stdout): ``{"event": ..., ...}`` with the events ``probe``, ``pose``, ``choose``,
``report``, ``note``, ``draw``, then ``done`` or ``error``. Errors and notes carry a message ``code`` of
:mod:`formcheck.core.messages` and a one-line ``detail``.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The annotated video the page plays: at most this many pixels high ...
PLAYBACK_HEIGHT = 480
#: ... and this many frames per second (VP8 encoding is the slow part of drawing).
PLAYBACK_FPS = 30.0
#: Seconds between two progress lines of one stage.
PROGRESS_EVERY_S = 0.25
#: The exercise argument that lets formcheck choose.
AUTO = "auto"

RESULT = "result.json"
SERIES = "series.npz"
ANNOTATED = "annotated.webm"
REPORT = "report.html"
FEATURES_CSV = "features.csv"
TRACE = "trace.npz"
TRACE_META = "trace.json"
LOG = "job.log"


# ------------------------------------------------------------------------------------------ child


def _emit(**event: Any) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class _Throttle:
    """Sums frame counts and emits one progress line per :data:`PROGRESS_EVERY_S`."""

    def __init__(self, stage: str, total: int) -> None:
        self.stage, self.total, self.done, self.last = stage, total, 0, 0.0

    def __call__(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            _emit(event=self.stage, done=min(self.done, self.total), total=self.total)


def _watch_parent() -> None:
    """End this process (and its pose workers) when the process that started it is gone."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _save_trace(trace: Any, out: Path, model: str, with_mask: bool) -> None:
    import numpy as np

    fields = {
        "landmarks": trace.landmarks,
        "world": trace.world,
        "back": trace.back,
        "n_people": trace.n_people,
        "brightness": trace.brightness,
        "fps": np.float64(trace.fps),
        "size": np.array(trace.size, dtype=np.int32),
    }
    if trace.t is not None:
        fields["t"] = trace.t
    if trace.profile is not None:
        fields["profile"] = trace.profile
    np.savez(out / TRACE, **fields)  # full precision: the same numbers as the first analysis
    (out / TRACE_META).write_text(json.dumps({"model": model, "with_mask": with_mask}), encoding="utf-8")


def _cached_trace(path: Path | None, model: str, with_mask: bool) -> Any:
    """A trace saved by an earlier job on the same upload, if it fits (same model, mask if needed)."""
    from formcheck.pose.pipeline import PoseTrace

    if path is None or not (path / TRACE).is_file() or not (path / TRACE_META).is_file():
        return None
    try:
        meta = json.loads((path / TRACE_META).read_text(encoding="utf-8"))
        if meta.get("model") != model or (with_mask and not meta.get("with_mask")):
            return None
        return PoseTrace.load(str(path / TRACE)), bool(meta.get("with_mask"))
    except (OSError, ValueError, KeyError):
        return None


def _report(analysis: Any, video: Path, out: Path, lang: str, model: str) -> None:
    """The printable report and the per-frame CSV of this analysis (a ``note`` event if it fails)."""
    from formcheck.analysis.report import ReportError, make_report

    last = [0.0]

    def progress(fraction: float, _stage: str) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            _emit(event="report", fraction=round(fraction, 3))

    try:
        made = make_report(video, analysis.template, lang, progress, analysis=analysis, model=model)
    except ReportError as e:
        _emit(event="note", code="report_failed", detail=str(e).replace(str(video), video.name))
        return
    (out / FEATURES_CSV).write_text(made.features_csv, encoding="utf-8")
    (out / REPORT).write_text(made.html, encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    """The analysis itself (see the module docstring); returns the exit status."""
    import numpy as np

    from formcheck.analysis.analyze import extract_trace, write_annotated
    from formcheck.analysis.suggest import contenders, rank, suggestion
    from formcheck.core.messages import message
    from formcheck.core.templates import TemplateError, available, load_template
    from formcheck.pose.video import VideoError, probe

    out = Path(args.out)
    video = Path(args.video)
    try:
        info = probe(video)
    except VideoError as e:
        _emit(event="error", code="upload_not_video", detail=str(e).replace(str(video), video.name))
        return 2
    _emit(event="probe", frames=info.frames, fps=info.fps, duration_s=info.duration_s,
          width=info.width, height=info.height)  # fmt: skip
    names = available() if args.exercise == AUTO else [args.exercise]
    templates = []
    for name in names:
        try:
            templates.append(load_template(name))
        except TemplateError as e:
            if args.exercise != AUTO:
                _emit(event="error", code="upload_bad_exercise", detail=str(e).splitlines()[0])
                return 2
    if not templates:
        _emit(event="error", code="upload_bad_exercise", detail="no exercise template can be read")
        return 2
    with_mask = any(t.needs_mask for t in templates)
    cached = _cached_trace(Path(args.trace_from) if args.trace_from else None, args.model, with_mask)
    if cached is not None:
        trace, with_mask = cached
        _emit(event="pose", done=trace.frames, total=trace.frames, cached=True)
    else:
        bar = _Throttle("pose", info.frames)
        trace = extract_trace(info, args.model, with_mask=with_mask, progress=bar)
        _emit(event="pose", done=trace.frames, total=trace.frames)
    if trace.frames == 0:
        _emit(event="error", code="upload_no_frames", detail="no frame could be decoded")
        return 2
    _save_trace(trace, out, args.model, with_mask)
    ranked = rank(trace, templates, args.lang, source=args.name or video.name, model=args.model)
    chosen = suggestion(ranked) if args.exercise == AUTO else templates[0].name
    analysis = next((a for c, a in ranked if c.exercise == chosen), ranked[0][1])
    if trace.frames < info.frames * 0.95:
        analysis.notes.append(
            message("video_truncated", args.lang).format(done=trace.frames, total=info.frames)
        )
    doc = analysis.to_json()
    doc["exercise_choice"] = {
        "by": "formcheck" if args.exercise == AUTO else "physio",
        "suggested": chosen if args.exercise == AUTO else None,
        "contenders": [c.exercise for c in contenders(ranked)],
        "candidates": [
            {
                "exercise": c.exercise,
                "reps": c.reps,
                "mean_score": c.mean_score,
                "position_share": c.position_share,
            }
            for c, _a in ranked
        ],
    }
    _emit(event="choose", exercise=analysis.template.name, suggested=doc["exercise_choice"]["suggested"],
          candidates=doc["exercise_choice"]["candidates"])  # fmt: skip
    (out / (RESULT + ".tmp")).write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / (RESULT + ".tmp")).replace(out / RESULT)
    names_f = sorted(analysis.features)
    np.savez(
        out / SERIES,
        t=trace.times,
        names=np.array(names_f),
        values=np.stack([analysis.features[k] for k in names_f], axis=1).astype(np.float32),
    )
    decided = args.exercise != AUTO or chosen is not None  # else the page asks the physio to choose
    if doc["person_found"] and decided:
        _report(analysis, video, out, args.lang, args.model)
    if doc["person_found"] and decided and not args.no_video:
        bar = _Throttle("draw", trace.frames)
        write_annotated(
            analysis, video, out / ANNOTATED, bar, max_height=PLAYBACK_HEIGHT, max_fps=PLAYBACK_FPS
        )
    _emit(event="done", exercise=analysis.template.name)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m formcheck.webapp.videojob VIDEO OUT [--exercise NAME|auto] [--lang] [--model] ...``."""
    ap = argparse.ArgumentParser(prog="formcheck.webapp.videojob")
    ap.add_argument("video")
    ap.add_argument("out")
    ap.add_argument("--exercise", default=AUTO)
    ap.add_argument("--lang", default="nl", choices=["nl", "en"])
    ap.add_argument("--model", default="full")
    ap.add_argument("--name", default="", help="the upload's own file name (for result.json)")
    ap.add_argument("--trace-from", default="", help="folder of an earlier job on the same video")
    ap.add_argument("--no-video", action="store_true")
    args = ap.parse_args(argv)
    _watch_parent()
    try:
        return run(args)
    except Exception as e:  # one line for the page; the traceback goes to the job's log
        import traceback

        traceback.print_exc()
        _emit(
            event="error",
            code="upload_failed",
            detail=f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
        )
        return 1


# ------------------------------------------------------------------------------------------ parent


@dataclass(frozen=True)
class JobSpec:
    """What to analyse and how.

    Attributes:
        video: the stored upload.
        out: an empty folder for the results.
        exercise: a template name or :data:`AUTO`.
        lang: ``nl`` or ``en`` (texts drawn in the video and written in result.json).
        model: pose model (``lite``, ``full``, ``heavy``).
        name: the upload's own file name (only written into result.json).
        trace_from: the folder of an earlier job on the same upload (its pose trace is reused), or None.
    """

    video: Path
    out: Path
    exercise: str = AUTO
    lang: str = "nl"
    model: str = "full"
    name: str = ""
    trace_from: Path | None = None


class VideoJob:
    """One analysis in a child process; iterate :meth:`events` until it ends, :meth:`stop` always."""

    def __init__(self, spec: JobSpec, python: str = sys.executable) -> None:
        self.spec = spec
        self.log_path = spec.out / LOG
        cmd = [
            *(python, "-m", "formcheck.webapp.videojob", str(spec.video), str(spec.out)),
            *("--exercise", spec.exercise, "--lang", spec.lang, "--model", spec.model, "--name", spec.name),
        ]
        if spec.trace_from is not None:
            cmd += ["--trace-from", str(spec.trace_from)]
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL, start_new_session=True
        )
        self._lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.last: dict[str, Any] | None = None
        threading.Thread(target=self._read, daemon=True, name="videojob-reader").start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                ev = json.loads(raw)
            except ValueError:
                continue
            if isinstance(ev, dict):
                self._lines.put(ev)
        self._lines.put(None)

    def events(
        self, poll_s: float = 0.5, on_idle: Callable[[], None] | None = None
    ) -> Iterator[dict[str, Any]]:
        """The child's events until it ends; ``on_idle`` is called every ``poll_s`` s without one (the page
        uses it to stay responsive). The last event is ``done`` or ``error`` (an ``error`` with code
        ``upload_failed`` is made up when the child ends without saying why)."""
        while True:
            try:
                ev = self._lines.get(timeout=poll_s)
            except queue.Empty:
                if on_idle is not None:
                    on_idle()
                continue
            if ev is None:
                break
            self.last = ev
            yield ev
            if ev.get("event") in ("done", "error"):
                return
        self.proc.wait()
        ev = {"event": "error", "code": "upload_failed", "detail": self._log_tail()}
        self.last = ev
        yield ev

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            lines = []
        rc = self.proc.returncode
        return lines[-1][:300] if lines else f"the analysis stopped (exit status {rc})"

    def stop(self) -> None:
        """End the child and its pose workers if still running; release the pipes."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()


if __name__ == "__main__":
    sys.exit(main())
