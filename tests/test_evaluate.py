"""Scoring against hand labels (formcheck.analysis.evaluate): counts, technique strict and tolerant, margins,
holds, and the dev/check split. Pure scoring is tested on made-up reps; the runner on a small labels file
over the committed traces."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA

from formcheck.analysis.evaluate import (
    MATCH_S,
    EvaluationError,
    accepted_techniques,
    band_margin,
    class_margins,
    default_split_file,
    evaluate_labels,
    format_report,
    read_split,
    score_clip,
    summarize,
)
from formcheck.core.templates import Band, Technique, TechniqueClass

TECHNIQUE = Technique(
    classes=(
        TechniqueClass("squat", (Band("knee_flexion", 60.0, 180.0), Band("trunk_incline", 0.0, 50.0))),
        TechniqueClass("stoop", (Band("knee_flexion", -10.0, 30.0), Band("trunk_incline", 60.0, 180.0))),
    ),
    default="semi-squat",
)


@dataclass(frozen=True)
class Rep:
    """The fields of a detected rep that scoring reads."""

    turn_s: float
    technique: str | None = None
    peaks: dict[str, float] = field(default_factory=dict)
    start_s: float = math.nan
    end_s: float = math.nan
    hold_s: float | None = None


TIMES = np.arange(600) / 30.0


# ----------------------------------------------------------------------------------------------- margins


def test_band_margin_is_positive_inside_and_negative_outside() -> None:
    band = Band("knee_flexion", 60.0, 180.0)
    assert band_margin(band, 75.0) == pytest.approx(15.0)
    assert band_margin(band, 52.0) == pytest.approx(-8.0)
    assert math.isnan(band_margin(band, math.nan))


def test_band_edges_at_the_natural_range_are_not_boundaries() -> None:
    # a trunk at 3 degrees is deep in "trunk <= 50", not 3 degrees from leaving it
    assert band_margin(Band("trunk_incline", 0.0, 50.0), 3.0) == pytest.approx(47.0)
    assert band_margin(Band("knee_flexion", -10.0, 30.0), 2.0) == pytest.approx(28.0)
    assert band_margin(Band("hip_angle", 0.0, 50.0), 3.0) == pytest.approx(3.0)  # no natural range known


def test_class_margins_of_a_squat() -> None:
    m = class_margins(TECHNIQUE, {"knee_flexion": 85.0, "trunk_incline": 47.0})
    assert m["squat"]["margin"] == pytest.approx(3.0)
    assert m["squat"]["by_feature"] == pytest.approx({"knee_flexion": 25.0, "trunk_incline": 3.0})
    assert m["stoop"]["margin"] < 0
    assert m["semi-squat"]["margin"] == pytest.approx(-3.0)  # inside squat: 3 degrees from semi-squat


def test_class_margins_of_a_semi_squat_are_its_distance_to_the_nearest_class() -> None:
    m = class_margins(TECHNIQUE, {"knee_flexion": 45.0, "trunk_incline": 55.0})
    assert m["squat"]["margin"] == pytest.approx(-15.0)
    assert m["stoop"]["margin"] == pytest.approx(-15.0)
    assert m["semi-squat"]["margin"] == pytest.approx(15.0)


def test_missing_measurement_gives_nan_margins() -> None:
    m = class_margins(TECHNIQUE, {"knee_flexion": 85.0})
    assert math.isnan(m["squat"]["margin"])


# -------------------------------------------------------------------------------------------- borderline


@pytest.mark.parametrize(
    ("lift", "accepted"),
    [
        ({"technique": "squat", "knee_flexion_deg": 95, "trunk_lean_deg": 30}, {"squat"}),
        ({"technique": "squat", "knee_flexion_deg": 85, "trunk_lean_deg": 50}, {"squat", "semi-squat"}),
        ({"technique": "semi-squat", "knee_flexion_deg": 35, "trunk_lean_deg": 65}, {"semi-squat", "stoop"}),
        ({"technique": "semi-squat", "knee_flexion_deg": 45, "trunk_lean_deg": 55}, {"semi-squat"}),
        ({"technique": "stoop", "knee_flexion_deg": 10, "trunk_lean_deg": 80}, {"stoop"}),
        ({"technique": "squat"}, {"squat"}),  # no angles: never borderline
    ],
    ids=["clear-squat", "squat-at-trunk-edge", "semi-near-stoop", "clear-semi", "clear-stoop", "no-angles"],
)
def test_accepted_techniques(lift: dict, accepted: set[str]) -> None:
    assert accepted_techniques(lift) == accepted


# ---------------------------------------------------------------------------------------------- scoring


def test_counts_exact_and_within_one() -> None:
    label = {"reps": 3, "confidence": "high"}
    assert score_clip(label, [Rep(1.0), Rep(5.0), Rep(9.0)], TIMES, 30.0, None)["exact"]
    row = score_clip(label, [Rep(1.0), Rep(5.0)], TIMES, 30.0, None)
    assert (row["exact"], row["within_one"], row["got"]) == (False, True, 2)
    assert not score_clip(label, [Rep(1.0)], TIMES, 30.0, None)["within_one"]


def test_low_confidence_is_not_scored() -> None:
    row = score_clip({"reps": 2, "confidence": "low"}, [Rep(1.0), Rep(5.0)], TIMES, 30.0, None)
    assert not row["scored"] and not row["exact"]


def test_lifts_match_the_nearest_rep_and_carry_measured_angles_and_margins() -> None:
    label = {
        "reps": 2,
        "lifts": [
            {"bottom_frame": 60, "technique": "squat", "knee_flexion_deg": 90, "trunk_lean_deg": 40},
            {"bottom_frame": 300, "technique": "stoop", "knee_flexion_deg": 10, "trunk_lean_deg": 80},
            {"bottom_frame": 540, "technique": "stoop", "rise_after": False},
        ],
    }
    reps = [
        Rep(2.2, "squat", {"knee_flexion": 70.0, "trunk_incline": 45.0}),
        Rep(10.0 + MATCH_S / 2, "semi-squat", {"knee_flexion": 33.0, "trunk_incline": 70.0}),
    ]
    row = score_clip(label, reps, TIMES, 30.0, TECHNIQUE)
    first, second, third = row["lifts"]
    assert (first["got"], first["strict"], first["knee_flexion"]) == ("squat", True, 70.0)
    assert first["margins"]["squat"]["margin"] == pytest.approx(5.0)
    assert (second["got"], second["strict"], second["tolerant"]) == ("semi-squat", False, False)
    assert second["margins"]["stoop"]["margin"] == pytest.approx(-3.0)
    assert third["got"] is None and not third["scored"]  # no rise after it: not a rep, not scored
    assert (row["technique_total"], row["technique_strict"], row["technique_tolerant"]) == (2, 1, 1)


def test_a_lift_too_far_from_any_rep_is_wrong() -> None:
    label = {"reps": 1, "lifts": [{"bottom_frame": 60, "technique": "squat"}]}
    row = score_clip(label, [Rep(2.0 + MATCH_S + 0.1, "squat")], TIMES, 30.0, TECHNIQUE)
    assert row["lifts"][0]["got"] is None and row["technique_strict"] == 0


def test_borderline_lift_read_as_its_neighbour_is_right_when_tolerant() -> None:
    label = {
        "reps": 1,
        "lifts": [{"bottom_frame": 60, "technique": "squat", "knee_flexion_deg": 85, "trunk_lean_deg": 50}],
    }
    row = score_clip(label, [Rep(2.0, "semi-squat")], TIMES, 30.0, TECHNIQUE)
    assert (row["technique_strict"], row["technique_tolerant"]) == (0, 1)
    assert row["lifts"][0]["borderline"]


def test_hold_error_per_labelled_rep() -> None:
    label = {"reps": 2, "rep_frames": [[30, 60, 90], [300, 330, 360]], "top_hold_s": [2.0, 3.0]}
    reps = [Rep(2.0, start_s=1.0, end_s=3.0, hold_s=1.6), Rep(11.0, start_s=10.0, end_s=12.0, hold_s=3.2)]
    row = score_clip(label, reps, TIMES, 30.0, None)
    assert [h["error_s"] for h in row["holds"]] == pytest.approx([-0.4, 0.2])
    row = score_clip(label, reps[:1], TIMES, 30.0, None)
    assert row["holds"][1]["got_s"] is None and row["holds"][1]["error_s"] is None


# -------------------------------------------------------------------------------------------- summaries


def _row(file: str, exercise: str, **fields: object) -> dict:
    base = {"file": file, "exercise": exercise, "part": "dev", "scored": True, "exact": True}
    return {**base, "within_one": True, **fields}


def test_summary_per_exercise_counts_margins_and_holds() -> None:
    lift = {"scored": True, "borderline": False, "bottom_frame": 10, "truth": "squat"}
    rows = [
        _row(
            "a",
            "lifting",
            exact=False,
            technique_total=2,
            technique_strict=1,
            technique_tolerant=2,
            lifts=[
                {**lift, "margins": {"squat": {"margin": 4.0, "by_feature": {"knee_flexion": 9.0}}}},
                {
                    **lift,
                    "bottom_frame": 20,
                    "margins": {"squat": {"margin": -2.0, "by_feature": {"knee_flexion": 12.0}}},
                },
            ],
        ),
        _row("b", "lifting", technique_total=0, technique_strict=0, technique_tolerant=0),
        _row("c", "bridge", holds=[{"error_s": -0.3}, {"error_s": 0.9}, {"error_s": None}]),
        _row("d", "bridge", scored=False, exact=False, within_one=False),
        {"file": "e", "exercise": "desk_posture", "part": "dev", "skipped": "no template"},
    ]
    s = summarize(rows)
    assert set(s) == {"lifting", "bridge"}
    assert (s["lifting"]["clips"], s["lifting"]["scored"], s["lifting"]["exact"]) == (2, 2, 1)
    assert (s["lifting"]["technique_strict"], s["lifting"]["technique_tolerant"]) == (1, 2)
    sq = s["lifting"]["margins"]["squat"]
    assert sq["min_margin"] == -2.0 and sq["at"] == {"file": "a", "bottom_frame": 20} and sq["lifts"] == 2
    assert sq["by_feature"] == {"knee_flexion": 9.0}
    assert (s["bridge"]["clips"], s["bridge"]["scored"]) == (2, 1)
    h = s["bridge"]["holds"]
    assert (h["n"], h["missing"], h["within_tolerance"]) == (2, 1, 1)
    assert h["mean_abs_error_s"] == pytest.approx(0.6) and h["max_abs_error_s"] == pytest.approx(0.9)


# ------------------------------------------------------------------------------------- the runner, split


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A labels file with one bridge and two lifting clips, and a split holding one lifting clip out."""
    folder = tmp_path_factory.mktemp("labels")
    wanted = ("bridge/physioplus_bridging.mp4", "lifting/tby66_0016c_1.mp4", "lifting/tby66_0016r_1.mp4")
    doc = json.loads((DATA / "labels.json").read_text(encoding="utf-8"))
    doc["clips"] = [c for c in doc["clips"] if c["file"] in wanted]
    assert len(doc["clips"]) == 3
    (folder / "labels.json").write_text(json.dumps(doc), encoding="utf-8")
    (folder / "split.json").write_text(json.dumps({"check": ["lifting/tby66_0016r_1.mp4"]}), encoding="utf-8")
    return folder / "labels.json", folder / "split.json"


