"""End to end with the real pose model on the committed bridge clip (marked ``model``)."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from conftest import need_shared

from formcheck.analysis.analyze import analyze_video
from formcheck.core.templates import load_template

pytestmark = pytest.mark.model

REPO_ROOT = Path(__file__).resolve().parent.parent
CLIP = REPO_ROOT / "tests" / "data" / "clips" / "physioplus_bridging.mp4"
CLIP_FRAMES = 91
CLIP_REPS = 1  # labels.json: one rep, frames 11-45-80, ~1.7 s hold


def run(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FORMCHECK_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "formcheck.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
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
    assert d["pose_fps"] == pytest.approx(15.0) and d["pose_every_n_frames"] == 2  # the default
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


def test_posing_every_second_frame_interpolates_the_rest_and_keeps_the_rep() -> None:
    """30 fps: the model runs on frames 0, 2, 4, ... (46 of 91); the frames in between lie halfway between
    their neighbours; the rep, its timing and its hold match posing every frame."""
    bridge = load_template("bridge")
    every = analyze_video(CLIP, bridge, workers=1, min_pose_fps=0)
    half = analyze_video(CLIP, bridge, workers=2)
    assert every.pose_every == 1 and half.pose_every == 2
    assert sum(s.frames for s in half.pass_stats) == CLIP_FRAMES
    assert sum(s.posed for s in half.pass_stats) == (CLIP_FRAMES + 1) // 2
    assert sum(s.posed for s in every.pass_stats) == CLIP_FRAMES
    lm = half.trace.landmarks[..., :2]
    mid = (lm[0:-2:2] + lm[2::2]) / 2
    np.testing.assert_allclose(lm[1:-1:2], mid, atol=1e-5)
    px = np.linalg.norm((every.trace.landmarks[::2, :, :2] - lm[::2]) * np.array([640, 480]), axis=-1)
    assert np.nanmedian(px) < 2.0  # the model sees the same frames; tracking at 15 fps moves points ~1 px
    assert len(half.reps) == len(every.reps) == CLIP_REPS
    for a, b in zip(every.reps, half.reps, strict=True):
        assert (a.start_s, a.end_s) == pytest.approx((b.start_s, b.end_s), abs=0.1)
        assert a.hold_s == pytest.approx(b.hold_s, abs=0.2)


def test_pose_fps_option(tmp_path: Path) -> None:
    d = analyze_json(CLIP, "--exercise", "bridge", "--pose-fps", "0")
    assert d["pose_fps"] == pytest.approx(30.0) and d["pose_every_n_frames"] == 1
    assert d["reps"] == CLIP_REPS
    res = run("analyze", CLIP, "--exercise", "bridge", "--pose-fps", "-1")
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert res.stderr.strip() == "formcheck: error: --pose-fps must be 0 or more, not -1.0"
    res = run("evaluate", REPO_ROOT / "tests" / "data" / "labels.json", "--pose-fps", "nan")
    assert res.returncode != 0
    assert res.stderr.strip() == "formcheck: error: --pose-fps must be 0 or more, not nan"


def test_dark_video_and_second_person_are_noted() -> None:
    """A result from a dark clip or with two people says so in plain words (no model needed)."""
    from formcheck.analysis.analyze import analyze_trace
    from formcheck.pose.pipeline import PoseTrace

    trace = PoseTrace.load(str(Path(__file__).parent / "data" / "traces" / "physioplus_bridging.npz"))
    bridge = load_template("bridge")
    plain = analyze_trace(trace, bridge).to_json()["notes"]
    assert plain == []
    trace.brightness[:] = 12.0
    trace.n_people[:] = 2
    notes = analyze_trace(trace, bridge, "en").to_json()["notes"]
    assert any("dark" in n for n in notes) and any("more than one person" in n.lower() for n in notes)


# --- a worker process that dies or fails ends the analysis, never hangs it ------------------------------


def _fake_part_that_breaks_in_the_worker(how: str) -> Callable[..., dict[str, np.ndarray]]:
    """A stand-in for ``_pose_part``: the first part (this process) succeeds slowly, the worker's breaks."""
    import time

    empty = {
        "landmarks": np.zeros((0, 33, 4), np.float32),
        "world": np.zeros((0, 33, 4), np.float32),
        "back": np.zeros((0, 2), np.float32),
        "profile": np.zeros((0, 2, 1), np.float32),
        "n_people": np.zeros(0, np.int32),
        "brightness": np.zeros(0, np.float32),
        "t": np.zeros(0),
        "posed": np.zeros(0, bool),
    }

    def part(job: Any, progress: Any = None) -> dict[str, np.ndarray]:
        if job.start == 0:
            for _ in range(100):  # "works" for up to 10 s, reporting progress like the real pass
                time.sleep(0.1)
                if progress is not None:
                    progress(1)
            return empty
        if how == "exit":
            os._exit(1)
        raise ValueError("bad frame data")

    return part


