"""A report to keep: one self-contained HTML page, ``result.json`` and a per-frame CSV of every feature.

:func:`write_report` is the one entry point for files (the ``formcheck report`` command calls it);
:func:`make_report` makes the same three documents in memory, for a page's download buttons. Both reuse
the analysis (:func:`formcheck.analysis.analyze.analyze_video`, or an
:class:`~formcheck.analysis.analyze.Analysis` the caller already has), read the video once more for the
still frame of each rep's turning point with the skeleton drawn, and give::

    DIR/report.html   the report (pictures as data URIs, plots as inline SVG; nothing outside the file)
    DIR/result.json   the same document as `formcheck analyze --out DIR` writes
    DIR/features.csv  one row per video frame: time, phase, rep, and every feature (units in the header)

Nothing already in ``DIR`` is replaced unless ``overwrite=True``: when any of the three files exists the
report is refused before any work is done. Each file is written to a temporary name first and renamed, so
a failure never leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from formcheck.analysis.analyze import Analysis, analyze_video, fault_joints_by_frame
from formcheck.analysis.report_html import KeyFrame, report_html
from formcheck.core.geometry import FEATURES
from formcheck.core.landmarks import has_pose
from formcheck.core.messages import message
from formcheck.core.templates import LANGS, Template

REPORT_HTML = "report.html"
RESULT_JSON = "result.json"
FEATURES_CSV = "features.csv"
OUTPUTS: tuple[str, ...] = (REPORT_HTML, RESULT_JSON, FEATURES_CSV)
#: Key frames are scaled down to at most this width (pixels) and stored as JPEG of this quality.
FRAME_WIDTH = 640
JPEG_QUALITY = 82
#: Share of the progress bar taken by the pose pass (the rest: key frames and writing).
POSE_SHARE = 0.9

#: ``progress(fraction, stage)``: fraction done 0..1 and the stage, ``"pose"``, ``"frames"`` or ``"page"``.
ReportProgress = Callable[[float, str], None]


class ReportError(Exception):
    """A report that cannot be made; the message is one line for the user.

    Attributes:
        code: a :data:`formcheck.core.messages.MESSAGES` code for the page to show in the user's language
            (e.g. ``no_person_in_video``), or ``""`` when the message itself is all there is.
    """

    def __init__(self, text: str, code: str = "") -> None:
        super().__init__(text)
        self.code = code


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote.

    Attributes:
        html: the report page.
        result_json: the result document.
        features_csv: the per-frame features.
        reps: reps found.
        notes: what the report had to leave out (e.g. key frames that could not be read), in the report's
            language; also shown in the report itself.
    """

    html: Path
    result_json: Path
    features_csv: Path
    reps: int
    notes: tuple[str, ...] = field(default_factory=tuple)


