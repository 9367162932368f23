"""The physio page's analysis child (formcheck.webapp.videojob) on real and deliberately bad videos, with
the real pose model (lite, to keep it short)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from conftest import SHARED, need_shared

from formcheck.core.messages import message
from formcheck.webapp.videojob import ANNOTATED, AUTO, FEATURES_CSV, REPORT, RESULT, SERIES, JobSpec, VideoJob

pytestmark = pytest.mark.model
CLIP = "physioplus_bridging.mp4"


def _run(video: Path, out: Path, **kw: Any) -> tuple[list[dict[str, Any]], VideoJob]:
    out.mkdir(parents=True, exist_ok=True)
    job = VideoJob(JobSpec(video=video, out=out, lang=kw.pop("lang", "nl"), model="lite", **kw))
    try:
        events = list(job.events())
    finally:
        job.stop()
    return events, job


def _labelled(file: str) -> int:
    labels = json.loads((SHARED / "clips" / "labels.json").read_text(encoding="utf-8"))
    return next(int(c["reps"]) for c in labels["clips"] if c["file"] == file)


def _write(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    h, w = frames[0].shape[:2]
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        wr.write(f)
    wr.release()
    return path


def _frames(video: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(video))
    out = []
    while (got := cap.read())[0]:
        out.append(got[1])
    cap.release()
    return out


def test_a_real_clip_then_another_exercise_without_a_second_pose_pass(tmp_path: Path) -> None:
    video = need_shared("clips", "bridge", CLIP)
    first, _ = _run(video, tmp_path / "job1", exercise=AUTO)
    assert first[-1]["event"] == "done", first[-1]
    doc = json.loads((tmp_path / "job1" / RESULT).read_text(encoding="utf-8"))
    choice = doc["exercise_choice"]
    assert choice["by"] == "formcheck" and {c["exercise"] for c in choice["candidates"]} >= {
        "bridge",
        "lifting",
    }
    assert choice["suggested"] in (None, "bridge")  # never another exercise (bridge and pelvic tilt may tie)
    # the physio chooses: the pose trace of the first job is used again, and the labelled rep is counted
    t0 = time.monotonic()
    second, _ = _run(video, tmp_path / "job2", exercise="bridge", trace_from=tmp_path / "job1")
    again_s = time.monotonic() - t0
    assert second[-1]["event"] == "done", second[-1]
    assert next(e for e in second if e["event"] == "pose").get("cached") is True
    out = tmp_path / "job2"
    doc = json.loads((out / RESULT).read_text(encoding="utf-8"))
    assert doc["exercise"] == "bridge" and doc["exercise_choice"]["by"] == "physio"
    assert doc["reps"] == _labelled(f"bridge/{CLIP}"), doc["rep_details"]
    print(f"second analysis without a pose pass: {again_s:.1f} s wall (machine busy)")
    # the files the page shows and offers
    with np.load(out / SERIES) as d:
        assert d["values"].shape == (doc["frames"], len(d["names"])) and len(d["t"]) == doc["frames"]
    cap = cv2.VideoCapture(str(out / ANNOTATED))
    n, h = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    ok, _frame = cap.read()
    cap.release()
    assert ok and h <= 480 and (n <= 0 or abs(n - doc["frames"]) <= 2), (n, h)
    html = (out / REPORT).read_text(encoding="utf-8")
    assert "<html" in html.lower() and "http://" not in html and "https://" not in html
    assert (out / FEATURES_CSV).read_text(encoding="utf-8").splitlines()[0].count(",") >= 3


def test_a_cut_off_video_is_read_as_far_as_it_goes_or_refused_in_one_line(tmp_path: Path) -> None:
    data = need_shared("clips", "bridge", CLIP).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    events, _ = _run(cut, tmp_path / "job", exercise="bridge")
    last = events[-1]
    if last["event"] == "done":  # decodable up to the cut: analysed with a note
        doc = json.loads((tmp_path / "job" / RESULT).read_text(encoding="utf-8"))
        assert any("(" in n for n in doc["notes"]) or doc["frames"] > 0
    else:
        assert last["event"] == "error" and last["code"] in ("upload_not_video", "upload_no_frames"), last
        assert str(tmp_path) not in last["detail"]  # no temporary path in what the page may show


def test_two_people_are_noted_and_an_empty_room_is_said(tmp_path: Path) -> None:
    frames = _frames(need_shared("clips", "bridge", CLIP))
    two = _write(tmp_path / "two.mp4", [np.hstack([f, f]) for f in frames + frames])
    events, _ = _run(two, tmp_path / "two", exercise="bridge", lang="en")
    assert events[-1]["event"] == "done", events[-1]
    doc = json.loads((tmp_path / "two" / RESULT).read_text(encoding="utf-8"))
    assert doc["max_people"] >= 2 and message("multiple_people_in_video", "en") in doc["notes"], doc["notes"]
    empty = _write(tmp_path / "empty.mp4", [np.full((240, 320, 3), 128, np.uint8)] * 45)
    events, _ = _run(empty, tmp_path / "empty", exercise=AUTO)
    assert events[-1]["event"] == "done", events[-1]
    doc = json.loads((tmp_path / "empty" / RESULT).read_text(encoding="utf-8"))
    assert doc["person_found"] is False
    assert not (tmp_path / "empty" / ANNOTATED).exists() and not (tmp_path / "empty" / REPORT).exists()


def test_stopping_a_job_ends_it_and_its_pose_workers(tmp_path: Path) -> None:
    video = need_shared("clips", "bridge", "istock_hanshitha_glute_bridges.mp4")
    (tmp_path / "job").mkdir()
    job = VideoJob(JobSpec(video=video, out=tmp_path / "job", exercise="bridge", model="lite"))
    try:
        for ev in job.events():
            if ev["event"] == "pose":
                break
    finally:
        job.stop()
    assert job.proc.returncode is not None
    with pytest.raises(ProcessLookupError):
        for _ in range(50):  # the whole process group (the job and any pose worker) is gone
            os.killpg(job.proc.pid, 0)
            time.sleep(0.1)
