"""The desk-posture monitor offline: a recording or a photo -> segments (analysis/posture.py), its score
against hand labels (evaluate), the command line, and the committed real traces as a regression floor."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import DATA, load_trace, need_shared
from sitting import nobody, sitter, trace_of

from formcheck.analysis.evaluate import POSTURE_TARGET, score_postures, summarize_postures
from formcheck.analysis.posture import analyze_posture_trace, posture_summary
from formcheck.core.posture_template import load_monitor

TEMPLATE = load_monitor("desk_posture")


def test_a_photo_is_one_frame_judged_on_the_fixed_limits() -> None:
    a = analyze_posture_trace(trace_of([sitter(trunk_forward=30.0, yaw=90.0)], fps=25.0), TEMPLATE, "nl")
    doc = a.to_json()
    assert doc["photo"] and not doc["calibrated"] and doc["baseline"] is None
    assert [s["posture"] for s in doc["segments"]] == ["slouched"]
    assert any("vaste grenzen" in n for n in doc["notes"])
    text = posture_summary(doc, TEMPLATE, "nl")
    assert "foto" in text and "onderuitgezakt" in text


def test_a_recording_takes_its_usual_upright_stretch_as_baseline_and_says_so() -> None:
    frames = [sitter(trunk_forward=4.0, yaw=90.0)] * 100 + [sitter(trunk_forward=30.0, yaw=90.0)] * 50
    doc = analyze_posture_trace(trace_of(frames, fps=10.0), TEMPLATE, "en").to_json()
    assert doc["calibrated"] and doc["view"] == "side"
    assert [s["posture"] for s in doc["segments"]] == ["upright", "slouched"]
    assert doc["segments"][1]["start_s"] == pytest.approx(10.0, abs=0.5)
    assert doc["score"] == pytest.approx(100 * 10 / 15, abs=5)
    assert any("usual upright sitting" in n for n in doc["notes"])
    json.dumps(doc)  # plain JSON


def test_nobody_in_the_recording() -> None:
    doc = analyze_posture_trace(trace_of([nobody()] * 30, fps=10.0), TEMPLATE, "en").to_json()
    assert not doc["person_found"] and doc["score"] is None
    assert {s["posture"] for s in doc["segments"]} == {"away"}
    assert any("No person" in n for n in doc["notes"]) and any("fixed limits" in n for n in doc["notes"])


def test_two_people_get_a_note() -> None:
    doc = analyze_posture_trace(trace_of([sitter()] * 40, fps=10.0, people=2), TEMPLATE, "en").to_json()
    assert any("More than one person" in n for n in doc["notes"])


def test_score_postures_leaves_transitions_out() -> None:
    label = {
        "view": "side",
        "segments": [
            {"frames": [0, 9], "posture": "upright"},
            {"frames": [10, 14], "posture": "transition"},
            {"frames": [15, 24], "posture": "slouched"},
        ],
    }
    got = ["upright"] * 12 + ["slouched"] * 8 + ["forward_head"] * 5
    row = score_postures(label, got, fps=10.0)
    assert (row["labelled_frames"], row["right_frames"]) == (20, 15)
    assert row["share"] == 0.75 and not row["ok"] and row["confusions"] == {"slouched>forward_head": 5}
    photo = score_postures({"view": "front", "posture": "upright", "confidence": "low"}, ["upright"], 25.0)
    assert photo["photo"] and photo["ok"] and not photo["scored"]
    rows = [{"exercise": "desk_posture", **row}, {"exercise": "desk_posture", **photo}]
    summary = summarize_postures(rows)["desk_posture"]
    assert (
        summary["all"]["share"] == 0.75 and summary["side"]["videos"] == 1 and summary["all"]["photos"] == 0
    )


# ------------------------------------------------------------------------------------ the real traces

#: Regression floors on the committed traces of the shared sitting clips: the share of labelled time
#: (transitions left out) with the right posture, per clip, as measured when the monitor was written
#: (2026-11-30), rounded down. NOT an accuracy claim: the dev clips are the ones the limits were read from
#: and the check clip is one person; only a change that makes the monitor worse on them fails here.
FLOORS = {
    "itakurah_posture_demo_cropped": 0.78,  # dev; its "slouched" is the head only: read as forward_head
    "howardh_chair_postures": 0.91,  # dev
    "ivangael_istock_desk": 0.99,  # dev
    "joylin_chair_left": 0.94,  # dev
    "joylin_chair_right": 0.99,  # check
}
#: Photos read right, per part (dev 5 of 8 scored, check 6 of 7).
PHOTOS_RIGHT = {"dev": 5, "check": 6}


def posture_labels() -> list[dict]:
    clips = json.loads((DATA / "labels.json").read_text(encoding="utf-8"))["clips"]
    return [c for c in clips if c.get("exercise") == "desk_posture"]


@pytest.mark.parametrize("stem", sorted(FLOORS))
def test_real_recordings_keep_their_floor(stem: str) -> None:
    label = next(c for c in posture_labels() if c["file"].rsplit("/", 1)[-1].startswith(stem + "."))
    a = analyze_posture_trace(load_trace(stem), TEMPLATE)
    row = score_postures(label, a.postures(), float(label["fps"]))
    assert row["share"] >= FLOORS[stem], f"{stem}: {row['share']:.3f} ({row['confusions']})"


def test_real_photos_keep_their_floor() -> None:
    check = set(json.loads((DATA / "split.json").read_text(encoding="utf-8"))["check"])
    right = {"dev": 0, "check": 0}
    for label in posture_labels():
        if label.get("segments") or label.get("confidence") == "low":
            continue
        stem = label["file"].rsplit("/", 1)[-1].rsplit(".", 1)[0]
        row = score_postures(label, analyze_posture_trace(load_trace(stem), TEMPLATE).postures(), 25.0)
        right["check" if label["file"] in check else "dev"] += int(row["ok"])
    assert right["dev"] >= PHOTOS_RIGHT["dev"] and right["check"] >= PHOTOS_RIGHT["check"], right


def test_posture_target_is_the_issue_target() -> None:
    assert POSTURE_TARGET == 0.9


# ------------------------------------------------------------------------------------ command line


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FORMCHECK_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "formcheck.cli", *args], capture_output=True, text=True, env=env, check=False
    )


def test_exercises_lists_the_monitor_and_the_exercises() -> None:
    res = cli("exercises")
    assert res.returncode == 0
    names = [line.split()[0] for line in res.stdout.splitlines()]
    assert "desk_posture" in names and "bridge" in names
    assert "posture monitor, no reps" in res.stdout


def test_analyze_a_missing_video_as_desk_posture_is_one_line(tmp_path) -> None:
    res = cli("analyze", str(tmp_path / "nope.mp4"), "--exercise", "desk_posture")
    assert res.returncode == 3 and "Traceback" not in res.stderr
    assert res.stderr.strip().count("\n") == 0 and "not found" in res.stderr


def test_analyze_a_real_photo_end_to_end(tmp_path) -> None:
    photo = need_shared("clips", "posture", "kevinsc_office_00035_recline.jpg")
    res = cli("analyze", str(photo), "--exercise", "desk_posture", "--model", "lite", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "photo" in res.stdout and "fixed limits" in res.stdout
    doc = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert doc["photo"] and doc["frames"] == 1 and len(doc["segments"]) == 1
