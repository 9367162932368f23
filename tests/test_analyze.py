"""End to end with the real pose model on the committed bridge clip (marked ``model``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from formcheck.analyze import analyze_video
from formcheck.templates import load_template

pytestmark = pytest.mark.model

REPO_ROOT = Path(__file__).resolve().parent.parent
CLIP = REPO_ROOT / "tests" / "data" / "clips" / "physioplus_bridging.mp4"
CLIP_FRAMES = 91
CLIP_REPS = 1  # labels.json: one rep, frames 11-45-80, ~1.7 s hold


def run(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FORMCHECK_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "formcheck.cli", *map(str, args)],
        capture_output=True, text=True, env=env, timeout=timeout, check=False,
    )


def analyze_json(*args: str | Path) -> dict[str, Any]:
    res = run("analyze", *args, "--json")
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def out_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """``analyze CLIP --exercise bridge --json --out DIR``: the folder and the printed document."""
    out = tmp_path_factory.mktemp("analyze_out") / "result"
    return out, analyze_json(CLIP, "--exercise", "bridge", "--out", out)


@pytest.fixture(scope="module")
def doc_en(out_run: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    return out_run[1]


@pytest.fixture(scope="module")
def doc_nl() -> dict[str, Any]:
    return analyze_json(CLIP, "--exercise", "bridge", "--lang", "nl")


def test_json_document(doc_en: dict[str, Any]) -> None:
    d = doc_en
    assert d["exercise"] == "bridge"
    assert d["source"] == CLIP.name
    assert d["model"] == "full"
    assert d["lang"] == "en"
    assert d["frames"] == CLIP_FRAMES
    assert d["frames_with_pose"] > 80
    assert d["fps"] == pytest.approx(30.0)
    assert d["duration_s"] == pytest.approx(CLIP_FRAMES / 30, abs=0.01)
    assert d["person_found"] is True
    assert d["camera_side"] in ("left", "right")
    assert d["max_people"] == 1
    assert d["notes"] == []
    assert d["reps"] == CLIP_REPS
    assert len(d["rep_details"]) == d["reps"]


def test_rep_details(doc_en: dict[str, Any]) -> None:
    r = doc_en["rep_details"][0]
    assert r["index"] == 1
    # the labelled rep runs from frame 11 to 80 (0.37-2.67 s); allow the phase bands' slack
    assert 0.0 <= r["start_s"] < r["end_s"] <= CLIP_FRAMES / 30
    assert r["start_s"] < 1.2 and r["end_s"] > 2.0
    assert 0 <= r["score"] <= 100
    assert isinstance(r["faults"], list) and all(isinstance(f, str) and f for f in r["faults"])
    assert isinstance(r["hold_s"], int | float) and not isinstance(r["hold_s"], bool)
    assert 0.5 < r["hold_s"] < 2.5  # labelled ~1.7 s
    assert "hold_short" in r["faults"]  # the template wants 5-10 s


def test_cues(doc_en: dict[str, Any]) -> None:
    cues = doc_en["cues"]
    assert cues, "a 1.7 s hold against a 5 s target should produce a cue"
    for c in cues:
        assert set(c) >= {"t_s", "code", "text"}
        assert 0 <= c["t_s"] <= CLIP_FRAMES / 30
        assert isinstance(c["code"], str) and c["code"]
        assert isinstance(c["text"], str) and c["text"]
    assert [c["t_s"] for c in cues] == sorted(c["t_s"] for c in cues)


def test_dutch_cues(doc_en: dict[str, Any], doc_nl: dict[str, Any]) -> None:
    assert doc_nl["lang"] == "nl"
    assert doc_nl["reps"] == doc_en["reps"]
    assert [c["code"] for c in doc_nl["cues"]] == [c["code"] for c in doc_en["cues"]]
    for en, nl in zip(doc_en["cues"], doc_nl["cues"], strict=True):
        assert nl["text"] != en["text"], nl
    bridge = load_template("bridge")
    if "hold_short" in [c["code"] for c in doc_nl["cues"]]:
        assert bridge.hold is not None
        assert bridge.hold.cue.nl in [c["text"] for c in doc_nl["cues"]]


def test_out_folder(out_run: tuple[Path, dict[str, Any]]) -> None:
    out, doc = out_run
    assert sorted(p.name for p in out.iterdir()) == ["annotated.mp4", "result.json"]
    assert json.loads((out / "result.json").read_text(encoding="utf-8")) == doc


def test_annotated_video(out_run: tuple[Path, dict[str, Any]]) -> None:
    out = out_run[0]
    ann = cv2.VideoCapture(str(out / "annotated.mp4"))
    src = cv2.VideoCapture(str(CLIP))
    try:
        assert ann.isOpened()
        assert ann.get(cv2.CAP_PROP_FPS) == pytest.approx(30.0, abs=0.01)
        n = 0
        drawn = []
        while True:
            ok_a, a = ann.read()
            ok_s, s = src.read()
            if not ok_a:
                break
            assert ok_s, "annotated video has more frames than the source"
            assert a.shape == s.shape == (480, 640, 3)
            diff = np.abs(a.astype(np.int16) - s.astype(np.int16)).max(axis=2)
            drawn.append(float((diff > 60).mean()))
            # still the source underneath: most pixels only differ by compression noise
            assert np.median(diff) < 12
            n += 1
    finally:
        ann.release()
        src.release()
    assert n == CLIP_FRAMES
    # the overlay (counter, angle panel, skeleton) changes a visible share of every frame
    assert min(drawn) > 0.005, min(drawn)


def test_summary_and_out_without_video(tmp_path: Path) -> None:
    out = tmp_path / "r"
    res = run("analyze", CLIP, "--exercise", "bridge", "--out", out, "--no-video", "--model", "lite")
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout.startswith("Bridge: "), res.stdout
    assert "score" in res.stdout
    assert f"written: {out / 'result.json'}" in res.stdout and "annotated.mp4" not in res.stdout
    assert [p.name for p in out.iterdir()] == ["result.json"]
    doc = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert doc["model"] == "lite"
    assert doc["frames"] == CLIP_FRAMES
    assert res.stdout.startswith(f"Bridge: {doc['reps']} reps")


def test_video_without_a_person(tmp_path: Path) -> None:
    grey = tmp_path / "grey.mp4"
    writer = cv2.VideoWriter(str(grey), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, (640, 480))
    frame = np.full((480, 640, 3), 128, dtype=np.uint8)
    for _ in range(60):
        writer.write(frame)
    writer.release()
    d = analyze_json(grey, "--exercise", "bridge")
    assert d["frames"] == 60
    assert d["frames_with_pose"] == 0
    assert d["person_found"] is False
    assert d["reps"] == 0 and d["rep_details"] == []
    assert any("no person was found" in n.lower() for n in d["notes"]), d["notes"]


def test_two_workers_match_one() -> None:
    """Two workers process contiguous halves: same frames, same reps, and the first half is identical."""
    bridge = load_template("bridge")
    counted: dict[int, list[int]] = {1: [], 2: []}
    one = analyze_video(CLIP, bridge, workers=1, progress=counted[1].append)
    two = analyze_video(CLIP, bridge, workers=2, progress=counted[2].append)
    for a in (one, two):
        assert a.trace.frames == CLIP_FRAMES
        assert a.trace.landmarks.shape == (CLIP_FRAMES, 33, 4)
        assert int(np.isfinite(a.trace.landmarks[:, 0, 0]).sum()) > 80
        assert len(a.reps) == CLIP_REPS
        assert len(a.states) == CLIP_FRAMES
    assert sum(counted[1]) == sum(counted[2]) == CLIP_FRAMES
    half = CLIP_FRAMES // 2  # the first worker runs frames [0, 45) with a fresh landmarker, like workers=1
    np.testing.assert_allclose(one.trace.landmarks[:half], two.trace.landmarks[:half], atol=1e-4)
    assert one.reps[0].start_s == pytest.approx(two.reps[0].start_s, abs=0.1)
    assert one.reps[0].end_s == pytest.approx(two.reps[0].end_s, abs=0.1)


def test_dark_video_and_second_person_are_noted() -> None:
    """A result from a dark clip or with two people says so in plain words (no model needed)."""
    from formcheck.analyze import analyze_trace
    from formcheck.pipeline import PoseTrace

    trace = PoseTrace.load(str(Path(__file__).parent / "data" / "traces" / "physioplus_bridging.npz"))
    bridge = load_template("bridge")
    plain = analyze_trace(trace, bridge).to_json()["notes"]
    assert plain == []
    trace.brightness[:] = 12.0
    trace.n_people[:] = 2
    notes = analyze_trace(trace, bridge, "en").to_json()["notes"]
    assert any("dark" in n for n in notes) and any("more than one person" in n.lower() for n in notes)
