"""Accuracy against hand labels, per exercise and per part of a dev/check split.

The labels file has the shape of ``shared/clips/labels.json``: ``{"clips": [{"file", "exercise", "fps",
"reps", "confidence", "rep_frames", "top_hold_s", "lifts": [{"bottom_frame", "technique",
"knee_flexion_deg", "trunk_lean_deg", "rise_after"}], "holds": [{"start_frame", "end_frame", "seconds",
"side", "complete"}], ...}]}`` with clip paths relative to it.

Per exercise the report gives: clips scored, rep counts exact and within one, lift technique right (strict,
and tolerant of borderline lifts), the margins of the measured lowest-point posture to the template's
technique classes, and the error of the measured holds. Clips labelled ``"confidence": "low"`` are listed but
never scored. A split file (``{"check": [clip files]}``) names the held-out clips; every other labelled clip
is the ``dev`` part (the data the templates were tuned on), and the two parts are summed separately.

Scoring (:func:`score_clip`, :func:`summarize`) is pure; only :func:`evaluate_labels` reads files and runs
the analysis.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from formcheck.core.templates import Band, Technique, TechniqueClass

if TYPE_CHECKING:
    from formcheck.core.engine import RepRecord

#: A labelled lift (or rep) matches the detected rep whose turning point is nearest, within this many seconds.
MATCH_S = 1.5
#: A lift whose labelled angles lie within this many degrees of a class boundary is borderline
#: (shared/clips/README.md: the angles are judged by eye, about +-10 degrees).
BORDERLINE_DEG = 8.0
#: The technique definition the labels were made with (shared/clips/README.md and labels.json ``rules``):
#: squat knee flexion >= 60 and trunk lean <= 50 degrees; stoop knee flexion <= 30 and trunk lean >= 60;
#: semi-squat in between. Used only to decide which labelled lifts are borderline; the margins of the
#: measured postures use the template's own classes.
LABEL_TECHNIQUE = Technique(
    classes=(
        TechniqueClass(
            "squat", (Band("knee_flexion", 60.0, math.inf), Band("trunk_incline", -math.inf, 50.0))
        ),
        TechniqueClass(
            "stoop", (Band("knee_flexion", -math.inf, 30.0), Band("trunk_incline", 60.0, math.inf))
        ),
    ),
    default="semi-squat",
)
#: Label field holding the by-eye estimate of each feature (degrees).
LABEL_ANGLES = {"knee_flexion": "knee_flexion_deg", "trunk_incline": "trunk_lean_deg"}
#: The parts of a split, in report order: the tuned part and the held-out part.
PARTS = ("dev", "check")
#: The range a feature can take at all (its units). A band edge at or beyond it is not a boundary to another
#: class (e.g. a trunk incline of ``min = 0``), so margins ignore it.
NATURAL_RANGE = {"knee_flexion": (0.0, 180.0), "trunk_incline": (0.0, 180.0), "stoop_squat_index": (0.0, 1.0)}
#: A posture recording is right when at least this share of its labelled time (transitions excluded) has
#: the labelled posture (issue 8 target).
POSTURE_TARGET = 0.9
#: What :func:`summarize_postures` counts per view.
POSTURE_COUNTS = ("videos", "videos_ok", "labelled_s", "right_s", "photos", "photos_ok")
#: A measured hold within this many seconds of the labelled one counts as right (issue 6 target).
HOLD_TOLERANCE_S = 0.5
#: The same for the hold exercises labelled with ``holds`` (knee-to-chest, hamstring stretch, plank; issue 8).
HOLDS_TOLERANCE_S = 1.0


class EvaluationError(ValueError):
    """A labels or split file that cannot be used; the message is one line naming the file."""


# ------------------------------------------------------------------------------------------------ files


def _json_key(path: Path, key: str, what: str, missing: str) -> Any:
    """``key`` of the JSON file at ``path``; a missing or unreadable file is one :class:`EvaluationError`
    naming the file and ``what`` it should have been (``missing``: the words for a file not there)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))[key]
    except FileNotFoundError:
        raise EvaluationError(f"{path}: {missing}") from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise EvaluationError(f"{path}: not a {what} ({e})") from None


