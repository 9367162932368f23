"""The live board's and the summary's pure helpers for per-leg exercises (no Streamlit): reps per leg on the
board, the leg of a hold, the spoken count with its leg, the leg of each rep in the summary table."""

from __future__ import annotations

import pytest

from formcheck.core.engine import RepRecord
from formcheck.core.messages import leg_counts_text, message
from formcheck.core.templates import Template, load_template
from formcheck.store.history import SessionRecord, rep_to_dict
from formcheck.webapp import markup
from formcheck.webapp.live import LiveUpdate
from formcheck.webapp.readout import readout, speech_items
from formcheck.webapp.summary import summary_rows


@pytest.fixture(scope="module")
def k2c() -> Template:
    return load_template("knee_to_chest")


@pytest.fixture(scope="module")
def bridge() -> Template:
    return load_template("bridge")


def update(**kw: object) -> LiveUpdate:
    base: dict[str, object] = dict(
        seq=1, session_id="s", t_s=1.0, wall=0.0, exercise="knee_to_chest", reps=3, counting=True,
        phase=None, hold_s=0.0, hold_target_s=20.0, issues=(), cue=None, new_cue=None, new_rep=None, feats={},
        fps=27.0, input_fps=30.0, dropped=0, model="lite", latency_ms=40.0,
    )  # fmt: skip
    base.update(kw)
    return LiveUpdate(**base)  # type: ignore[arg-type]


def rep(i: int, side: str | None) -> RepRecord:
    return RepRecord(
        index=i, start_s=2.0 * i, turn_s=2.0 * i + 1, end_s=2.0 * i + 2, peaks={}, rom={}, hold_s=21.0,
        tempo_s={}, faults=(), score=100.0, technique=None, reba=None, side=side,
    )  # fmt: skip


def test_leg_counts_in_dutch_and_english() -> None:
    assert leg_counts_text({"left": 2, "right": 1}, "nl") == "Links 2 · Rechts 1"
    assert leg_counts_text({"left": 2, "right": 1}, "en") == "Left 2 · Right 1"


def test_board_shows_the_reps_per_leg(k2c: Template) -> None:
    r = readout(update(leg_reps={"left": 2, "right": 1}), k2c, "nl")
    assert r.reps == 3 and r.legs == "Links 2 · Rechts 1"
    html = markup.board_html(r)
    assert 'id="fc-legs"' in html and "Links 2 · Rechts 1" in html and 'data-reps="3"' in html
    assert readout(update(leg_reps={"left": 1, "right": 2}), k2c, "en").legs == "Left 1 · Right 2"
    assert readout(None, k2c, "en").legs == "Left 0 · Right 0"  # before the first frame


def test_board_names_the_leg_being_held(k2c: Template) -> None:
    assert k2c.hold is not None
    held = update(phase=k2c.hold.phase, hold_s=5.0, side="right", leg_reps={"left": 1, "right": 0})
    r = readout(held, k2c, "nl")
    assert r.hold_label == f"{message('hold_label', 'nl')} · rechts" and r.hold_left_s == pytest.approx(15.0)
    assert "Vasthouden · rechts" in markup.board_html(r)
    assert readout(held, k2c, "en").hold_label == "Hold · right"
    resting = readout(update(phase=None, side=None, leg_reps={"left": 1, "right": 0}), k2c, "en")
    assert resting.hold_label == message("hold_label", "en")  # no hold going: no leg


def test_other_exercises_keep_the_single_count(bridge: Template) -> None:
    r = readout(update(exercise="bridge", reps=4, phase="top", hold_s=2.0, hold_target_s=5.0), bridge, "en")
    assert r.legs == "" and r.hold_label == message("hold_label", "en")
    assert 'id="fc-legs"' not in markup.board_html(r)
    assert readout(None, bridge, "nl").legs == ""


def test_spoken_count_says_the_leg_and_its_count() -> None:
    said = update(seq=4, reps=3, new_rep=rep(3, "left"), leg_reps={"left": 2, "right": 1})
    assert speech_items([said], "nl") == [("s-4-rep", "links, 2", "nl")]
    assert speech_items([said], "en") == [("s-4-rep", "left, 2", "en")]
    plain = update(seq=5, exercise="bridge", reps=4, new_rep=rep(4, None))
    assert speech_items([plain], "nl") == [("s-5-rep", "4", "nl")]


def _record(exercise: str, reps: list[RepRecord]) -> SessionRecord:
    return SessionRecord(
        id="x", started_at="2025-01-01T00:00:00+00:00", exercise=exercise, reps=[rep_to_dict(r) for r in reps]
    )


def test_summary_table_shows_the_leg_of_each_rep(k2c: Template, bridge: Template) -> None:
    rows = summary_rows(_record("knee_to_chest", [rep(1, "left"), rep(2, "right")]), k2c, "nl")
    col = message("col_leg", "nl")
    assert [r[col] for r in rows] == ["links", "rechts"]
    assert list(rows[0])[:2] == [message("col_rep", "nl"), col]  # beside the rep number
    assert rows[0][message("col_hold", "nl")] == pytest.approx(21.0)
    plain = summary_rows(_record("bridge", [rep(1, None)]), bridge, "en")
    assert message("col_leg", "en") not in plain[0]
