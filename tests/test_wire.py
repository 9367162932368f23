"""The websocket transport's messages (formcheck.webapp.wire): pure bytes and values."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest

from formcheck.core.engine import EngineState
from formcheck.core.landmarks import Lm, Side
from formcheck.core.templates import load_template
from formcheck.webapp.live import FrameResult, LiveUpdate
from formcheck.webapp.wire import (
    BONES,
    WireError,
    decode_jpeg,
    encode_frame,
    landmark_list,
    overlay_message,
    parse_frame,
)


def _jpeg(w: int = 64, h: int = 48) -> bytes:
    ok, buf = cv2.imencode(".jpg", np.full((h, w, 3), 120, np.uint8))
    assert ok
    return buf.tobytes()


def test_a_frame_round_trips_through_its_message() -> None:
    jpeg = _jpeg()
    msg = parse_frame(encode_frame(7, 1234.5, jpeg))
    assert msg.seq == 7 and msg.t_s == pytest.approx(1.2345) and msg.jpeg == jpeg
    assert decode_jpeg(msg.jpeg).shape == (48, 64, 3)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"FCF1", "too short"),
        (b"XXXX" + bytes(12) + b"jpeg", "not a formcheck frame"),
        (encode_frame(1, math.nan, b"jpeg"), "not a number"),
    ],
)
def test_bad_frame_messages_are_one_clear_error(data: bytes, why: str) -> None:
    with pytest.raises(WireError, match=why):
        parse_frame(data)


def test_a_frame_that_is_not_a_picture_is_refused() -> None:
    with pytest.raises(WireError, match="not a decodable JPEG"):
        decode_jpeg(b"\xff\xd8 certainly not a jpeg")
    with pytest.raises(WireError, match="out of range"):
        decode_jpeg(_jpeg(8, 8))


def test_landmarks_go_out_normalised_with_gaps_as_null() -> None:
    lm = np.full((33, 4), 0.5)
    lm[Lm.LEFT_KNEE, :2] = np.nan
    out = landmark_list(lm)
    assert out is not None and len(out) == 33
    assert out[Lm.LEFT_KNEE][:2] == [None, None] and out[0] == [0.5, 0.5, 0.5]
    assert landmark_list(None) is None and landmark_list(np.full((33, 4), np.nan)) is None


def _result(state: EngineState, cue: tuple[str, object] | None, issues: tuple[str, ...] = ()) -> FrameResult:
    update = LiveUpdate(
        seq=1, session_id="s", t_s=1.0, wall=0.0, exercise="bridge", reps=state.reps, counting=True,
        phase=state.phase, hold_s=state.hold_s, hold_target_s=state.hold_target_s, issues=issues,
        cue=cue, new_cue=cue, new_rep=None, feats={}, fps=25.0, input_fps=30.0, dropped=0, model="lite",
        latency_ms=math.nan,
    )  # type: ignore[arg-type]  # fmt: skip
    lm = np.full((33, 4), 0.4)
    return FrameResult(
        update=update, state=state, landmarks=lm, side=Side.LEFT, template=load_template("bridge"),
        lang="en", size=(640, 480),
    )  # fmt: skip


def test_overlay_message_carries_the_state_in_words_and_is_strict_json() -> None:
    from formcheck.core.templates import Text

    state = EngineState(
        t_s=1.0, phase="up", counting=True, reps=3, hold_s=2.0, hold_target_s=5.0, cue=None, new_cue=None,
        new_rep=None, issues=(), live_faults=(), bad_joints=frozenset({"hip"}),
    )  # fmt: skip
    msg = overlay_message(_result(state, ("hips_not_high", Text(nl="Hoger", en="Higher"))), seq=9, first=True)
    text = json.dumps(msg, allow_nan=False)  # NaN latency went out as null, not as an invalid NaN
    back = json.loads(text)
    assert back["seq"] == 9 and back["reps"] == 3 and back["hold_s"] == 2.0 and back["latency_ms"] is None
    assert back["cue"] == "Higher" and back["cue_kind"] == "fix" and back["new_cue"] is True
    assert back["bad"] == sorted([int(Lm.LEFT_HIP), int(Lm.RIGHT_HIP)])
    assert len(back["bones"]) == len(BONES) and len(back["lm"]) == 33
    assert "bones" not in overlay_message(_result(state, None), seq=10)


def test_overlay_message_carries_the_reps_per_leg_and_the_leg_held() -> None:
    import dataclasses

    state = EngineState(
        t_s=1.0, phase="top", counting=True, reps=3, hold_s=4.0, hold_target_s=20.0, cue=None, new_cue=None,
        new_rep=None, issues=(), live_faults=(), bad_joints=frozenset(), side="left",
        leg_reps={"left": 2, "right": 1},
    )  # fmt: skip
    res = _result(state, None)
    res = dataclasses.replace(
        res, update=dataclasses.replace(res.update, side="left", leg_reps=state.leg_reps)
    )
    msg = overlay_message(res, seq=1)
    assert msg["legs"] == ["Left 2", "Right 1"] and msg["hold_leg"] == "Left"
    resting = dataclasses.replace(res, update=dataclasses.replace(res.update, hold_s=0.0))
    assert overlay_message(resting, seq=2)["hold_leg"] is None
    plain = overlay_message(_result(state, None), seq=3)  # bridge: a single count
    assert plain["legs"] is None and plain["hold_leg"] is None


def test_a_setup_problem_shows_as_the_banner_when_there_is_no_cue() -> None:
    from formcheck.core.messages import message

    state = EngineState(
        t_s=1.0, phase=None, counting=False, reps=0, hold_s=0.0, hold_target_s=5.0, cue=None, new_cue=None,
        new_rep=None, issues=("no_person",), live_faults=(), bad_joints=frozenset(),
    )  # fmt: skip
    msg = overlay_message(_result(state, None, issues=("no_person",)), seq=1)
    assert msg["cue"] == message("no_person", "en") and msg["cue_kind"] == "setup"
    assert msg["issues"] == [message("no_person", "en")]