def read_labels(path: Path) -> list[dict[str, Any]]:
    """The ``clips`` of a labels file.

    Raises:
        EvaluationError: the file is missing or not shaped like a labels file.
    """
    clips = _json_key(path, "clips", "labels file", "file not found")
    if not isinstance(clips, list) or not all(isinstance(c, dict) and "file" in c for c in clips):
        raise EvaluationError(f"{path}: not a labels file (every clip needs a 'file')")
    return clips


def read_split(path: Path) -> frozenset[str]:
    """The clip files of the held-out ``check`` part of a split file.

    Raises:
        EvaluationError: the file is missing or has no ``check`` list of clip files.
    """
    check = _json_key(path, "check", "split file", "split file not found")
    if not isinstance(check, list) or not all(isinstance(f, str) for f in check):
        raise EvaluationError(f"{path}: not a split file ('check' must be a list of clip files)")
    return frozenset(check)


def default_split_file(labels: Path) -> Path | None:
    """``split.json`` beside the labels file, else the source checkout's ``tests/data/split.json``."""
    for candidate in (
        Path(labels).parent / "split.json",
        Path(__file__).resolve().parents[3] / "tests" / "data" / "split.json",
    ):
        if candidate.is_file():
            return candidate
    return None


# ------------------------------------------------------------------------------------------- technique


def band_margin(band: Band, value: float) -> float:
    """Signed distance of ``value`` to the edge of ``band`` (units of the feature): > 0 inside, < 0 outside.

    Edges at or beyond the feature's :data:`NATURAL_RANGE` are not class boundaries and are ignored. NaN when
    the value is NaN.
    """
    if math.isnan(value):
        return math.nan
    lo, hi = NATURAL_RANGE.get(band.feature, (-math.inf, math.inf))
    below = value - band.min if band.min > lo else math.inf
    above = band.max - value if band.max < hi else math.inf
    return float(min(below, above))


def class_margins(technique: Technique, values: dict[str, float]) -> dict[str, dict[str, Any]]:
    """How far a posture lies inside (> 0) or outside (< 0) each technique class.

    A class with bands: its margin is the smallest margin of its bands (``by_feature`` gives each band's, in
    the feature's units). The default class (everything no band class takes): minus the largest margin of
    the band classes, i.e. > 0 when the posture is outside all of them.

    Args:
        technique: the classes (a template's, or :data:`LABEL_TECHNIQUE`).
        values: feature values at the lowest point (missing features count as NaN).

    Returns:
        ``{class name: {"margin": float, "by_feature": {feature: float}}}`` (NaN where a value is missing).
    """
    out: dict[str, dict[str, Any]] = {}
    for c in technique.classes:
        by_feature = {b.feature: band_margin(b, float(values.get(b.feature, math.nan))) for b in c.require}
        margins = list(by_feature.values())
        margin = math.nan if any(math.isnan(m) for m in margins) else min(margins, default=math.nan)
        out[c.name] = {"margin": margin, "by_feature": by_feature}
    inside = [m["margin"] for m in out.values()]
    default = math.nan if not inside or any(math.isnan(m) for m in inside) else -max(inside)
    out[technique.default] = {"margin": default, "by_feature": {}}
    return out


def accepted_techniques(lift: dict[str, Any], tolerance_deg: float = BORDERLINE_DEG) -> frozenset[str]:
    """The technique labels counted right for a labelled lift when tolerant of borderline lifts.

    The labelled class always; and every other class whose region the labelled angles
    (``knee_flexion_deg``, ``trunk_lean_deg``) could reach by moving each angle at most ``tolerance_deg``
    (i.e. a borderline lift also accepts its neighbouring class). A lift without labelled angles is never
    borderline.
    """
    truth = str(lift.get("technique"))
    angles = {f: float(v) for f, key in LABEL_ANGLES.items() if isinstance(v := lift.get(key), int | float)}
    if len(angles) < len(LABEL_ANGLES):
        return frozenset({truth})
    margins = class_margins(LABEL_TECHNIQUE, angles)
    return frozenset({truth} | {name for name, m in margins.items() if m["margin"] >= -tolerance_deg})


# ----------------------------------------------------------------------------------------------- scoring


def _time_of(frame: int, times: np.ndarray, fps: float) -> float:
    return float(times[frame]) if 0 <= frame < len(times) else frame / fps


