"""Accuracy on real recordings, from pose traces extracted once from the shared clips (no model needed).

The traces (tests/data/traces/*.npz) are what the real pose model measured on each clip in
tests/data/labels.json (a copy of the hand labels in ../shared/clips); `make fixtures` regenerates them.
"""

from __future__ import annotations

import json

import pytest
from conftest import DATA

from formcheck.evaluate import evaluate_labels

LABELS = DATA / "labels.json"
TRACES = DATA / "traces"


@pytest.fixture(scope="module")
def report():
    return evaluate_labels(LABELS, traces=TRACES)


def test_every_labelled_clip_has_a_trace():
    clips = json.loads(LABELS.read_text())["clips"]
    missing = [
        c["file"]
        for c in clips
        if not (TRACES / (c["file"].split("/")[-1].rsplit(".", 1)[0] + ".npz")).is_file()
    ]
    assert missing == []


def test_every_high_confidence_rep_count_is_exact(report):
    rows = [r for r in report["clips"] if r.get("scored")]
    assert len(rows) >= 10  # 4 bridge, 2 cat-cow, 4 lifting
    wrong = {r["file"]: (r["truth"], r["got"]) for r in rows if not r["exact"]}
    assert wrong == {}, f"(truth, got) per clip: {wrong}"


def test_lift_technique_right_on_at_least_90_percent(report):
    assert report["technique_total"] >= 40
    assert report["technique_right"] / report["technique_total"] >= 0.9, report["technique_right"]


@pytest.mark.parametrize("exercise", ["bridge", "cat_cow", "lifting"])
def test_each_exercise_is_covered(report, exercise):
    assert any(r["exercise"] == exercise and r.get("scored") for r in report["clips"])


def test_posture_clip_is_skipped_with_a_reason(report):
    rows = [r for r in report["clips"] if r["exercise"] == "desk_posture"]
    assert rows and "skipped" in rows[0]


def _fault_share(code: str, stems: tuple[str, ...]) -> dict[str, float]:
    """Share of each lifting clip's reps that carry fault ``code``."""
    from formcheck.analyze import analyze_trace
    from formcheck.pipeline import PoseTrace
    from formcheck.templates import load_template

    lifting = load_template("lifting")
    share = {}
    for stem in stems:
        reps = analyze_trace(PoseTrace.load(str(TRACES / f"{stem}.npz")), lifting).reps
        share[stem] = sum(code in r.faults for r in reps) / len(reps)
    return share


def test_rounded_back_flagged_on_the_rounded_back_clip_only():
    share = _fault_share("rounded_back", ("tby66_0016c_1", "tby66_0016k_1", "tby66_0016r_1"))
    assert share["tby66_0016r_1"] >= 0.8, share
    assert share["tby66_0016c_1"] <= 0.2 and share["tby66_0016k_1"] <= 0.2, share


def test_hips_first_flagged_on_the_hips_first_clip_only():
    share = _fault_share("hips_first", ("tby66_0016c_1", "tby66_0016h_1", "tby66_0016k_1"))
    assert share["tby66_0016h_1"] >= 0.8, share
    assert share["tby66_0016c_1"] <= 0.2 and share["tby66_0016k_1"] <= 0.2, share


def test_rounded_back_is_cued_live_at_the_load_only_when_rounded():
    from formcheck.analyze import analyze_trace, fault_joints_by_frame
    from formcheck.pipeline import PoseTrace
    from formcheck.templates import load_template

    lifting = load_template("lifting")
    live_share = {}
    for stem in ("tby66_0016c_1", "tby66_0016h_1", "tby66_0016k_1", "tby66_0016r_1"):
        a = analyze_trace(PoseTrace.load(str(TRACES / f"{stem}.npz")), lifting)
        flagged = sum("rounded_back" in s.live_faults for s in a.states)
        live_share[stem] = flagged / len(a.states)
        marks = fault_joints_by_frame(a)
        if stem.endswith("r_1"):
            inside = [marks[int(r.turn_s * a.trace.fps)] for r in a.reps]
            assert all({"shoulder", "hip"} <= m for m in inside)
            assert not marks[0]  # standing still before the first lift
    assert live_share["tby66_0016r_1"] > 0.1, live_share
    assert max(live_share[s] for s in ("tby66_0016c_1", "tby66_0016h_1", "tby66_0016k_1")) == 0.0, live_share
