"""Regression floors on the committed real traces: the evaluation must not get worse than it was.

These are NOT a measure of accuracy on new people. The ``dev`` figures are on the very clips the templates
were tuned on; the ``check`` figures are on clips held out while tuning (tests/data/split.json), but still
few and from few people and cameras. The floors below only stop a change from silently making the engine
worse on this data; accuracy on unseen recordings is measured separately (docs/accuracy.md, issue 6).

The traces (tests/data/traces/*.npz) are what the real pose model measured on each clip of
tests/data/labels.json (a copy of the hand labels in ../shared/clips); `make fixtures` regenerates them.
The fault tests (rounded back, hips first) use the kettlebell lifter's four conditions (tby66_*).
"""

from __future__ import annotations

import json

import pytest
from conftest import DATA

from formcheck.analysis.evaluate import PARTS, evaluate_labels
from formcheck.core.templates import available

LABELS = DATA / "labels.json"
TRACES = DATA / "traces"

#: The floors, per part and exercise: the least share (0..1) of scored clips with the rep count exact
#: (``exact``) and within one (``within_one``), of scored lifts with the technique right strictly
#: (``technique``) and tolerant of borderline lifts (``technique_tolerant``), and of labelled holds measured
#: within 0.5 s (``hold``, a labelled rep with no rep found counts as wrong; 1 s for the hold exercises of
#: issue 8, labelled with ``holds``). Set from what the engine gets on the traces of 2026-11-30 (counting by
#: movement, commit of this comment), rounded down a little. The hold exercises have few clips: knee-to-chest
#: and hamstring stretch one each (dev only), plank three dev and two check; a floor of 1.0 there is one
#: clip, not a rate.
FLOORS: dict[str, dict[str, dict[str, float]]] = {
    "dev": {
        "bridge": {"exact": 1.0, "within_one": 1.0, "hold": 0.77},  # 6/6, 6/6, 7/9
        "cat_cow": {"exact": 1.0, "within_one": 1.0},  # 4/4, 4/4
        "lifting": {"exact": 1.0, "within_one": 1.0, "technique": 0.85, "technique_tolerant": 0.98},
        "knee_to_chest": {"exact": 1.0, "hold": 1.0},  # 1/1 (two left-leg holds), 2/2
        "hamstring_stretch": {"exact": 1.0, "hold": 1.0},  # 1/1, 1/1
        "plank": {"exact": 1.0, "hold": 0.75},  # 3/3, 3/4 (the miss: a hold whose body leaves the picture)
    },  # lifting: 16/16, 16/16, 48/56, 55/56
    "check": {
        "bridge": {"exact": 1.0, "within_one": 1.0, "hold": 1.0},  # 3/3, 3/3, 9/9
        "cat_cow": {"exact": 1.0, "within_one": 1.0},  # 3/3, 3/3
        "plank": {"exact": 1.0, "hold": 0.5},  # 2/2, 1/2 (missed: +1.4 s, stepped in one leg at a time)
        "lifting": {"exact": 0.92, "within_one": 1.0, "technique": 0.70, "technique_tolerant": 0.94},
    },  # lifting: 12/13, 13/13, 24/34, 32/34
}


@pytest.fixture(scope="module")
def report() -> dict:
    return evaluate_labels(LABELS, traces=TRACES, split_file=DATA / "split.json")


def share(summary: dict, figure: str) -> tuple[int, int]:
    """``(right, out of)`` for a figure of an exercise summary."""
    if figure in ("exact", "within_one"):
        return summary[figure], summary["scored"]
    if figure == "technique":
        return summary["technique_strict"], summary["technique_total"]
    if figure == "technique_tolerant":
        return summary["technique_tolerant"], summary["technique_total"]
    if figure == "hold":
        h = summary.get("holds") or {"within_tolerance": 0, "n": 0, "missing": 0}
        return h["within_tolerance"], h["n"] + h["missing"]
    raise KeyError(figure)


@pytest.mark.parametrize(
    ("part", "exercise", "figure"),
    [
        pytest.param(p, e, f, id=f"{p}-{e}-{f}")
        for p, by_exercise in FLOORS.items()
        for e, figures in by_exercise.items()
        for f in figures
    ],
)
def test_figure_does_not_fall_below_its_floor(report: dict, part: str, exercise: str, figure: str) -> None:
    summary = report["parts"][part].get(exercise)
    assert summary is not None, f"no {exercise} clip evaluated in the {part} part"
    right, total = share(summary, figure)
    assert total > 0, f"{part} {exercise}: nothing to score for {figure}"
    floor = FLOORS[part][exercise][figure]
    assert right / total >= floor - 1e-9, f"{part} {exercise} {figure}: {right}/{total}, floor {floor:.2f}"