def _nearest_rep(reps: Sequence[RepRecord], t_s: float) -> RepRecord | None:
    """The rep whose turning point is nearest ``t_s``, if within :data:`MATCH_S`."""
    best = min(reps, key=lambda r: abs(r.turn_s - t_s), default=None)
    return best if best is not None and abs(best.turn_s - t_s) <= MATCH_S else None


def _round(x: float | None, nd: int = 2) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def score_clip(
    label: dict[str, Any],
    reps: Sequence[RepRecord],
    times: np.ndarray,
    fps: float,
    technique: Technique | None,
    in_progress: dict[str, Any] | None = None,
    uncounted: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Compare one clip's detected reps with its labels.

    Args:
        label: the clip's entry in the labels file.
        reps: the detected reps.
        times: ``(T,)`` frame times of the analysed trace (s), to place labelled frames in time.
        fps: frame rate for labelled frames beyond the trace.
        technique: the template's technique classes (for the margins), or None.
        in_progress: the hold still going at the clip's end (``Engine.in_progress``), for a labelled hold
            that the clip cuts off.
        uncounted: holds that ended without being a rep (``Engine.uncounted_holds``: a hold the clip starts
            in), for such a labelled hold.

    Returns:
        A row: ``truth``, ``got``, ``scored`` (high or medium confidence with a rep count), ``exact``,
        ``within_one``; for lifts ``lifts`` (per labelled lift: truth, got, accepted labels, labelled and
        measured angles, margins), ``technique_total``, ``technique_strict``, ``technique_tolerant``; for
        labelled holds ``holds`` (per labelled rep or hold: truth and measured seconds, error, tolerance;
        for ``holds`` labels also the labelled and measured side); for labels with a side per hold ``sides``
        (``{side: {"truth", "got"}}``: complete holds labelled and reps counted per leg).
    """
    truth = label.get("reps")
    scored = label.get("confidence", "high") != "low" and isinstance(truth, int)
    got = len(reps)
    row: dict[str, Any] = {"truth": truth, "got": got, "scored": scored}
    row["exact"] = scored and got == truth
    row["within_one"] = scored and abs(got - int(truth)) <= 1
    lifts = []
    for lift in label.get("lifts") or []:
        rep = _nearest_rep(reps, _time_of(int(lift["bottom_frame"]), times, fps))
        is_rep = lift.get("rise_after", True) is not False and lift.get("technique") is not None
        accepted = accepted_techniques(lift)
        measured = dict(rep.peaks) if rep is not None else {}
        d: dict[str, Any] = {
            "bottom_frame": int(lift["bottom_frame"]),
            "truth": lift.get("technique"),
            "got": rep.technique if rep is not None else None,
            "not_judged": rep is not None and rep.technique is None,
            "scored": scored and is_rep,
            "borderline": len(accepted) > 1,
            "accepted": sorted(accepted),
            "label_knee_flexion": lift.get("knee_flexion_deg"),
            "label_trunk_lean": lift.get("trunk_lean_deg"),
            "knee_flexion": _round(measured.get("knee_flexion")),
            "trunk_incline": _round(measured.get("trunk_incline")),
        }
        d["strict"] = d["got"] == d["truth"]
        d["tolerant"] = d["got"] in accepted
        if technique is not None and rep is not None:
            d["margins"] = {
                name: {
                    "margin": _round(m["margin"], 3),
                    "by_feature": {k: _round(v, 3) for k, v in m["by_feature"].items()},
                }
                for name, m in class_margins(technique, measured).items()
            }
        lifts.append(d)
    if lifts:
        counted = [d for d in lifts if d["scored"]]
        row["lifts"] = lifts
        row["technique_total"] = len(counted)
        row["technique_strict"] = sum(d["strict"] for d in counted)
        row["technique_tolerant"] = sum(d["tolerant"] for d in counted)
    labelled_holds = label.get("top_hold_s") or []
    rep_frames = label.get("rep_frames") or []
    if labelled_holds and len(rep_frames) == len(labelled_holds):
        holds = []
        for frames, want in zip(rep_frames, labelled_holds, strict=True):
            t_top = _time_of(int(frames[1]), times, fps)
            inside = [r for r in reps if r.start_s <= t_top <= r.end_s]
            rep = inside[0] if inside else _nearest_rep(reps, t_top)
            have = rep.hold_s if rep is not None else None
            err = None if have is None else round(float(have) - float(want), 2)
            holds.append(
                {"truth_s": float(want), "got_s": have, "error_s": err, "tolerance_s": HOLD_TOLERANCE_S}
            )
        row["holds"] = holds
    if label.get("holds"):
        row["holds"] = [_score_hold(h, reps, times, fps, in_progress, uncounted) for h in label["holds"]]
        sides = sorted({str(h["side"]) for h in label["holds"] if h.get("side")})
        if sides:
            row["sides"] = {
                side: {
                    "truth": sum(h.get("side") == side and h.get("complete", True) for h in label["holds"]),
                    "got": sum(r.side == side for r in reps),
                }
                for side in sorted({*sides, *(r.side for r in reps if r.side)})
            }
    return row


def _score_hold(
    hold: dict[str, Any],
    reps: Sequence[RepRecord],
    times: np.ndarray,
    fps: float,
    in_progress: dict[str, Any] | None,
    uncounted: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """One labelled hold (``start_frame``, ``end_frame``, ``seconds``, ``side``, ``complete``) against the rep
    that overlaps it most in time; when no rep does, an uncounted hold that overlaps it (one the clip starts
    in), or the hold still going at the clip's end."""
    t0 = _time_of(int(hold["start_frame"]), times, fps)
    t1 = _time_of(int(hold["end_frame"]), times, fps)
    overlap = {id(r): min(t1, r.end_s) - max(t0, r.start_s) for r in reps}
    best = max(reps, key=lambda r: overlap[id(r)], default=None)
    have: float | None = None
    side: str | None = None
    source = "none"
    early = [u for u in uncounted if min(t1, float(u["end_s"])) > max(t0, float(u["start_s"]))]
    if best is not None and overlap[id(best)] > 0:
        have, side, source = best.hold_s, best.side, "rep"
    elif early:
        have, side, source = float(early[0]["hold_s"]), early[0].get("side"), "uncounted"
    elif in_progress is not None and float(in_progress.get("start_s", math.inf)) <= t1:
        have, side, source = float(in_progress["hold_s"]), in_progress.get("side"), "in progress"
    want = float(hold["seconds"])
    return {
        "truth_s": want,
        "got_s": have,
        "error_s": None if have is None else round(float(have) - want, 2),
        "tolerance_s": HOLDS_TOLERANCE_S,
        "complete": hold.get("complete", True) is not False,
        "side": hold.get("side"),
        "got_side": side,
        "from": source,
    }


def score_postures(label: dict[str, Any], postures: Sequence[str], fps: float) -> dict[str, Any]:
    """Compare a monitor's per-frame postures with a clip's labelled ``segments`` (or a photo's ``posture``).

    Args:
        label: the clip's entry in the labels file: ``segments`` ``[{"frames": [first, last], "posture"}]``
            (``transition`` frames are not scored), or one ``posture`` for a photo.
        postures: the posture of every analysed frame.
        fps: frames per second, to give the labelled time in seconds.

    Returns:
        A row: ``view`` (the labelled camera view), ``scored`` (not low confidence), ``photo``,
        ``labelled_frames``, ``right_frames``, ``labelled_s``, ``right_s``, ``share`` (0..1, None when
        nothing was labelled), ``ok`` (share at least :data:`POSTURE_TARGET`), ``confusions``
        ``{"label>got": frames}``; for a photo also ``truth`` and ``got``.
    """
    segments = label.get("segments")
    if not segments and label.get("posture"):
        segments = [{"frames": [0, 0], "posture": label["posture"]}]
    right = total = 0
    confusions: dict[str, int] = {}
    for seg in segments or []:
        if seg.get("posture") == "transition":
            continue
        first, last = (int(f) for f in seg["frames"])
        for f in range(first, last + 1):
            got = postures[f] if 0 <= f < len(postures) else "away"
            total += 1
            if got == seg["posture"]:
                right += 1
            else:
                key = f"{seg['posture']}>{got}"
                confusions[key] = confusions.get(key, 0) + 1
    share = right / total if total else None
    row: dict[str, Any] = {
        "view": label.get("view"),
        "scored": label.get("confidence", "high") != "low" and total > 0,
        "photo": not label.get("segments"),
        "labelled_frames": total,
        "right_frames": right,
        "labelled_s": round(total / fps, 2),
        "right_s": round(right / fps, 2),
        "share": None if share is None else round(share, 4),
        "ok": share is not None and share >= POSTURE_TARGET,
        "confusions": dict(sorted(confusions.items(), key=lambda kv: -kv[1])),
    }
    if row["photo"]:
        row["truth"] = label.get("posture")
        row["got"] = postures[0] if postures else "away"
    return row


def summarize_postures(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per monitor and per view (``all``, ``front``, ``side``, ``oblique``) over the scored recordings:
    labelled and right seconds of the videos (``share``: labelled time right), videos at or above
    :data:`POSTURE_TARGET`, and photos right."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if "skipped" in r or not r.get("scored") or "share" not in r:
            continue
        for view in ("all", str(r.get("view"))):
            v = out.setdefault(r["exercise"], {}).setdefault(view, dict.fromkeys(POSTURE_COUNTS, 0))
            if r["photo"]:
                v["photos"] += 1
                v["photos_ok"] += int(r["ok"])
            else:
                v["videos"] += 1
                v["videos_ok"] += int(r["ok"])
                v["labelled_s"] += r["labelled_s"]
                v["right_s"] += r["right_s"]
    for views in out.values():
        for v in views.values():
            v["labelled_s"], v["right_s"] = round(v["labelled_s"], 2), round(v["right_s"], 2)
            v["share"] = round(v["right_s"] / v["labelled_s"], 4) if v["labelled_s"] else None
    return out


def _empty_summary() -> dict[str, Any]:
    return {
        "clips": 0,
        "scored": 0,
        "exact": 0,
        "within_one": 0,
        "technique_total": 0,
        "technique_strict": 0,
        "technique_tolerant": 0,
        "borderline": 0,
        "clear_total": 0,
        "clear_strict": 0,
        "not_judged": 0,
    }


def summarize(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per exercise: counts, technique, margins and holds over the given (not skipped) clip rows.

    Technique: strict and tolerant over all scored lifts, strict over the clear (not borderline) ones
    (``clear_strict`` of ``clear_total``), and ``not_judged``: lifts whose rep was found but whose technique
    the engine declined to read (the trunk seen end-on).

    Margins: for each class, over the scored lifts labelled with it and matched to a rep, the smallest
    measured margin to that class (``min_margin``, with the clip and frame where it occurs) and the smallest
    per feature (``by_feature``). Holds: labelled reps with a matched rep (``n``), mean and largest absolute
    error (s), how many within :data:`HOLD_TOLERANCE_S`, and labelled reps with no rep found (``missing``).
    """
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if "skipped" in r or "share" in r:  # posture rows: summarize_postures
            continue
        s = out.setdefault(r["exercise"], _empty_summary())
        s["clips"] += 1
        if not r["scored"]:
            continue
        s["scored"] += 1
        s["exact"] += int(r["exact"])
        s["within_one"] += int(r["within_one"])
        for key in ("technique_total", "technique_strict", "technique_tolerant"):
            s[key] += r.get(key, 0)
        for d in r.get("lifts", []):
            if not d["scored"]:
                continue
            s["borderline"] += int(d["borderline"])
            s["clear_total"] += int(not d["borderline"])
            s["clear_strict"] += int(not d["borderline"] and d.get("strict", False))
            s["not_judged"] += int(d.get("not_judged", False))
            m = (d.get("margins") or {}).get(d["truth"])
            if m is None or m["margin"] is None:
                continue
            cls = s.setdefault("margins", {}).setdefault(d["truth"], {"lifts": 0, "min_margin": None})
            cls["lifts"] += 1
            if cls["min_margin"] is None or m["margin"] < cls["min_margin"]:
                cls.update(min_margin=m["margin"], at={"file": r["file"], "bottom_frame": d["bottom_frame"]})
            feats = cls.setdefault("by_feature", {})
            for f, v in m["by_feature"].items():
                if v is not None and (feats.get(f) is None or v < feats[f]):
                    feats[f] = v
        measured = [x for x in r.get("holds", []) if x["error_s"] is not None]
        missing = sum(x["error_s"] is None for x in r.get("holds", []))
        if measured or missing:
            h = s.setdefault("holds", {"n": 0, "missing": 0, "abs_errors": [], "tolerances": []})
            h["n"] += len(measured)
            h["missing"] += missing
            h["abs_errors"].extend(abs(x["error_s"]) for x in measured)
            h["tolerances"].extend(x.get("tolerance_s", HOLD_TOLERANCE_S) for x in measured)
            h["side_wrong"] = h.get("side_wrong", 0) + sum(
                x.get("side") is not None and x.get("got_side") != x["side"] for x in measured
            )
        for side, c in r.get("sides", {}).items():
            d = s.setdefault("sides", {}).setdefault(side, {"truth": 0, "got": 0})
            d["truth"] += c["truth"]
            d["got"] += c["got"]
    for s in out.values():
        h = s.get("holds")
        if h is not None:
            errs, tols = h.pop("abs_errors"), h.pop("tolerances")
            h["mean_abs_error_s"] = round(float(np.mean(errs)), 2) if errs else None
            h["max_abs_error_s"] = round(float(np.max(errs)), 2) if errs else None
            h["within_tolerance"] = sum(e <= tol + 1e-9 for e, tol in zip(errs, tols, strict=True))
            h["tolerance_s"] = max(tols, default=HOLD_TOLERANCE_S)
    return out


# -------------------------------------------------------------------------------------------- the runner


def evaluate_labels(
    labels: Path,
    *,
    model: str = "full",
    traces: Path | None = None,
    split: str = "all",
    split_file: Path | None = None,
    min_pose_fps: float | None = None,
) -> dict[str, Any]:
    """Analyse every labelled clip of the chosen part(s) and compare with the labels.

    Args:
        labels: the labels file.
        model: pose model for clips analysed from video.
        traces: a folder of saved pose traces (``<clip stem>.npz``) to use instead of running the model.
        split: ``dev``, ``check`` or ``all`` (both parts, summed separately).
        split_file: the split (default: :func:`default_split_file`); without one every clip is ``dev``.
        min_pose_fps: for clips analysed from video, the pose model's least frame rate (default: that of
            :func:`formcheck.analysis.analyze.analyze_video`; 0: every frame).

    Returns:
        ``{"labels", "split", "split_file", "clips": [row per clip], "parts": {part: {exercise: summary}}}``;
        each row has ``file``, ``exercise``, ``part`` and either ``skipped`` (the reason) or the fields of
        :func:`score_clip`.

    Raises:
        EvaluationError: the labels or split file cannot be used, or ``split`` is unknown.
    """
    from formcheck.analysis.analyze import analyze_trace, analyze_video
    from formcheck.core.templates import available, load_template
    from formcheck.pose.pipeline import PoseTrace

    if split not in (*PARTS, "all"):
        raise EvaluationError(f"unknown split '{split}' (expected dev, check or all)")
    clips = read_labels(labels)
    split_file = split_file if split_file is not None else default_split_file(labels)
    check = read_split(split_file) if split_file is not None else frozenset()
    known = set(available())
    monitors = set(available("monitor"))
    rows: list[dict[str, Any]] = []
    for c in clips:
        part = "check" if c["file"] in check else "dev"
        if split != "all" and part != split:
            continue
        name = str(c.get("exercise", "")).replace("-", "_")
        row: dict[str, Any] = {"file": c["file"], "exercise": name, "part": part, "truth": c.get("reps")}
        row["confidence"] = c.get("confidence", "high")
        rows.append(row)
        if name in monitors:
            row.update(_evaluate_monitor(labels, c, name, model, traces))
            continue
        if name not in known:
            row["skipped"] = f"no template for '{name}'"
            continue
        template = load_template(name)
        stem = Path(str(c["file"])).stem
        if traces is not None:
            path = Path(traces) / f"{stem}.npz"
            if not path.is_file():
                row["skipped"] = f"no trace {path}"
                continue
            analysis = analyze_trace(PoseTrace.load(str(path)), template, source=stem)
        else:
            rate = {} if min_pose_fps is None else {"min_pose_fps": min_pose_fps}
            analysis = analyze_video(Path(labels).parent / c["file"], template, model=model, **rate)
        fps = float(c.get("fps") or analysis.trace.fps)
        row.update(
            score_clip(
                c,
                analysis.reps,
                analysis.trace.times,
                fps,
                template.technique,
                analysis.engine.in_progress(),
                analysis.engine.uncounted_holds,
            )
        )
    parts = {p: summarize(r for r in rows if r["part"] == p) for p in PARTS if split in ("all", p)}
    postures = {p: summarize_postures(r for r in rows if r["part"] == p) for p in parts}
    return {
        "labels": str(labels),
        "split": split,
        "split_file": None if split_file is None else str(split_file),
        "clips": rows,
        "parts": parts,
        "postures": postures,
    }


def _evaluate_monitor(
    labels: Path, clip: dict[str, Any], name: str, model: str, traces: Path | None
) -> dict[str, Any]:
    """Run a posture monitor over one labelled clip (from its trace or the video) and score its segments."""
    from formcheck.analysis.posture import analyze_posture_trace, analyze_posture_video
    from formcheck.core.posture_template import load_monitor
    from formcheck.pose.pipeline import PoseTrace

    template = load_monitor(name)
    stem = Path(str(clip["file"])).stem
    if traces is not None:
        path = Path(traces) / f"{stem}.npz"
        if not path.is_file():
            return {"skipped": f"no trace {path}"}
        analysis = analyze_posture_trace(PoseTrace.load(str(path)), template, source=stem)
    else:
        analysis = analyze_posture_video(Path(labels).parent / clip["file"], template, model=model)
    fps = float(clip.get("fps") or analysis.trace.fps)
    return score_postures(clip, analysis.postures(), fps)


# ---------------------------------------------------------------------------------------------- the text


PART_TITLES = {"dev": "dev (the templates were tuned on these)", "check": "check (held out, never tuned on)"}


def _pct(k: int, n: int) -> str:
    return f"{k}/{n}" + (f" ({100 * k / n:.0f} %)" if n else "")


def _posture_line(r: dict[str, Any]) -> str:
    mark = "not scored" if not r["scored"] else ("ok" if r["ok"] else "MISS")
    wrong = ", ".join(f"{k} {v}" for k, v in list(r["confusions"].items())[:3])
    if r["photo"]:
        what = f"photo {r['truth']} -> {r['got']}"
    else:
        share = "-" if r["share"] is None else f"{100 * r['share']:.1f} %"
        what = f"right {share} of {r['labelled_s']:.1f} s"
    return f"  {r['file']:56s} {r['exercise']:17s} {r['view'] or '?':7s} {what:34s} {mark}" + (
        f"  (wrong frames: {wrong})" if wrong and not r["photo"] else ""
    )


def _posture_summary_lines(exercise: str, views: dict[str, Any]) -> list[str]:
    lines = []
    for view in ("all", "front", "side", "oblique"):
        v = views.get(view)
        if v is None:
            continue
        share = "-" if v["share"] is None else f"{100 * v['share']:.1f} %"
        lines.append(
            f"  {exercise:8s} {view:7s} videos: labelled time right {share} of {v['labelled_s']:.1f} s, "
            f"{v['videos_ok']}/{v['videos']} at >= {100 * POSTURE_TARGET:.0f} %; photos right "
            f"{_pct(v['photos_ok'], v['photos'])}"
        )
    return lines


def _clip_line(r: dict[str, Any]) -> str:
    if "skipped" in r:
        return f"  {r['file']:56s} {r['exercise']:17s} skipped: {r['skipped']}"
    if "share" in r:
        return _posture_line(r)
    mark = "not scored" if not r["scored"] else ("ok" if r["exact"] else "MISS")
    extra = ""
    if r.get("technique_total"):
        extra += f"  technique {r['technique_strict']}/{r['technique_total']}"
        extra += f" (tolerant {r['technique_tolerant']})"
    if r.get("sides"):
        extra += "  per leg " + ", ".join(f"{k} {v['got']}/{v['truth']}" for k, v in r["sides"].items())
    if r.get("holds"):
        errs = [_hold_text(h) for h in r["holds"]]
        extra += "  hold error " + ", ".join(errs)
    return f"  {r['file']:56s} {r['exercise']:17s} {r['truth']!s:>5s} {r['got']:>4d}  {mark:10s}{extra}"


def _hold_text(h: dict[str, Any]) -> str:
    """One hold's error for the clip line: ``+0.2 s``, with the held and labelled seconds for the hold
    exercises and a note when the label's hold is cut by the clip or the leg differs."""
    if h["error_s"] is None:
        return "no rep"
    if "from" not in h:
        return f"{h['error_s']:+.1f} s"
    notes = [] if h["complete"] else ["cut by the clip"]
    if h.get("side") is not None and h.get("got_side") != h["side"]:
        notes.append(f"leg {h.get('got_side')}, labelled {h['side']}")
    note = f" ({'; '.join(notes)})" if notes else ""
    return f"{h['error_s']:+.1f} s [{h['got_s']:.1f} of {h['truth_s']:.1f}]{note}"


def _summary_lines(exercise: str, s: dict[str, Any]) -> list[str]:
    n = s["scored"]
    lines = [
        f"  {exercise:8s} {n} of {s['clips']} clips scored; counts exact {_pct(s['exact'], n)}, "
        f"within one {_pct(s['within_one'], n)}"
    ]
    if s["technique_total"]:
        t = s["technique_total"]
        lines.append(
            f"  {'':8s} technique strict {_pct(s['technique_strict'], t)}, tolerant of borderline "
            f"{_pct(s['technique_tolerant'], t)} ({s['borderline']} borderline lifts); clear lifts strict "
            f"{_pct(s['clear_strict'], s['clear_total'])}; not judged (trunk seen end-on) {s['not_judged']}"
        )
    for cls, m in sorted(s.get("margins", {}).items()):
        feats = ", ".join(f"{f} {v:+.3g}" for f, v in m.get("by_feature", {}).items())
        at = m.get("at", {})
        lines.append(
            f"  {'':8s} margin {cls}: smallest {m['min_margin']:+.3g} over {m['lifts']} lifts "
            f"({at.get('file', '?')} frame {at.get('bottom_frame', '?')})"
            + (f"; per feature {feats}" if feats else "")
        )
    h = s.get("holds")
    if h is not None:
        mean = "-" if h["mean_abs_error_s"] is None else f"{h['mean_abs_error_s']:.2f} s"
        worst = "-" if h["max_abs_error_s"] is None else f"{h['max_abs_error_s']:.2f} s"
        lines.append(
            f"  {'':8s} holds: {h['n']} reps, mean |error| {mean}, max {worst}, "
            f"within {h['tolerance_s']} s {_pct(h['within_tolerance'], h['n'])}, no rep found {h['missing']}"
            + (f", on the wrong leg {h['side_wrong']}" if "side_wrong" in h and s.get("sides") else "")
        )
    if s.get("sides"):
        lines.append(
            f"  {'':8s} per leg (counted/labelled): "
            + ", ".join(f"{k} {v['got']}/{v['truth']}" for k, v in s["sides"].items())
        )
    return lines


def format_report(report: dict[str, Any]) -> str:
    """Human-readable report: per part, one line per clip (clips of exercises without a template as one line),
    then the per-exercise summary lines."""
    lines = [
        f"labels {report['labels']}; split {report['split']} ({report['split_file'] or 'no split file'})"
    ]
    for part, summary in report["parts"].items():
        rows = [r for r in report["clips"] if r["part"] == part]
        lines.append("")
        lines.append(f"== {PART_TITLES[part]}: {len(rows)} clips ==")
        lines.append(f"  {'clip':56s} {'exercise':17s} {'truth':>5s} {'got':>4s}")
        untemplated: dict[str, int] = {}
        for r in rows:
            if str(r.get("skipped", "")).startswith("no template"):
                untemplated[r["exercise"]] = untemplated.get(r["exercise"], 0) + 1
            else:
                lines.append(_clip_line(r))
        if untemplated:
            lines.append(
                "  not evaluated (no template): "
                + ", ".join(f"{name or '?'} {n} clips" for name, n in sorted(untemplated.items()))
            )
        lines.append("  per exercise:")
        for exercise in sorted(summary):
            lines.extend(_summary_lines(exercise, summary[exercise]))
        for exercise, views in sorted(report.get("postures", {}).get(part, {}).items()):
            lines.extend(_posture_summary_lines(exercise, views))
    return "\n".join(lines)