def prepare_out_dir(out_dir: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Create ``out_dir`` if needed and check that the report may be written there.

    Raises:
        ReportError: the path is a file, cannot be created or written, or (without ``overwrite``) already
            holds one of :data:`OUTPUTS`.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ReportError(f"{out} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".formcheck-", suffix=".tmp"):
            pass
    except OSError as e:
        raise ReportError(f"cannot write in {out}: {e.strerror or e}") from None
    if not overwrite:
        taken = [n for n in OUTPUTS if (out / n).exists()]
        if taken:
            raise ReportError(
                f"{out} already holds {', '.join(taken)}; choose another folder or allow replacing them",
                code="video_report_exists",
            )
    return out


# ------------------------------------------------------------------------------------------ key frames


def turn_frames(analysis: Analysis) -> list[int]:
    """For each rep, the index of the frame nearest its turning point (the lowest point of a lift, the top
    of a bridge)."""
    times = analysis.trace.times
    return [int(np.argmin(np.abs(times - r.turn_s))) for r in analysis.reps]


def _draw_still(analysis: Analysis, i: int, rep: int, bgr: np.ndarray, bad: frozenset[str]) -> bytes:
    """Frame ``i`` of rep ``rep`` with the skeleton, the angles and the counter drawn (the counter shows this
    rep's number, the rep's faulty joints are red, no cue banner), scaled to :data:`FRAME_WIDTH`, as JPEG
    bytes."""
    from formcheck.draw.overlay import draw_overlay

    before = analysis.states[i]
    state = dataclasses.replace(
        before, reps=rep, cue=None, new_cue=None, issues=(), bad_joints=before.bad_joints | bad
    )
    feats = {k: float(v[i]) for k, v in analysis.features.items()}
    h, w = bgr.shape[:2]
    if w > FRAME_WIDTH:
        bgr = cv2.resize(bgr, (FRAME_WIDTH, round(h * FRAME_WIDTH / w)), interpolation=cv2.INTER_AREA)
    draw_overlay(bgr, analysis.landmarks[i], state, analysis.template, analysis.lang, feats, analysis.side)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def key_frames(
    analysis: Analysis, video: str | os.PathLike[str], progress: Callable[[float], None] | None = None
) -> tuple[list[KeyFrame], list[str]]:
    """The still frame of every rep's turning point with the skeleton drawn, read from ``video``.

    A frame that cannot be read (the file changed, is shorter than the analysis, or cannot be opened at
    all) becomes a :class:`KeyFrame` without a picture, never an error.

    Returns:
        The key frames in rep order, and notes (in the analysis's language) on what could not be read.
    """
    from formcheck.pose.video import VideoError, frames_at, probe

    wanted = turn_frames(analysis)
    times = analysis.trace.times
    got: dict[int, bytes] = {}
    notes: list[str] = []
    if wanted:
        hindsight = fault_joints_by_frame(analysis)
        rep_at = {i: r.index for r, i in zip(analysis.reps, wanted, strict=True)}  # one picture a frame
        try:
            info = probe(video)
            for n, (i, _t, bgr) in enumerate(frames_at(info, rep_at), start=1):
                with contextlib.suppress(cv2.error, ValueError):
                    got[i] = _draw_still(analysis, i, rep_at[i], bgr, hindsight[i])
                if progress is not None:
                    progress(n / len(rep_at))
        except (VideoError, OSError) as e:
            notes.append(message("video_report_frames_missing", analysis.lang).format(error=e))
    frames = [
        KeyFrame(rep=r.index, t_s=float(times[i]), jpeg=got.get(i))
        for r, i in zip(analysis.reps, wanted, strict=True)
    ]
    return frames, notes


# ------------------------------------------------------------------------------------------------ CSV


def feature_columns(analysis: Analysis) -> list[str]:
    """The feature columns of the CSV: every feature the analysis computed, in the order of
    :data:`formcheck.core.geometry.FEATURES` (unknown extra features last, by name)."""
    known = [n for n in FEATURES if n in analysis.features]
    return known + sorted(n for n in analysis.features if n not in FEATURES)


def features_csv(analysis: Analysis) -> str:
    """The per-frame CSV: one row per video frame analysed.

    Columns: ``frame`` (0-based decode order), ``t_s`` (seconds), ``person`` (1 when a pose was found),
    ``phase`` (the engine's phase name, empty before the first), ``rep`` (the rep the frame belongs to,
    empty outside reps), then every feature of :func:`feature_columns` as ``name [unit]``. Missing values
    are empty cells; numbers have 6 significant digits.
    """
    times = analysis.trace.times
    names = feature_columns(analysis)
    person = has_pose(analysis.trace.landmarks)
    rep_of = np.zeros(len(times), dtype=int)
    for r in analysis.reps:
        rep_of[(times >= r.start_s - 1e-6) & (times <= r.end_s + 1e-6)] = r.index
    units = {n: FEATURES.get(n, "").split(";")[0].strip() for n in names}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["frame", "t_s", "person", "phase", "rep", *(f"{n} [{units[n]}]" if units[n] else n for n in names)]
    )
    cols = [np.asarray(analysis.features[n], dtype=float) for n in names]
    for i, t in enumerate(times.tolist()):
        vals = [c[i] for c in cols]
        w.writerow(
            [
                i,
                f"{t:.4f}",
                int(person[i]),
                analysis.states[i].phase or "",
                rep_of[i] or "",
                *("" if not math.isfinite(v) else f"{v:.6g}" for v in vals),
            ]
        )
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- write


def _write_atomic(path: Path, text: str, overwrite: bool) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        if not overwrite and path.exists():
            raise ReportError(f"{path} appeared while the report was being made; it was left as it is")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


@dataclass(frozen=True)
class Report:
    """A report in memory (nothing written): what :func:`write_report` puts in its three files.

    Attributes:
        html: the report page (self-contained HTML).
        result_json: the result document as JSON text.
        features_csv: the per-frame features as CSV text.
        reps: reps found.
        notes: what the report had to leave out (e.g. key frames that could not be read), in the report's
            language; also shown in the report itself.
    """

    html: str
    result_json: str
    features_csv: str
    reps: int
    notes: tuple[str, ...] = field(default_factory=tuple)


def make_report(
    video: str | os.PathLike[str],
    template: Template,
    lang: str,
    progress: ReportProgress | None = None,
    *,
    analysis: Analysis | None = None,
    model: str = "full",
    workers: int | None = None,
    created: dt.datetime | None = None,
) -> Report:
    """Analyse ``video`` (unless ``analysis`` is given) and make the report in memory (for a page's download
    buttons: nothing is written to disk).

    Args:
        video: the video file (read again for the key frames; when ``analysis`` is given and the video
            cannot be read, the report has no pictures and says so).
        template: the exercise.
        lang: ``nl`` or ``en``: the language of the report and of the cue texts in ``result.json``.
        progress: called as ``progress(fraction, stage)`` with the fraction done (0..1) and the stage
            (``"pose"``, ``"frames"``, ``"page"``); the last call is ``(1.0, "page")``.
        analysis: an analysis of this very video already made (e.g. by the physio page), to skip the pose
            pass; the report uses its reps and features as they are.
        model: pose model when analysing here (``lite``, ``full``, ``heavy``).
        workers: pose worker processes when analysing here (default automatic).
        created: the time shown as when the report was made (default now, local time).

    Raises:
        ReportError: one line for the user: the language is unknown, the video is missing, not a video,
            corrupt or cannot be analysed, or no person was found in it (``code="no_person_in_video"``).
    """
    from formcheck.pose.landmarker import ModelNotFoundError
    from formcheck.pose.video import VideoError, probe

    if lang not in LANGS:
        raise ReportError(f"unknown language '{lang}' (expected one of {', '.join(LANGS)})")

    def report(fraction: float, stage: str) -> None:
        if progress is not None:
            progress(min(max(fraction, 0.0), 1.0), stage)

    try:
        if analysis is None:
            info = probe(video)
            done = [0]

            def pose_progress(n: int) -> None:
                done[0] += n
                report(POSE_SHARE * done[0] / max(info.frames, 1), "pose")

            analysis = analyze_video(
                video, template, model=model, lang=lang, workers=workers, progress=pose_progress
            )
        elif analysis.lang != lang:
            analysis = dataclasses.replace(analysis, lang=lang)
    except (VideoError, ModelNotFoundError) as e:
        raise ReportError(str(e)) from None
    except ChildProcessError as e:  # a pose worker process died
        raise ReportError(str(e)) from None
    doc = analysis.to_json()
    if not doc["person_found"]:
        raise ReportError(
            f"no person was found in {Path(video).name}; no report written", code="no_person_in_video"
        )
    report(POSE_SHARE, "frames")
    frames, notes = key_frames(
        analysis, video, lambda f: report(POSE_SHARE + (0.98 - POSE_SHARE) * f, "frames")
    )
    stamp = (created or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    report(0.98, "page")
    made = Report(
        html=report_html(analysis, doc, frames, lang, created=stamp, notes=notes),
        result_json=json.dumps(doc, indent=2, ensure_ascii=False),
        features_csv=features_csv(analysis),
        reps=len(analysis.reps),
        notes=tuple(notes),
    )
    report(1.0, "page")
    return made


def write_report(
    video: str | os.PathLike[str],
    template: Template,
    lang: str,
    out_dir: str | os.PathLike[str],
    progress: ReportProgress | None = None,
    *,
    analysis: Analysis | None = None,
    model: str = "full",
    workers: int | None = None,
    overwrite: bool = False,
    created: dt.datetime | None = None,
) -> ReportFiles:
    """Analyse ``video`` (unless ``analysis`` is given) and write the report, ``result.json`` and the
    per-frame CSV into ``out_dir`` (:func:`make_report`, then the files).

    ``out_dir`` is checked first (created if needed, writable, holding no report unless ``overwrite``), so
    a bad folder fails before the slow pose pass. The other arguments are :func:`make_report`'s.

    Returns:
        The paths written, the rep count and any notes on what had to be left out.

    Raises:
        ReportError: one line for the user: as :func:`make_report`, or ``out_dir`` cannot be written or
            already holds a report (without ``overwrite``; ``code="video_report_exists"``).
    """
    if lang not in LANGS:
        raise ReportError(f"unknown language '{lang}' (expected one of {', '.join(LANGS)})")
    out = prepare_out_dir(out_dir, overwrite)
    made = make_report(
        video, template, lang, progress, analysis=analysis, model=model, workers=workers, created=created
    )
    files = ReportFiles(
        html=out / REPORT_HTML,
        result_json=out / RESULT_JSON,
        features_csv=out / FEATURES_CSV,
        reps=made.reps,
        notes=made.notes,
    )
    try:
        _write_atomic(files.result_json, made.result_json, overwrite)
        _write_atomic(files.features_csv, made.features_csv, overwrite)
        _write_atomic(files.html, made.html, overwrite)
    except OSError as e:
        raise ReportError(f"cannot write the report in {out}: {e.strerror or e}") from None
    return files
