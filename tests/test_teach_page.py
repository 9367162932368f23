"""The teach page (issue 9, point 3): its pure helpers without Streamlit, and the page in ``AppTest`` with a
demonstration already read (``AppTest`` cannot upload a file; the upload path is the same read as
``formcheck teach``, tested in test_teach.py)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import load_trace
from streamlit.testing.v1 import AppTest

from formcheck.analysis.teach import teach_trace, validate
from formcheck.core.messages import message
from formcheck.core.teach import TeachError
from formcheck.core.templates import available, load_template
from formcheck.pose.pipeline import trace_features
from formcheck.webapp.nav import page_path
from formcheck.webapp.pages.teach import DEMO_KEY
from formcheck.webapp.teach_view import apply_edits, count_limits, edits_of, plots, rep_rows

APP = str(Path(__file__).resolve().parent.parent / "app.py")
DEMO = "istock_hanshitha_glute_bridges"


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    trace = load_trace(DEMO)
    _side, feats = trace_features(trace)
    return teach_trace(trace, "my_bridge"), trace.times, feats


# ----------------------------------------------------------------------------------------- pure helpers


def test_unchanged_edits_give_the_same_template(demo) -> None:  # type: ignore[no-untyped-def]
    taught = demo[0]
    assert validate(apply_edits(taught, edits_of(taught)))[0] == validate(taught)[0]


def test_edits_reach_the_saved_file(demo) -> None:  # type: ignore[no-untyped-def]
    taught = demo[0]
    e = edits_of(taught)
    e.name, e.title_nl, e.title_en = "Brug van Anna", "Brug van Anna", "Anna's bridge"
    e.min_range = 20.0
    e.hold_min_s = 4.0
    e.tolerances = {f: 33.0 for f in e.tolerances}
    e.from_start = True
    text, template = validate(apply_edits(taught, e))
    data = tomllib.loads(text)
    assert template.name == "brug_van_anna" and template.title.en == "Anna's bridge"
    assert template.count.min_range == 20.0 and template.count.from_start
    assert template.hold is not None and template.hold.min_s == 4.0 and template.hold.max_s >= 5.0
    for f in data["faults"]:
        assert f["above"] - f["below"] == pytest.approx(66.0)


def test_a_zero_least_movement_is_refused_by_the_template_check(demo) -> None:  # type: ignore[no-untyped-def]
    from formcheck.core.templates import TemplateError

    e = edits_of(demo[0])
    e.min_range = 0.0
    with pytest.raises(TemplateError, match="min_range"):
        validate(apply_edits(demo[0], e))


def test_plots_draw_the_count_signal_and_each_still_feature_with_their_limits(demo) -> None:  # type: ignore[no-untyped-def]
    taught, times, feats = demo
    svgs = plots(taught, times, feats, "en")
    assert len(svgs) == 1 + len(taught.still)
    assert all(s.startswith("<svg") and "http" not in s.split(">", 1)[1] for s in svgs)
    assert "least movement" in svgs[0] and "rest" in svgs[0]
    rest, least = count_limits(taught, feats[taught.movement.feature], "en")
    assert least.value - rest.value == pytest.approx(taught.min_range)  # a bridge goes up from rest
    assert "lower limit" in svgs[1] and "upper limit" in svgs[1]


def test_rep_rows_say_every_demonstrated_rep(demo) -> None:  # type: ignore[no-untyped-def]
    rows = rep_rows(demo[0], "nl")
    assert len(rows) == len(demo[0].reps) and "vastgehouden (s)" in rows[0]


# ---------------------------------------------------------------------------------------------- the page


@pytest.fixture
def at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FORMCHECK_EXERCISES_DIR", str(tmp_path / "exercises"))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page(page_path("teach")).run()
    assert not app.exception, app.exception
    yield app


def test_the_page_asks_for_a_demonstration(at: AppTest) -> None:
    assert at.header[0].value == message("page_teach", "nl")
    assert not at.button  # nothing to save yet


def test_a_demonstration_is_shown_edited_and_saved_then_listed(at: AppTest, demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    taught = demo[0]
    at.session_state[DEMO_KEY] = ("demo.mp4", load_trace(DEMO), "my_bridge")
    at.run()
    assert not at.exception, at.exception
    assert sum(m.value.startswith("<svg") for m in at.markdown) == 1 + len(taught.still)  # the plots
    at.text_input(key="fc_teach_name").set_value("anna_bridge")
    at.number_input(key="fc_teach_min_range").set_value(18.0)
    at.button(key="fc_teach_save").click().run()
    assert not at.exception, at.exception
    saved = tmp_path / "exercises" / "anna_bridge.toml"
    assert saved.is_file() and (tmp_path / "exercises" / "anna_bridge.demo.json").is_file()
    assert "anna_bridge" in available() and load_template("anna_bridge").count.min_range == 18.0
    assert at.success[-1].value.startswith("Bewaard als 'anna_bridge'")
    before = saved.read_bytes()
    at.number_input(key="fc_teach_min_range").set_value(16.0)
    at.button(key="fc_teach_save").click().run()  # saving again without "replace": refused, file kept
    assert message("teach_name_taken", "nl").split("'")[0] in at.error[-1].value
    assert saved.read_bytes() == before


def test_a_builtin_name_is_refused_in_the_page(at: AppTest, tmp_path: Path) -> None:
    at.session_state[DEMO_KEY] = ("demo.mp4", load_trace(DEMO), "my_bridge")
    at.run()
    at.text_input(key="fc_teach_name").set_value("bridge")
    at.button(key="fc_teach_save").click().run()
    assert "ingebouwde oefening" in at.error[-1].value
    assert not (tmp_path / "exercises").exists()


def test_a_demonstration_that_cannot_be_used_is_one_message(at: AppTest) -> None:
    at.session_state[DEMO_KEY] = (
        "demo.mp4",
        TeachError("teach_unreadable", reason="x.mp4: not a video"),
        "x",
    )
    at.run()
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "kan niet worden gelezen" in at.error[0].value
    assert not at.button


def test_choosing_too_short_a_part_of_the_demonstration_is_one_message(at: AppTest) -> None:
    """The physio leaves out the walking in and out; a part with one rep left is refused, the full part
    comes back."""
    at.session_state[DEMO_KEY] = ("demo.mp4", load_trace(DEMO), "my_bridge")
    at.run()
    assert at.success and "3" in at.success[0].value
    at.slider(key="fc_teach_part").set_value((0.0, 6.0)).run()  # the first bridge only
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "minstens 2" in at.error[0].value and not at.button
    at.slider(key="fc_teach_part").set_value((0.0, 18.8)).run()
    assert not at.error and at.button(key="fc_teach_save")


def test_two_people_in_the_demonstration_are_refused() -> None:
    import dataclasses

    tr = load_trace(DEMO)
    with pytest.raises(TeachError) as e:
        teach_trace(dataclasses.replace(tr, n_people=np.full(tr.frames, 2)), "two")
    assert e.value.code == "teach_two_people"


# --------------------------------------------------------------------------- live: the coach page's reps


def test_the_live_matcher_compares_a_rep_as_the_offline_analysis_does(demo) -> None:  # type: ignore[no-untyped-def]
    from formcheck.core.teach import DemoMatcher, compare_rep

    taught, times, feats = demo
    ref = taught.reference
    matcher = DemoMatcher(ref, keep_s=30.0)
    names = list(ref.features)
    for i, t_s in enumerate(times):
        matcher.add(float(t_s), {f: float(feats[f][i]) for f in names})
        if t_s >= taught.reps[-1].end_s:
            break
    r = taught.reps[-1]
    live = matcher.compare(r.start_s, r.end_s)
    offline = compare_rep(ref, times, feats, r.start_s, r.end_s)
    assert live is not None and offline is not None
    assert live.score == offline.score and live.code == offline.code
    assert matcher.compare(r.start_s - 100, r.start_s - 90) is None  # no longer kept


def test_summary_rows_show_each_rep_against_the_demonstration(demo) -> None:  # type: ignore[no-untyped-def]
    from formcheck.store.history import SessionRecord
    from formcheck.webapp.summary import summary_rows

    _text, template = validate(demo[0])
    rec = SessionRecord(id="x", started_at="2026-01-01T00:00:00+00:00", exercise="my_bridge", mode="coach")
    rec.reps = [
        {"index": 1, "score": 90.0, "faults": [], "hold_s": 2.0, "demo": {"score": 71.0, "cue": "Zo."}},
        {"index": 2, "score": 80.0, "faults": [], "hold_s": 2.0},
    ]
    rows = summary_rows(rec, template, "nl")
    assert rows[0][message("col_demo", "nl")] == "71 · Zo." and rows[1][message("col_demo", "nl")] == ""
    rec.reps = [rec.reps[1]]
    assert message("col_demo", "nl") not in summary_rows(rec, template, "nl")[0]  # a built-in exercise


@pytest.mark.model
def test_live_coaching_with_a_taught_exercise_compares_each_rep(demo, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The real model on the committed one-bridge clip, frame by frame through the live processor, coached
    with the exercise taught from another person's bridges: the rep is counted and compared."""
    import cv2

    from formcheck.analysis.teach import save
    from formcheck.store.history import SessionStore
    from formcheck.webapp.live import CoachSession, LiveProcessor, LiveSettings

    monkeypatch.setenv("FORMCHECK_EXERCISES_DIR", str(tmp_path / "exercises"))
    save(demo[0])
    store = SessionStore(tmp_path / "data")
    coach = CoachSession(LiveSettings(exercise="my_bridge", lang="en", model="lite"), store=store)
    proc = LiveProcessor(coach)
    cap = cv2.VideoCapture(str(Path(__file__).parent / "data" / "clips" / "physioplus_bridging.mp4"))
    try:
        i = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            proc.process_image(frame, i / 30.0)
            i += 1
    finally:
        cap.release()
        proc.on_ended()
    coach.flush()
    reps = store.recent()[0].reps
    assert len(reps) == 1, reps  # labelled: 1 rep
    assert 0 <= reps[0]["demo"]["score"] <= 100 and reps[0]["demo"]["cue"]
