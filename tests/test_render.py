"""Tests of the video overlay and the camera set-up diagram: synthetic frames, assertions on pixels."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from formcheck.core.cues import CueEvent, cue_is_good
from formcheck.core.engine import EngineState
from formcheck.core.geometry import compute_features
from formcheck.core.landmarks import Lm, Side
from formcheck.core.messages import MESSAGES
from formcheck.core.templates import Template, Text, load_template
from formcheck.draw import guide, overlay
from formcheck.draw import text as dtext

W, H = 640, 480
GREY = 128


@pytest.fixture(scope="module")
def bridge() -> Template:
    return load_template("bridge")


@pytest.fixture(scope="module")
def lifting() -> Template:
    return load_template("lifting")


def frame(w: int = W, h: int = H) -> np.ndarray:
    """A plain grey BGR frame."""
    return np.full((h, w, 3), GREY, np.uint8)


def squat_pose() -> np.ndarray:
    """A crouching person seen from their right side, in the middle of the picture: ``(33, 4)``."""
    pts = {
        "SHOULDER": (0.58, 0.30),
        "ELBOW": (0.62, 0.45),
        "WRIST": (0.66, 0.58),
        "HIP": (0.40, 0.45),
        "KNEE": (0.52, 0.58),
        "ANKLE": (0.45, 0.76),
        "HEEL": (0.43, 0.78),
        "FOOT_INDEX": (0.52, 0.78),
        "EAR": (0.64, 0.23),
    }
    lm = np.full((33, 4), np.nan)
    for name, (x, y) in pts.items():
        lm[Lm[f"RIGHT_{name}"]] = (x, y, -0.1, 0.95)
        lm[Lm[f"LEFT_{name}"]] = (x - 0.01, y, 0.1, 0.9)
    lm[Lm.NOSE] = (0.68, 0.24, 0.0, 0.95)
    return lm


def feats_of(lm: np.ndarray, w: int = W, h: int = H) -> dict[str, float]:
    f = compute_features(lm[None], (w, h), Side.RIGHT)
    return {k: float(v[0]) for k, v in f.items()}


def state(**kw: object) -> EngineState:
    base: dict[str, object] = {
        "t_s": 1.0,
        "phase": None,
        "counting": True,
        "reps": 0,
        "hold_s": 0.0,
        "hold_target_s": 0.0,
        "cue": None,
        "new_cue": None,
        "new_rep": None,
        "issues": (),
        "live_faults": (),
        "bad_joints": frozenset(),
    }
    base.update(kw)
    return EngineState(**base)  # type: ignore[arg-type]


def px(lm: np.ndarray, i: int, w: int = W, h: int = H) -> tuple[int, int]:
    """Pixel ``(x, y)`` of landmark ``i``."""
    return round(float(lm[i, 0] * w)), round(float(lm[i, 1] * h))


def patch(img: np.ndarray, xy: tuple[int, int], r: int) -> np.ndarray:
    x, y = xy
    return img[max(0, y - r) : y + r + 1, max(0, x - r) : x + r + 1].reshape(-1, 3).astype(int)


def is_red(p: np.ndarray) -> np.ndarray:
    return (p[:, 2] > 180) & (p[:, 1] < 110) & (p[:, 0] < 110)


def is_green(p: np.ndarray) -> np.ndarray:
    return (p[:, 1] > 160) & (p[:, 2] < 130) & (p[:, 0] < 130)


def cue(code: str, text: str = "Buig je knieën: til met je benen, niet met je rug.") -> CueEvent:
    return CueEvent(t_s=1.0, code=code, text=Text(nl=text, en=text), priority=1)


# ------------------------------------------------------------------------------------------ overlay


def test_returns_same_frame_shape_and_dtype(lifting: Template) -> None:
    img = frame()
    lm = squat_pose()
    out = overlay.draw_overlay(
        img, lm, state(reps=2, phase="bottom"), lifting, "nl", feats_of(lm), Side.RIGHT
    )
    assert out is img
    assert out.shape == (H, W, 3) and out.dtype == np.uint8
    assert (out != GREY).any()


def test_rejects_non_bgr_frames(lifting: Template) -> None:
    with pytest.raises(ValueError):
        overlay.draw_overlay(np.zeros((H, W), np.uint8), None, state(), lifting, "nl", {}, Side.RIGHT)


def test_bad_joint_red_good_joint_green(lifting: Template) -> None:
    lm = squat_pose()
    img = overlay.draw_overlay(
        frame(), lm, state(bad_joints=frozenset({"hip"})), lifting, "nl", feats_of(lm), Side.RIGHT
    )
    hip, knee, wrist = px(lm, Lm.RIGHT_HIP), px(lm, Lm.RIGHT_KNEE), px(lm, Lm.RIGHT_WRIST)
    assert is_red(patch(img, hip, 3)).all()  # the disc of a faulty joint
    assert is_green(patch(img, knee, 3)).all()  # a fine joint
    assert is_green(patch(img, wrist, 3)).all()
    assert not is_red(patch(img, wrist, 12)).any()
    # the far side's hip is marked too (side-free joint names cover both sides)
    assert is_red(patch(img, px(lm, Lm.LEFT_HIP), 12)).any() or is_red(patch(img, hip, 20)).any()


def test_joint_names_map_to_both_sides() -> None:
    assert overlay.bad_landmarks(frozenset({"hip", "wrist"})) == {
        Lm.LEFT_HIP,
        Lm.RIGHT_HIP,
        Lm.LEFT_WRIST,
        Lm.RIGHT_WRIST,
    }
    assert overlay.bad_landmarks(frozenset({"not_a_joint"})) == frozenset()


def test_camera_side_is_drawn_thicker(lifting: Template) -> None:
    lm = squat_pose()
    lm[[Lm.LEFT_KNEE, Lm.LEFT_ANKLE], 0] -= 0.25  # the far shin apart, so both can be measured
    img = overlay.draw_overlay(frame(), lm, state(), lifting, "nl", {}, Side.RIGHT)

    def width_at_mid(a: int, b: int) -> int:
        (xa, ya), (xb, yb) = px(lm, a), px(lm, b)
        y = (ya + yb) // 2
        row = img[y, min(xa, xb) - 20 : max(xa, xb) + 20].astype(int)
        return int((np.abs(row - GREY).sum(axis=1) > 60).sum())

    assert width_at_mid(Lm.RIGHT_KNEE, Lm.RIGHT_ANKLE) > width_at_mid(Lm.LEFT_KNEE, Lm.LEFT_ANKLE)


def test_low_visibility_is_dimmer(lifting: Template) -> None:
    lm = squat_pose()
    a = overlay.draw_overlay(frame(), lm, state(), lifting, "nl", {}, Side.RIGHT)
    lm2 = lm.copy()
    lm2[Lm.RIGHT_WRIST, 3] = 0.3
    b = overlay.draw_overlay(frame(), lm2, state(), lifting, "nl", {}, Side.RIGHT)
    wrist = px(lm, Lm.RIGHT_WRIST)
    assert patch(b, wrist, 2)[:, 1].mean() < patch(a, wrist, 2)[:, 1].mean() - 40
    lm2[[Lm.RIGHT_WRIST, Lm.LEFT_WRIST], 3] = 0.05  # skipped entirely
    c = overlay.draw_overlay(frame(), lm2, state(), lifting, "nl", {}, Side.RIGHT)
    assert (patch(c, wrist, 1) == GREY).all()


@pytest.mark.parametrize("landmarks", [None, np.full((33, 4), np.nan)])
def test_no_pose(lifting: Template, landmarks: np.ndarray | None) -> None:
    img = frame()
    nan_feats = {k: float("nan") for k in lifting.display}
    overlay.draw_overlay(img, landmarks, state(issues=("no_person",)), lifting, "en", nan_feats, Side.LEFT)
    assert (img[H // 3 : H // 2, W // 3 : 2 * W // 3] == GREY).all()  # no skeleton in the middle
    assert (img[-20, 30] != GREY).any()  # the set-up message banner


def test_cue_banner_colour(lifting: Template) -> None:
    def draw(c: CueEvent | None) -> np.ndarray:
        return overlay.draw_overlay(frame(), None, state(cue=c), lifting, "nl", {}, Side.RIGHT)

    blank, bad = draw(None), draw(cue("knees_straight"))
    good, done = draw(cue("good_rep", "Goed!")), draw(cue("hold_short_done", "Goed."))
    band = (slice(H - 60, H - 15), slice(20, W - 20))
    assert (blank[band] == GREY).all()
    assert (bad[band] != GREY).any()
    b, g, r = (int(v) for v in bad[H - 20, 30])
    assert r > g + 60 and r > b + 60
    for img in (good, done):
        b, g, r = (int(v) for v in img[H - 20, 30])
        assert g > r + 40 and g > b + 40


def test_issue_shown_when_no_cue(bridge: Template) -> None:
    with_issue = overlay.draw_overlay(
        frame(), None, state(issues=("too_dark",)), bridge, "nl", {}, Side.RIGHT
    )
    _, g, r = (int(v) for v in with_issue[H - 20, 30])
    assert r > g + 60
    # the cue wins over the issue: the banner holds the cue text, not the issue text
    c = cue("good_rep", "Mooi!")
    st = state(issues=("too_dark",), cue=c)
    both = overlay.draw_overlay(frame(), None, st, bridge, "nl", {}, Side.RIGHT)
    _, g, r = (int(v) for v in both[H - 20, 30])
    assert g > r


def test_long_cue_wraps_onto_two_lines() -> None:
    text = MESSAGES["body_not_visible"].get("nl")
    size, lines = dtext._fit_lines(text, 30, 580, 2)
    assert 1 < len(lines) <= 2
    assert all(dtext.text_size(line, size)[0] <= 580 for line in lines)
    size, lines = dtext._fit_lines("woord " * 80, 30, 300, 2)
    assert len(lines) == 2 and lines[-1].endswith("…")


def test_hold_ring(bridge: Template) -> None:
    top = (slice(10, 110), slice(W // 2 - 40, W // 2 + 40))
    idle = overlay.draw_overlay(frame(), None, state(hold_target_s=5.0), bridge, "nl", {}, Side.RIGHT)
    holding = overlay.draw_overlay(
        frame(), None, state(phase="top", hold_s=2.0, hold_target_s=5.0), bridge, "nl", {}, Side.RIGHT
    )
    assert (idle[top] == GREY).all()
    assert (holding[top] != GREY).any()


def test_counter_phase_and_panel(bridge: Template) -> None:
    a = overlay.draw_overlay(frame(), None, state(reps=3), bridge, "nl", {}, Side.RIGHT)
    b = overlay.draw_overlay(frame(), None, state(reps=4), bridge, "nl", {}, Side.RIGHT)
    assert (a[:110, :240] != b[:110, :240]).any()  # the counter changed
    c = overlay.draw_overlay(frame(), None, state(reps=3, phase="top"), bridge, "nl", {}, Side.RIGHT)
    assert (c[110:150, :240] != a[110:150, :240]).any()  # the phase label
    feats = {"hip_angle": 171.0, "knee_angle": 95.0}
    d = overlay.draw_overlay(frame(), None, state(reps=3), bridge, "nl", feats, Side.RIGHT)
    assert (d[:90, W - 200 :] != a[:90, W - 200 :]).any()  # the angle values


def test_dutch_text_renders() -> None:
    m = dtext.text_mask("knieën 123°", 30)
    assert m.a.shape[0] > 20 and m.a.max() > 0.9
    if dtext.HAVE_PIL:
        umlaut = dtext.text_mask("ë", 40).a
        plain = dtext.text_mask("e", 40).a
        assert umlaut.shape == plain.shape and umlaut.sum() > plain.sum()  # the dots are drawn
        assert dtext.text_mask("°", 40).a.sum() > 0
    assert dtext.ascii_text("knieën 90°") == "knieen 90 deg"


def test_format_value() -> None:
    assert dtext.format_value("knee_angle", 123.4, "nl") == "123°"
    assert dtext.format_value("pelvis_height", 0.456, "nl") == "0,46"
    assert dtext.format_value("pelvis_height", 0.456, "en") == "0.46"
    assert dtext.format_value("hip_angle", float("nan"), "en") == "–"
    assert dtext.format_value("hip_angle", None, "en") == "–"
    assert dtext.format_metres(2.0, "nl") == "2" and dtext.format_metres(2.5, "nl") == "2,5"


def test_cue_colours() -> None:
    assert cue_is_good("good_rep") and cue_is_good("hold_short_done")
    assert not cue_is_good("knees_straight") and not cue_is_good("too_dark")


@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (160, 120)])
def test_other_frame_sizes(bridge: Template, size: tuple[int, int]) -> None:
    w, h = size
    lm = squat_pose()
    c = cue("overarching", "Niet te hoog: maak geen holle rug, span je buik aan.")
    st = state(reps=3, phase="top", hold_s=2.5, hold_target_s=5.0, cue=c, bad_joints=frozenset({"hip"}))
    img = overlay.draw_overlay(frame(w, h), lm, st, bridge, "nl", feats_of(lm, w, h), Side.RIGHT)
    assert img.shape == (h, w, 3)


def test_unknown_phase_and_edge_landmarks(bridge: Template) -> None:
    lm = squat_pose()
    lm[Lm.RIGHT_ANKLE, :2] = (1.3, -0.2)  # off the picture
    st = dataclasses.replace(state(), phase="no_such_phase")
    overlay.draw_overlay(frame(), lm, st, bridge, "en", feats_of(lm), Side.LEFT, scale=0.8)


# ------------------------------------------------------------------------------------------ setup guide


@pytest.mark.parametrize("name", ["bridge", "lifting"])
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_setup_guide(name: str, lang: str) -> None:
    t = load_template(name)
    img = guide.draw_setup_guide(800, 600, t, lang)
    assert img.shape == (600, 800, 3) and img.dtype == np.uint8
    assert img.std() > 10  # not blank
    dark = (img.astype(int).sum(axis=2) < 250).mean()
    assert 0.01 < dark < 0.5  # figure, camera and text, on a light background


def test_setup_guide_sizes_and_unknown_posture(lifting: Template) -> None:
    t = dataclasses.replace(lifting, name="something_new")  # falls back to a standing figure
    for w, h in ((320, 240), (1024, 400), (400, 700)):
        img = guide.draw_setup_guide(w, h, t, "nl")
        assert img.shape == (h, w, 3) and img.std() > 10
    with pytest.raises(ValueError):
        guide.draw_setup_guide(8, 8, t, "nl")


def test_every_template_posture_can_be_drawn() -> None:
    from formcheck.core import templates

    assert set(templates.POSTURES) <= set(guide.POSTURES)


def test_per_leg_counter_shows_reps_per_leg() -> None:
    """A per-leg exercise's counter carries a line of reps per leg under the big count; others do not."""
    k2c = load_template("knee_to_chest")
    plain = overlay.draw_overlay(frame(), None, state(reps=3), k2c, "nl", {}, Side.RIGHT)
    a = overlay.draw_overlay(
        frame(), None, state(reps=3, leg_reps={"left": 2, "right": 1}), k2c, "nl", {}, Side.RIGHT
    )
    b = overlay.draw_overlay(
        frame(), None, state(reps=3, leg_reps={"left": 1, "right": 2}), k2c, "nl", {}, Side.RIGHT
    )
    drawn = np.flatnonzero((a[:, : W // 2] != GREY).any(axis=(1, 2)))
    plain_drawn = np.flatnonzero((plain[:, : W // 2] != GREY).any(axis=(1, 2)))
    assert drawn.max() > plain_drawn.max() + 15  # the counter panel grew by the per-leg line
    rows = slice(plain_drawn.max() - 25, drawn.max())  # the per-leg line, below the big count
    assert (a[rows, : W // 2] != b[rows, : W // 2]).any()  # it follows the counts per leg
    assert (a[: plain_drawn.max() - 30] == b[: plain_drawn.max() - 30]).all()  # the total is the same


def test_per_leg_hold_caption_names_the_leg() -> None:
    k2c = load_template("knee_to_chest")
    top = (slice(0, 140), slice(W // 2 - 90, W // 2 + 90))
    held = {"phase": k2c.hold.phase, "hold_s": 4.0, "hold_target_s": 20.0} if k2c.hold else {}
    left = overlay.draw_overlay(frame(), None, state(side="left", **held), k2c, "en", {}, Side.RIGHT)
    right = overlay.draw_overlay(frame(), None, state(side="right", **held), k2c, "en", {}, Side.RIGHT)
    none = overlay.draw_overlay(frame(), None, state(**held), k2c, "en", {}, Side.RIGHT)
    assert (left[top] != right[top]).any() and (left[top] != none[top]).any()
