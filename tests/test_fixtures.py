"""The committed pose traces are fresh: every labelled clip has one, and re-extracting the committed clip with
the real model gives the committed numbers (issue 6, part 8).

The traces (tests/data/traces/<clip stem>.npz) stand in for the model in the engine, evaluation,
robustness and live tests; if the pose model, the video reading or the back measures change, they go
stale silently. `make fixtures` regenerates them (scripts/make_fixtures.py).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import DATA

from formcheck.pose.pipeline import PoseTrace

LABELS = DATA / "labels.json"
TRACES = DATA / "traces"
CLIP = DATA / "clips" / "physioplus_bridging.mp4"
#: Largest change of a seen landmark (x or y, pixels) still counted as the same extraction.
MAX_PX = 2.0
#: Largest change of the back-curvature index (trunk lengths).
MAX_BACK = 0.01
#: Landmarks the stored trace saw at least this well are compared (hidden ones may wander).
SEEN = 0.5
STALE = "tests/data/traces is stale: run `make fixtures`"


def test_every_labelled_clip_has_a_trace() -> None:
    clips = json.loads(LABELS.read_text(encoding="utf-8"))["clips"]
    missing = [
        c["file"]
        for c in clips
        if not (TRACES / (c["file"].rsplit("/", 1)[-1].rsplit(".", 1)[0] + ".npz")).is_file()
    ]
    assert missing == [], f"no trace for {missing}: run `make fixtures`"


def test_every_trace_belongs_to_a_labelled_clip() -> None:
    stems = {c["file"].rsplit("/", 1)[-1].rsplit(".", 1)[0] for c in json.loads(LABELS.read_text())["clips"]}
    extra = sorted(p.stem for p in TRACES.glob("*.npz") if p.stem not in stems)
    assert extra == [], f"traces of clips no longer labelled: {extra}"


@pytest.mark.model
def test_committed_clip_re_extracts_to_its_committed_trace() -> None:
    from formcheck.analysis.analyze import extract_trace
    from formcheck.pose.video import probe

    stored = PoseTrace.load(str(TRACES / f"{CLIP.stem}.npz"))
    fresh = extract_trace(probe(CLIP), "full", with_mask=True)  # as scripts/make_fixtures.py does
    assert fresh.frames == stored.frames, f"{fresh.frames} frames now, {stored.frames} stored; {STALE}"
    np.testing.assert_allclose(fresh.times, stored.times, atol=1e-6, err_msg=f"frame times differ; {STALE}")
    assert fresh.size == stored.size and fresh.fps == pytest.approx(stored.fps), STALE
    assert np.array_equal(np.isnan(fresh.landmarks[:, 0, 0]), np.isnan(stored.landmarks[:, 0, 0])), (
        f"a pose is found in other frames; {STALE}"
    )
    w, h = stored.size
    seen = stored.landmarks[..., 3] >= SEEN
    px = np.abs(fresh.landmarks[..., :2] - stored.landmarks[..., :2]) * np.array([w, h])
    worst = float(np.nanmax(px[seen])) if seen.any() else 0.0
    assert worst <= MAX_PX, f"a seen landmark moved {worst:.1f} px (tolerance {MAX_PX}); {STALE}"
    assert np.array_equal(np.isnan(fresh.back), np.isnan(stored.back)), (
        f"back measured in other frames; {STALE}"
    )
    np.testing.assert_allclose(
        fresh.back, stored.back, atol=MAX_BACK, equal_nan=True, err_msg=f"back index differs; {STALE}"
    )