def test_the_split_puts_held_out_clips_in_the_check_part(small: tuple[Path, Path]) -> None:
    labels, split = small
    report = evaluate_labels(labels, traces=DATA / "traces", split_file=split)
    parts = {r["file"]: r["part"] for r in report["clips"]}
    assert parts["lifting/tby66_0016r_1.mp4"] == "check"
    assert parts["lifting/tby66_0016c_1.mp4"] == "dev" and parts["bridge/physioplus_bridging.mp4"] == "dev"
    assert set(report["parts"]) == {"dev", "check"}
    assert report["parts"]["check"]["lifting"]["clips"] == 1
    assert report["parts"]["dev"]["lifting"]["clips"] == 1
    dev_lifting = [r for r in report["clips"] if r["part"] == "dev" and r["exercise"] == "lifting"]
    assert report["parts"]["dev"]["lifting"]["technique_strict"] == dev_lifting[0]["technique_strict"]
    text = format_report(report)
    assert "== dev" in text and "== check" in text
    assert sum(line.lstrip().startswith("lifting/tby66_0016c_1") for line in text.splitlines()) == 1
    json.dumps(report, allow_nan=False)  # plain JSON, no NaN or infinity


def test_the_split_file_beside_the_labels_is_the_default(small: tuple[Path, Path]) -> None:
    labels, _ = small
    report = evaluate_labels(labels, traces=DATA / "traces", split="check")
    assert [r["file"] for r in report["clips"]] == ["lifting/tby66_0016r_1.mp4"]
    assert set(report["parts"]) == {"check"}


