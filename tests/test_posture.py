"""Posture measures, one frame's posture, the baseline, and the monitor template (core/posture*.py)."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from sitting import SIZE, nobody, sitter

from formcheck.core.posture import (
    Baseline,
    auto_baseline,
    baseline_of,
    classify,
    frame_measures,
    head_down,
    measure,
    present,
    view_of,
)
from formcheck.core.posture_template import load_monitor, parse_monitor
from formcheck.core.templates import TemplateError, available, builtin_dir, load_template, parse_template

TEMPLATE = load_monitor("desk_posture")
LIMITS = TEMPLATE.limits


def measures_of(**kw: float) -> dict[str, float]:
    """The measures of one synthetic frame."""
    lm, w = sitter(**kw)
    return frame_measures(measure(lm[None], w[None], SIZE), 0)


def base_of(**kw: float) -> Baseline:
    b = baseline_of([measures_of(**kw)] * 10)
    assert b is not None
    return b


# ------------------------------------------------------------------------------------------- measures


@pytest.mark.parametrize("yaw", [0.0, 45.0, 90.0])
def test_measures_read_the_angles_from_any_view(yaw: float) -> None:
    m = measures_of(trunk_forward=17.0, trunk_side=-6.0, neck_forward=33.0, head_pitch=21.0, yaw=yaw)
    got = [m["trunk_forward"], m["trunk_side"], m["neck_forward"], m["head_pitch"], m["yaw"]]
    np.testing.assert_allclose(got, [17.0, -6.0, 33.0, 21.0, yaw], atol=0.5, err_msg=f"yaw {yaw}")


def test_trunk_measures_need_the_hips_seen() -> None:
    m = measures_of(hips_seen=False)
    assert math.isnan(m["trunk_forward"]) and math.isnan(m["trunk_side"])
    assert present(m) and math.isfinite(m["neck_forward"])


def test_views_by_yaw() -> None:
    assert [view_of(y) for y in (5.0, 45.0, 80.0, math.nan)] == ["front", "oblique", "side", "oblique"]


def test_no_person_is_away() -> None:
    lm, w = nobody()
    m = frame_measures(measure(lm[None], w[None], SIZE), 0)
    assert not present(m)
    assert classify(m, LIMITS, None, "front") == "away"


# ------------------------------------------------------------------------------------ one frame's posture


@pytest.mark.parametrize(
    ("change", "view", "want"),
    [
        ({}, "front", "upright"),
        ({"trunk_forward": 15.0}, "side", "slouched"),
        ({"trunk_forward": -12.0}, "side", "leaning_back"),
        ({"trunk_side": 12.0}, "front", "leaning_side"),
        ({"neck_forward": 27.0}, "side", "forward_head"),
        ({"trunk_forward": 8.0, "neck_forward": 10.0}, "side", "upright"),  # within the limits of change
    ],
)
def test_posture_relative_to_the_baseline(change: dict[str, float], view: str, want: str) -> None:
    yaw = {"front": 0.0, "side": 90.0}[view]
    base = base_of(trunk_forward=3.0, neck_forward=10.0, yaw=yaw)
    kw = {"trunk_forward": 3.0, "neck_forward": 10.0, "yaw": yaw}
    kw.update({k: kw.get(k, 0.0) + v for k, v in change.items()})
    assert classify(measures_of(**kw), LIMITS, base, base.view) == want


def test_side_lean_is_not_judged_from_a_side_view() -> None:
    """Seen from the side, a sideways tilt is only a depth guess."""
    base = base_of(yaw=90.0)
    assert classify(measures_of(trunk_side=25.0, yaw=90.0), LIMITS, base, "side") == "upright"


def test_the_baseline_makes_the_difference() -> None:
    """A person who sits at 5 degrees: 18 is slouched for them (change 13 >= 12) but within the fixed 20."""
    m = measures_of(trunk_forward=18.0, yaw=90.0)
    assert classify(m, LIMITS, base_of(trunk_forward=5.0, yaw=90.0), "side") == "slouched"
    assert classify(m, LIMITS, None, "side") == "upright"
    assert classify(measures_of(trunk_forward=25.0, yaw=90.0), LIMITS, None, "side") == "slouched"


def test_fixed_limits_hold_even_when_the_calibration_was_slouched() -> None:
    base = base_of(neck_forward=38.0, yaw=90.0)
    assert classify(measures_of(neck_forward=44.0, yaw=90.0), LIMITS, base, "side") == "forward_head"


def test_leaning_back_is_not_judged_from_the_front_without_a_baseline() -> None:
    m = measures_of(trunk_forward=-25.0)
    assert classify(m, LIMITS, None, "front") == "upright"
    assert classify(m, LIMITS, None, "side") == "leaning_back"


def test_head_and_shoulders_only() -> None:
    """A laptop camera that sees no hips: the head sinking is a slouch, the shoulder line a side lean."""
    base = base_of(hips_seen=False)
    assert classify(measures_of(hips_seen=False), LIMITS, base, "front") == "upright"
    assert classify(measures_of(hips_seen=False, head_drop=0.09), LIMITS, base, "front") == "slouched"
    assert classify(measures_of(hips_seen=False, trunk_side=14.0), LIMITS, base, "front") == "leaning_side"


def test_head_down() -> None:
    base = base_of(head_pitch=5.0)
    assert not head_down(measures_of(head_pitch=15.0), LIMITS, base)
    assert head_down(measures_of(head_pitch=30.0), LIMITS, base)  # change 25 >= 20
    assert head_down(measures_of(head_pitch=40.0), LIMITS, None)  # fixed 35


# --------------------------------------------------------------------------------------------- baseline


def test_baseline_is_the_median_and_needs_the_person_seen() -> None:
    frames = [measures_of(neck_forward=n) for n in (10.0, 12.0, 30.0, 11.0, 13.0)]
    b = baseline_of(frames)
    assert b is not None and b.get("neck_forward") == pytest.approx(12.0, abs=0.1)
    away = frame_measures(measure(*(x[None] for x in nobody()), SIZE), 0)
    assert baseline_of(frames[:2] + [away] * 3) is None
    assert baseline_of([]) is None


def test_auto_baseline_takes_the_usual_upright_stretch() -> None:
    """A recording that starts slouched: the baseline comes from where the person sits as usual."""
    kinds = [dict(trunk_forward=35.0, neck_forward=45.0)] * 40 + [dict(trunk_forward=4.0)] * 100
    kinds += [dict(trunk_forward=-15.0, neck_forward=0.0)] * 30
    frames = [sitter(yaw=90.0, **k) for k in kinds]
    lm, w = np.stack([f[0] for f in frames]), np.stack([f[1] for f in frames])
    times = np.arange(len(frames)) / 10.0
    b = auto_baseline(measure(lm, w, SIZE), times, LIMITS, 3.0)
    assert b is not None and b.window_s is not None
    assert b.window_s[0] >= 2.5 and b.window_s[1] <= 14.0  # mostly (the median: all) in the upright part
    assert b.get("trunk_forward") == pytest.approx(4.0, abs=0.5)
    assert b.get("neck_forward") == pytest.approx(10.0, abs=0.5)


def test_auto_baseline_none_when_never_upright() -> None:
    frames = [sitter(trunk_forward=35.0, yaw=90.0) for _ in range(50)]
    lm, w = np.stack([f[0] for f in frames]), np.stack([f[1] for f in frames])
    assert auto_baseline(measure(lm, w, SIZE), np.arange(50) / 10.0, LIMITS, 3.0) is None


# --------------------------------------------------------------------------------------------- template


def raw() -> dict:
    return tomllib.loads((builtin_dir() / "desk_posture.toml").read_text(encoding="utf-8"))


def test_monitor_template_loads() -> None:
    assert TEMPLATE.timing.calibration_s == 3.0 and TEMPLATE.timing.stand_after_s == 1800.0
    assert set(TEMPLATE.views) == {"front", "side"}
    for code, text in TEMPLATE.reminders.items():
        assert text.nl and text.en and text.nl != text.en, code


def test_monitor_is_listed_apart_from_the_exercises() -> None:
    assert "desk_posture" not in available()
    assert available("monitor") == ["desk_posture"]
    for name in available():  # the exercises still load
        assert load_template(name).name == name
    with pytest.raises(TemplateError, match="posture monitor"):
        load_template("desk_posture")
    with pytest.raises(TemplateError, match="kind"):
        parse_template(raw(), "desk_posture.toml")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda d: d["limits"].update(slouch_change=-3.0), "limits.slouch_change"),
        (lambda d: d["limits"].update(back_fixed=10.0), "limits.back_fixed"),
        (lambda d: d["limits"].pop("neck_fixed"), "limits.neck_fixed: missing"),
        (lambda d: d["timing"].update(typo_s=3.0), "timing.typo_s: unknown key"),
        (lambda d: d["timing"].update(calibration_s=0.0), "timing.calibration_s"),
        (lambda d: d["reminders"].pop("stand_up"), "reminders.stand_up: missing"),
        (lambda d: d["reminders"]["slouched"].pop("nl"), "reminders.slouched.nl: missing"),
        (lambda d: d["camera"].update(views=["top"]), "camera.views"),
        (lambda d: d.update(kind="exercise"), "kind"),
    ],
)
def test_monitor_template_is_strict(edit, match: str) -> None:
    data = raw()
    edit(data)
    with pytest.raises(TemplateError, match=match):
        parse_monitor(data, "my_monitor.toml")