def scorable(part: str) -> set[str]:
    """Exercises with a template and at least one labelled clip in ``part`` that can be scored (confidence
    not low). The pelvic tilt has one clip, labelled low: it is reported per clip, never scored, and its
    count has its own regression test (test_pelvic_tilt.py)."""
    check = set(json.loads((DATA / "split.json").read_text(encoding="utf-8"))["check"])
    out = set()
    for c in json.loads(LABELS.read_text(encoding="utf-8"))["clips"]:
        in_part = ("check" if c["file"] in check else "dev") == part
        if in_part and c.get("confidence", "high") != "low" and isinstance(c.get("reps"), int):
            out.add(str(c.get("exercise", "")).replace("-", "_"))
    return out & set(available())


def test_floors_cover_every_scorable_exercise_in_both_parts() -> None:
    assert set(FLOORS) == set(PARTS)
    for part in PARTS:
        assert set(FLOORS[part]) == scorable(part), part


def test_both_parts_score_every_scorable_exercise(report: dict) -> None:
    for part in PARTS:
        scored = {e for e, s in report["parts"][part].items() if s["scored"] > 0}
        assert scored == scorable(part), f"{part}: scored {sorted(scored)}"
    assert {"bridge", "cat_cow", "lifting"} <= scorable("dev") & scorable("check")


def test_held_out_clips_are_labelled_clips() -> None:
    files = {c["file"] for c in json.loads(LABELS.read_text(encoding="utf-8"))["clips"]}
    check = set(json.loads((DATA / "split.json").read_text(encoding="utf-8"))["check"])
    assert check <= files, sorted(check - files)


def test_posture_clips_are_scored_by_the_monitor(report: dict) -> None:
    """The desk-posture clips are evaluated by time share (their floors: tests/test_posture_analysis.py)."""
    rows = [r for r in report["clips"] if r["exercise"] == "desk_posture"]
    assert rows and all("skipped" not in r and "share" in r for r in rows)
    assert set(report["postures"]["dev"]) == set(report["postures"]["check"]) == {"desk_posture"}


# ----------------------------------------------------------------------------------------------- faults


def _fault_share(code: str, stems: tuple[str, ...]) -> dict[str, float]:
    """Share of each lifting clip's reps that carry fault ``code``."""
    from formcheck.analysis.analyze import analyze_trace
    from formcheck.core.templates import load_template
    from formcheck.pose.pipeline import PoseTrace

    lifting = load_template("lifting")
    out = {}
    for stem in stems:
        reps = analyze_trace(PoseTrace.load(str(TRACES / f"{stem}.npz")), lifting).reps
        assert reps, f"{stem}: no rep found"
        out[stem] = sum(code in r.faults for r in reps) / len(reps)
    return out


def test_rounded_back_flagged_on_the_rounded_back_clip_only() -> None:
    share = _fault_share("rounded_back", ("tby66_0016c_1", "tby66_0016k_1", "tby66_0016r_1"))
    assert share["tby66_0016r_1"] >= 0.8, share
    assert share["tby66_0016c_1"] <= 0.2 and share["tby66_0016k_1"] <= 0.2, share


def test_hips_first_flagged_on_the_hips_first_clip_only() -> None:
    share = _fault_share("hips_first", ("tby66_0016c_1", "tby66_0016h_1", "tby66_0016k_1"))
    assert share["tby66_0016h_1"] >= 0.8, share
    assert share["tby66_0016c_1"] <= 0.2 and share["tby66_0016k_1"] <= 0.2, share


def test_rounded_back_is_marked_over_every_rounded_rep_in_the_video() -> None:
    """The annotated video (offline) marks the rounded rep's shoulder and hip over the whole rep; the live
    cue itself is tested on the live path in test_live_offline.py."""
    from formcheck.analysis.analyze import analyze_trace, fault_joints_by_frame
    from formcheck.core.templates import load_template
    from formcheck.pose.pipeline import PoseTrace

    a = analyze_trace(PoseTrace.load(str(TRACES / "tby66_0016r_1.npz")), load_template("lifting"))
    marks = fault_joints_by_frame(a)
    times = a.trace.times
    inside = [marks[int(abs(times - r.turn_s).argmin())] for r in a.reps]
    assert inside and all({"shoulder", "hip"} <= m for m in inside), inside
    assert not marks[0]  # standing still before the first lift