def test_a_missing_trace_is_a_skipped_clip(small: tuple[Path, Path], tmp_path: Path) -> None:
    labels, split = small
    report = evaluate_labels(labels, traces=tmp_path, split_file=split)
    assert all("no trace" in r["skipped"] for r in report["clips"])
    assert report["parts"]["dev"] == {}


def test_bad_split_input_is_one_clear_error(small: tuple[Path, Path], tmp_path: Path) -> None:
    labels, _ = small
    with pytest.raises(EvaluationError, match="split"):
        evaluate_labels(labels, traces=DATA / "traces", split="tuned")
    with pytest.raises(EvaluationError, match="not found"):
        read_split(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text('{"check": "all of them"}', encoding="utf-8")
    with pytest.raises(EvaluationError, match="list"):
        read_split(tmp_path / "bad.json")


def test_report_text_folds_clips_without_a_template_into_one_line() -> None:
    rows = [
        {"file": f"posture/p{i}.jpg", "exercise": "desk_posture", "part": "check", "skipped": "no template"}
        for i in range(5)
    ]
    rows.append({"file": "lifting/x.mp4", "exercise": "lifting", "part": "check", "skipped": "no trace x"})
    report = {"labels": "l.json", "split": "check", "split_file": None, "clips": rows, "parts": {"check": {}}}
    lines = format_report(report).splitlines()
    assert sum("posture/p" in line for line in lines) == 0
    assert any("desk_posture 5 clips" in line for line in lines)
    assert any(line.lstrip().startswith("lifting/x.mp4") and "no trace" in line for line in lines)


@pytest.mark.model
def test_evaluate_runs_the_model_when_no_traces_are_given(tmp_path: Path) -> None:
    doc = json.loads((DATA / "labels.json").read_text(encoding="utf-8"))
    (label,) = [c for c in doc["clips"] if c["file"] == "bridge/physioplus_bridging.mp4"]
    label = {**label, "file": str(DATA / "clips" / "physioplus_bridging.mp4")}
    (tmp_path / "labels.json").write_text(json.dumps({"clips": [label]}), encoding="utf-8")
    (tmp_path / "split.json").write_text('{"check": []}', encoding="utf-8")
    from_video = evaluate_labels(tmp_path / "labels.json")["clips"][0]
    from_trace = evaluate_labels(tmp_path / "labels.json", traces=DATA / "traces")["clips"][0]
    assert "skipped" not in from_video and from_video["part"] == "dev"
    assert from_video["got"] == from_trace["got"]
    holds = [h["got_s"] for h in from_trace["holds"]]
    assert [h["got_s"] for h in from_video["holds"]] == pytest.approx(holds, abs=0.1)


def test_without_a_split_beside_the_labels_the_checkouts_split_is_used(tmp_path: Path) -> None:
    labels = tmp_path / "labels.json"
    labels.write_text("{}", encoding="utf-8")
    assert default_split_file(labels) == DATA / "split.json"
    (tmp_path / "split.json").write_text('{"check": []}', encoding="utf-8")
    assert default_split_file(labels) == tmp_path / "split.json"
