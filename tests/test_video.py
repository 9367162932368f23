"""Unit tests of ``formcheck.pose.video``: probing and decoding a real clip, one-line errors for bad files."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.pose.video import VideoError, VideoInfo, frames_at, probe, read_frames

REPO_ROOT = Path(__file__).resolve().parent.parent
CLIP = REPO_ROOT / "tests" / "data" / "clips" / "physioplus_bridging.mp4"
SHARED_CLIPS = REPO_ROOT.parent / "shared" / "clips"


def shared_clips() -> Path:
    """The shared clips folder; skips with the reason when absent, fails instead when CI=true."""
    if not (SHARED_CLIPS / "labels.json").is_file():
        reason = f"{SHARED_CLIPS}/labels.json not found (shared/ is not beside the repo)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " and CI=true")
        pytest.skip(reason)
    return SHARED_CLIPS


def make_bad_videos(folder: Path, clip: Path = CLIP) -> dict[str, Path]:
    """Write the bad inputs used by the video and CLI tests into ``folder``; returns them by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    data = clip.read_bytes()
    files = {
        "missing": folder / "missing.mp4",
        "folder": folder / "a_folder.mp4",
        "text": folder / "notes.mp4",
        "empty": folder / "empty.mp4",
        "truncated": folder / "truncated.mp4",
        "zeroed": folder / "zeroed.mp4",
        "no_frames": folder / "no_frames.mp4",
    }
    files["folder"].mkdir(exist_ok=True)
    files["text"].write_text("this is a text file, not a video\n" * 50, encoding="utf-8")
    files["empty"].write_bytes(b"")
    files["truncated"].write_bytes(data[: len(data) // 5])
    n = len(data)
    lo, hi = n * 2 // 5, n * 3 // 5
    files["zeroed"].write_bytes(data[:lo] + bytes(hi - lo) + data[hi:])
    writer = cv2.VideoWriter(str(files["no_frames"]), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, (640, 480))
    writer.release()
    assert files["no_frames"].is_file(), "cv2.VideoWriter wrote no container"
    return files


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_bad_videos(tmp_path_factory.mktemp("bad_videos"))


@pytest.fixture(scope="module")
def info() -> VideoInfo:
    return probe(CLIP)


# ------------------------------------------------------------------------------------------- the real clip


def test_probe_real_clip(info: VideoInfo) -> None:
    assert info.path == CLIP
    assert info.fps == pytest.approx(30.0, abs=0.01)
    assert info.frames == 91
    assert (info.width, info.height) == (640, 480)
    assert info.duration_s == pytest.approx(91 / 30, abs=1e-6)


def test_probe_accepts_str_and_pathlike() -> None:
    assert probe(str(CLIP)) == probe(CLIP)


def test_read_frames_whole_clip(info: VideoInfo) -> None:
    frames = list(read_frames(info))
    assert [i for i, _, _ in frames] == list(range(91))
    assert [t for _, t, _ in frames] == pytest.approx([i / 30.0 for i in range(91)])
    for _, _, bgr in frames:
        assert bgr.shape == (480, 640, 3)
        assert bgr.dtype == np.uint8
    # a real picture, not a blank frame, and it changes over time
    assert frames[0][2].std() > 10
    assert np.abs(frames[0][2].astype(int) - frames[45][2].astype(int)).mean() > 1


def test_read_frames_range_matches_whole_read(info: VideoInfo) -> None:
    whole = {i: bgr for i, _, bgr in read_frames(info, 0, 25)}
    part = list(read_frames(info, 10, 20))
    assert [i for i, _, _ in part] == list(range(10, 20))
    assert part[0][1] == pytest.approx(10 / 30.0)
    for i, _, bgr in part:
        assert np.array_equal(bgr, whole[i]), f"frame {i} differs when reading from frame 10"


def test_read_frames_tail_and_past_end(info: VideoInfo) -> None:
    tail = list(read_frames(info, 80))
    assert [i for i, _, _ in tail] == list(range(80, 91))
    assert list(read_frames(info, 200)) == []
    assert list(read_frames(info, 5, 5)) == []


# ------------------------------------------------------------------------------------------- bad files

BAD_CASES = {
    # kind: a phrase the one-line message must contain (lower case)
    "missing": "not found",
    "folder": "folder",
    "text": "not a video",
    "empty": "empty",
    "truncated": "not a video",
    "no_frames": "not a video",
}


@pytest.mark.parametrize("kind", sorted(BAD_CASES))
def test_probe_bad_file_raises_one_line_error(bad: dict[str, Path], kind: str) -> None:
    path = bad[kind]
    with pytest.raises(VideoError) as err:
        probe(path)
    msg = str(err.value)
    assert "\n" not in msg
    assert BAD_CASES[kind] in msg.lower(), msg
    assert path.name in msg, f"the message should name the file: {msg}"


def test_read_frames_of_a_file_deleted_after_probe(tmp_path: Path) -> None:
    copy = tmp_path / "gone.mp4"
    copy.write_bytes(CLIP.read_bytes())
    info = probe(copy)
    copy.unlink()
    with pytest.raises(VideoError, match="not found"):
        next(read_frames(info))


def test_zeroed_middle_decodes_a_prefix_then_stops_quietly(bad: dict[str, Path]) -> None:
    info = probe(bad["zeroed"])  # header intact: the container still says 91 frames
    assert info.frames == 91
    assert (info.width, info.height) == (640, 480)
    indices = [i for i, _, _ in read_frames(info)]
    assert 0 < len(indices) < 91
    assert indices == list(range(len(indices)))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    p = tmp_path / "locked.mp4"
    p.write_bytes(CLIP.read_bytes())
    p.chmod(0)
    try:
        with pytest.raises(VideoError, match="permission denied"):
            probe(p)
    finally:
        p.chmod(0o644)


# ------------------------------------------------------------------------------------------- shared clips


def test_probe_matches_labels_of_shared_clips() -> None:
    """fps from probe and the decoded frame count match labels.json (whose frames are in decode order);
    photos (``fps`` null) decode as one frame."""
    folder = shared_clips()
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    assert labels["clips"], "labels.json lists no clips"
    for clip in labels["clips"]:
        info = probe(folder / clip["file"])
        if clip["fps"] is None:
            assert clip["frames"] == 1 and sum(1 for _ in read_frames(info)) == 1, clip["file"]
            continue
        assert info.fps == pytest.approx(clip["fps"], abs=0.01), clip["file"]
        assert abs(info.frames - clip["frames"]) <= max(2, 0.02 * clip["frames"]), clip["file"]
        if info.frames != clip["frames"]:  # the container's count is an estimate: decoding tells the truth
            assert sum(1 for _ in read_frames(info)) == clip["frames"], clip["file"]


def test_variable_frame_rate_keeps_real_timing(tmp_path: Path) -> None:
    """A phone-style VFR video: 1 s at 30 fps, then 1 s at 10 fps; times follow the container."""
    import av

    path = tmp_path / "vfr.mp4"
    pts_ms = [round(i * 1000 / 30) for i in range(30)] + [1000 + i * 100 for i in range(10)]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.time_base = Fraction(1, 1000)
        for k, ms in enumerate(pts_ms):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), k * 5, np.uint8), format="rgb24")
            frame.pts, frame.time_base = ms, Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    info = probe(path)
    times = [t for _i, t, _f in read_frames(info)]
    assert len(times) == len(pts_ms)
    assert np.all(np.diff(times) > 0)
    np.testing.assert_allclose(times, np.array(pts_ms) / 1000.0, atol=0.002)
    # a later start (a second worker's half) sees the same clock
    tail = [t for _i, t, _f in read_frames(info, start=35)]
    np.testing.assert_allclose(tail, np.array(pts_ms[35:]) / 1000.0, atol=0.002)


def test_frames_at_gives_the_same_frames_and_times_as_reading_them_all() -> None:
    info = probe(CLIP)
    every = {i: (t, bgr) for i, t, bgr in read_frames(info)}
    wanted = [70, 3, 0, 45, 45]
    got = list(frames_at(info, wanted))
    assert [i for i, _t, _f in got] == [0, 3, 45, 70]
    for i, t, bgr in got:
        assert t == every[i][0]
        assert np.array_equal(bgr, every[i][1])
    assert [i for i, _t, _f in frames_at(info, [len(every) - 1, len(every) + 5])] == [len(every) - 1]
    assert list(frames_at(info, [])) == []
    with pytest.raises(ValueError):
        list(frames_at(info, [-1]))