@pytest.mark.parametrize(
    ("how", "phrase"),
    [("exit", "stopped unexpectedly (exit code 1)"), ("raise", "ValueError: bad frame data")],
)
def test_a_broken_worker_raises_pose_worker_error(
    monkeypatch: pytest.MonkeyPatch, how: str, phrase: str
) -> None:
    """No model: the worker's part is a stand-in that exits or raises; the parent notices within its work."""
    import multiprocessing

    from formcheck.analysis import analyze as an
    from formcheck.pose.video import probe

    monkeypatch.setattr(an, "_pose_part", _fake_part_that_breaks_in_the_worker(how))
    monkeypatch.setattr(an, "_context", lambda: multiprocessing.get_context("fork"))  # the fake is inherited
    with pytest.raises(an.PoseWorkerError) as err:
        an.extract_trace(probe(CLIP), workers=2)
    assert phrase in str(err.value)
    assert "\n" not in str(err.value)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as f:
            out += [int(x) for x in f.read().split()]
    return out


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the worker through /proc (Linux)")
def test_killed_worker_stops_analyze_with_one_clear_line() -> None:
    """``kill -9`` of a pose worker mid-run: analyze exits non-zero within seconds, one line, no traceback."""
    import signal
    import time

    clip = need_shared("clips", "lifting", "tby66_0016c_1.mp4")
    env = {k: v for k, v in os.environ.items() if k != "FORMCHECK_DEBUG"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck.cli", "analyze", str(clip), "--exercise", "lifting", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        worker = None
        started = time.monotonic()
        while worker is None and proc.poll() is None and time.monotonic() - started < 300:
            time.sleep(0.2)
            for child in _children(proc.pid):
                with contextlib.suppress(OSError):
                    if _cpu_s(child) > 2.0:  # a worker well into its pose pass
                        worker = child
        assert worker is not None, "no pose worker process was seen"
        os.kill(worker, signal.SIGKILL)
        killed = time.monotonic()
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("analyze still running 30 s after its worker was killed")
        after_s = time.monotonic() - killed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode != 0
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("formcheck: error:"), lines[0]
    assert "worker" in lines[0] and "SIGKILL" in lines[0], lines[0]
    assert out == ""
    print(f"analyze stopped {after_s:.1f} s after its worker was killed")


@pytest.mark.parametrize(("frames", "parts"), [(600, 2), (1262, 2), (1262, 3), (91, 2), (7, 3)])
def test_split_bounds_balances_posing_against_skipping(frames: int, parts: int) -> None:
    """Later parts first decode the frames before them, so they are shorter; every part costs the same."""
    from formcheck.analysis.analyze import split_bounds

    skip = 0.05
    b = split_bounds(frames, parts, skip)
    assert b[0] == 0 and b[-1] == frames and len(b) == parts + 1
    assert all(x <= y for x, y in itertools.pairwise(b))
    costs = [b[j] * skip + (b[j + 1] - b[j]) for j in range(parts)]
    assert max(costs) - min(costs) <= 2.0  # bounds are rounded to whole frames
    if frames >= 100:
        assert b[1] > frames / parts  # the first part (no skipping) is the longest
    assert split_bounds(frames, parts, 0.0) == [round(frames * j / parts) for j in range(parts + 1)]


@pytest.mark.parametrize("workers", [1, 2])
def test_file_analysis_checks_for_people_at_its_own_interval(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """No model: every part (this process and the worker) gets the offline two-person check interval."""
    import multiprocessing

    from formcheck.analysis import analyze as an
    from formcheck.pose.video import probe

    def part(job: Any, progress: Any = None) -> dict[str, np.ndarray]:
        n = (job.stop if job.stop is not None else CLIP_FRAMES) - job.start
        return {
            "landmarks": np.zeros((n, 33, 4), np.float32),
            "world": np.zeros((n, 33, 4), np.float32),
            "back": np.zeros((n, 2), np.float32),
            "profile": np.zeros((n, 2, 1), np.float32),
            "n_people": np.full(n, round(10 * job.people_every_s), np.int32),
            "brightness": np.zeros(n, np.float32),
            "t": np.arange(job.start, job.start + n) / 30.0,
            "posed": np.ones(n, bool),
        }

    monkeypatch.setattr(an, "_pose_part", part)
    monkeypatch.setattr(an, "_context", lambda: multiprocessing.get_context("fork"))
    trace = an.extract_trace(probe(CLIP), workers=workers)
    assert trace.frames == CLIP_FRAMES
    assert set(trace.n_people.tolist()) == {round(10 * an.OFFLINE_PEOPLE_CHECK_EVERY_S)}
    trace = an.extract_trace(probe(CLIP), workers=workers, people_check_every_s=0.5)
    assert set(trace.n_people.tolist()) == {5}


def test_pose_pass_runs_opencv_on_one_thread_and_restores_it() -> None:
    import cv2

    from formcheck.analysis.analyze import _one_opencv_thread

    before = cv2.getNumThreads()
    with pytest.raises(RuntimeError), _one_opencv_thread():
        assert cv2.getNumThreads() == 1
        raise RuntimeError("a frame failed")
    assert cv2.getNumThreads() == before
