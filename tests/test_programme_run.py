"""Following a day's session set by set (the run logic without Streamlit, the clock passed in), the physio's
form turned into a programme, and the programme, progress and compose pages (Streamlit ``AppTest``)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_engine import FPS, GOOD_VIEW, bridge, bridge_trace

from formcheck.core.messages import message
from formcheck.core.programme import ProgrammeError, plan_for
from formcheck.pose.pipeline import LivePipeline
from formcheck.store.history import SessionRecord, SessionStore
from formcheck.store.programme import parse_programme_text, programme_to_toml
from formcheck.store.tracking import TrackingStore
from formcheck.webapp.compose import ItemForm, StageForm, compose
from formcheck.webapp.live import session_template
from formcheck.webapp.nav import page_path
from formcheck.webapp.programme_run import ProgrammeRun, event_text, set_settings, set_text
from formcheck.webapp.readout import readout

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PROG = """
schema = 1
title = "Twee oefeningen"
weeks = 2
days_per_week = 7
rest_s = 20
[[exercises]]
exercise = "bridge"
[[exercises.progression]]
from = 1
sets = 2
reps = 3
[[exercises]]
exercise = "cat_cow"
[[exercises.progression]]
from = 1
sets = 1
reps = 2
"""
DAY = date(2026, 3, 2)


def _run(
    folder: Path, exercises: tuple[str, ...] = ("bridge", "cat_cow")
) -> tuple[ProgrammeRun, TrackingStore]:
    tr = TrackingStore(SessionStore(folder))
    prog = parse_programme_text(PROG, "p.toml", exercises=("bridge", "cat_cow"))
    pid = tr.add_programme(programme_to_toml(prog), "Twee", DAY)
    sets = plan_for(prog, DAY, DAY).sets
    ps = tr.begin_session(pid, DAY, 1, sets, 3)
    return ProgrammeRun(tr, ps, sets, exercises), tr


def _rec(exercise: str, reps: int, rid: str | None = None) -> SessionRecord:
    rec = SessionRecord(
        id=rid or f"rec-{exercise}", started_at="2026-03-02T10:00:00+00:00", exercise=exercise
    )
    rec.reps = [{"index": i + 1, "score": 90.0, "faults": []} for i in range(reps)]
    return rec


def _title(name: str, lang: str) -> str:
    return {"bridge": "Bridge", "cat_cow": "Cat-cow"}.get(name, name)


def test_a_session_runs_set_by_set_with_rests_and_announcements(tmp_path: Path) -> None:
    run, tr = _run(tmp_path)
    # Reps before the stream is live, or of another exercise, do not count.
    assert run.poll(_rec("bridge", 0), live=False, now=0.0) == []
    assert run.poll(_rec("cat_cow", 5), live=True, now=0.1) == [] and run.done == 0
    # Set 1: the record already has 2 reps when the set begins; only the reps after that count.
    run.poll(_rec("bridge", 2), live=True, now=1.0)
    run.on_rep(_rec("bridge", 3))  # the video thread writes the count at once
    assert tr.sessions()[0].sets[0].done_reps == 1
    # Each new count is said once, with the set's own number (2, not the record's 4).
    counted = run.poll(_rec("bridge", 4), live=True, now=2.0)
    assert [(e.code, e.reps) for e in counted] == [("run_count", 2)] and run.done == 2
    assert event_text(counted[0], "nl", _title) == "2"
    assert run.poll(_rec("bridge", 4), live=True, now=2.5) == []
    events = run.poll(_rec("bridge", 5), live=True, now=3.0)
    assert [e.code for e in events] == ["run_count", "run_set_done", "run_next"]
    assert (events[2].exercise, events[2].reps) == ("bridge", 3)
    assert event_text(events[2], "en", _title) == "Next: Bridge, 3 times."
    assert event_text(events[1], "nl", _title) == "Set klaar. Rust 20 seconden."
    assert run.phase == "rest" and run.rest_left(3.0) == 20
    # Reps during the rest are not counted for any set; the countdown is said at 10 s.
    assert [e.code for e in run.poll(_rec("bridge", 7), live=True, now=13.5)] == ["run_rest_left"]
    assert run.poll(_rec("bridge", 7), live=True, now=14.0) == []  # said once
    assert [e.code for e in run.poll(_rec("bridge", 7), live=True, now=23.0)] == ["run_go"]
    assert run.phase == "set" and run.current().set_no == 2  # type: ignore[union-attr]
    run.poll(_rec("bridge", 7), live=True, now=23.3)
    assert run.done == 0
    # Set 2: the patient says "done" after 2 of 3; the next exercise is announced.
    assert [e.reps for e in run.poll(_rec("bridge", 9), live=True, now=30.0)] == [2]  # one poll, one count
    events = run.finish_set(31.0)
    assert [e.code for e in events] == ["run_set_done", "run_next"] and events[1].exercise == "cat_cow"
    run.skip_rest(31.5)
    run.poll(None, live=True, now=31.6)
    # Cat-cow: a new record (the coach switched exercise); its 2 reps complete the session.
    run.poll(_rec("cat_cow", 0), live=True, now=32.0)
    events = run.poll(_rec("cat_cow", 2), live=True, now=40.0)
    assert [e.code for e in events] == ["run_count", "run_session_done"] and run.phase == "done"
    assert run.totals() == (3 + 2 + 2, 3 + 3 + 2)
    stored = tr.sessions()[0]
    assert stored.ended_at is not None
    assert [(s.done_reps, s.state, s.session_id, s.rep_from) for s in stored.sets] == [
        (3, "done", "rec-bridge", 2),
        (2, "done", "rec-bridge", 7),
        (2, "done", "rec-cat_cow", 0),
    ]


def test_a_restarted_stream_mid_set_keeps_the_reps_so_far(tmp_path: Path) -> None:
    run, tr = _run(tmp_path)
    run.poll(_rec("bridge", 0, "a"), live=True, now=0.0)
    run.poll(_rec("bridge", 2, "a"), live=True, now=1.0)
    run.poll(_rec("bridge", 0, "b"), live=True, now=2.0)  # STOP, START: a new record
    run.poll(_rec("bridge", 1, "b"), live=True, now=3.0)
    assert run.done == 3 and run.phase == "rest"
    assert tr.sessions()[0].sets[0].done_reps == 3


def test_a_per_side_set_counts_only_the_reps_of_its_leg(tmp_path: Path) -> None:
    prog = parse_programme_text(
        PROG.replace('exercise = "bridge"', 'exercise = "bridge"\nper_side = true'),
        "p",
        ("bridge", "cat_cow"),
    )
    tr = TrackingStore(SessionStore(tmp_path))
    pid = tr.add_programme(programme_to_toml(prog), "Twee", DAY)
    sets = plan_for(prog, DAY, DAY).sets
    assert [(s.exercise, s.side) for s in sets[:2]] == [("bridge", "left"), ("bridge", "right")]
    run = ProgrammeRun(tr, tr.begin_session(pid, DAY, 1, sets, None), sets, ("bridge", "cat_cow"))
    rec = _rec("bridge", 0)
    run.poll(rec, live=True, now=0.0)
    rec.reps += [{"index": 1, "side": "right"}, {"index": 2, "side": "left"}, {"index": 3, "side": "left"}]
    run.on_rep(rec)
    assert [e.reps for e in run.poll(rec, live=True, now=1.0)] == [2] and run.done == 2
    rec.reps.append({"index": 4, "side": "left"})
    assert [e.code for e in run.poll(rec, live=True, now=2.0)][:2] == ["run_count", "run_set_done"]
    assert tr.sessions()[0].sets[0].done_reps == 3


def test_a_missing_exercise_is_skipped_and_said(tmp_path: Path) -> None:
    run, tr = _run(tmp_path, exercises=("bridge",))
    run.skip_set(0.0)
    run.skip_rest(0.0)
    run.poll(None, live=False, now=0.1)
    run.skip_set(1.0)
    run.skip_rest(1.0)
    run.poll(None, live=False, now=1.1)
    events = run.poll(None, live=False, now=1.2)
    assert [e.code for e in events] == ["run_missing_exercise", "run_session_done"]
    assert [s.state for s in tr.sessions()[0].sets] == ["skipped", "skipped", "skipped"]


def test_ending_early_keeps_what_was_done_and_leaves_the_rest_planned(tmp_path: Path) -> None:
    run, tr = _run(tmp_path)
    run.poll(_rec("bridge", 0), live=True, now=0.0)
    run.poll(_rec("bridge", 1), live=True, now=1.0)
    run.end()
    got = tr.sessions()[0]
    assert got.ended_at is not None
    assert [(s.done_reps, s.state) for s in got.sets] == [(1, "done"), (0, "planned"), (0, "planned")]


def test_the_count_written_by_the_video_thread_survives_a_killed_app(tmp_path: Path) -> None:
    """The rep listener writes each rep's set count before anything else happens: kill -9 right after."""
    run, tr = _run(tmp_path)
    run.poll(_rec("bridge", 0), live=True, now=0.0)
    code = textwrap.dedent(
        f"""
        import os, signal
        from formcheck.store.history import SessionRecord, SessionStore
        from formcheck.store.tracking import TrackingStore
        from formcheck.webapp.live import CoachSession, LiveSettings
        from formcheck.webapp.programme_run import ProgrammeRun
        tr = TrackingStore(SessionStore({str(tmp_path)!r}))
        ps = tr.sessions()[0]
        from formcheck.core.programme import PlannedSet
        sets = [PlannedSet(0, "bridge", 1, 2, "", 3, None, 20.0)]
        run = ProgrammeRun(tr, ps, sets, ["bridge"])
        rec = SessionRecord(id="rec-bridge", started_at="2026-03-02T10:00:00+00:00", exercise="bridge")
        run.poll(rec, True, 0.0)
        coach = CoachSession(LiveSettings(exercise="bridge"), store=SessionStore({str(tmp_path)!r}))
        coach.on_rep = run.on_rep
        coach.record = rec
        from formcheck.core.engine import RepRecord
        rep = RepRecord(index=1, start_s=0, turn_s=1, end_s=2, peaks={{}}, rom={{}}, hold_s=None,
                        tempo_s={{}}, faults=(), score=90.0, technique=None, reba=None)
        coach.add_rep(rep)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert tr.sessions()[0].sets[0].done_reps == 1
    assert len(SessionStore(tmp_path).get("rec-bridge").reps) == 1  # type: ignore[union-attr]


def test_set_texts_in_both_languages() -> None:
    prog = parse_programme_text(
        PROG.replace('exercise = "cat_cow"', 'exercise = "cat_cow"\nper_side = true'),
        "p",
        ("bridge", "cat_cow"),
    )
    s = plan_for(prog, DAY, DAY).sets[2]
    s = dataclasses.replace(s, hold_s=(20.0, 30.0))
    assert set_text(s, "en", _title) == ("Cat-cow (left) · set 1 of 1", "2 times, hold 20–30 s each time")
    assert set_text(s, "nl", _title) == (
        "Cat-cow (links) · set 1 van 1",
        "2 keer, elke keer 20–30 s vasthouden",
    )


# ------------------------------------------------------------------------------------------ compose


def test_the_physio_form_makes_a_programme_with_a_progression() -> None:
    items = [
        ItemForm("bridge", stages=[StageForm(1, 2, 8), StageForm(3, 3, 10), StageForm(0, 1, 1)]),
        ItemForm("cat_cow", per_side=False, stages=[StageForm(1, 1, 10)]),
        ItemForm("bridge", per_side=True, stages=[StageForm(1, 1, 3, hold_s=20)]),
    ]
    prog = compose("Rug", 4, 5, 30, items, ("bridge", "cat_cow"), author="MdV")
    assert [(s.first_week, s.last_week, s.sets, s.reps) for s in prog.items[0].stages] == [
        (1, 2, 2, 8),
        (3, 4, 3, 10),
    ]
    assert prog.items[2].per_side and prog.items[2].stages[0].hold_s == (20.0, 20.0)
    back = parse_programme_text(programme_to_toml(prog), "the programme", ("bridge", "cat_cow"))
    assert back == prog
    with pytest.raises(ProgrammeError, match=r"exercises\[0\]\.progression\[0\]\.from: expected week 1"):
        compose("Rug", 4, 5, 30, [ItemForm("bridge", stages=[StageForm(2, 2, 8)])], ("bridge",))
    with pytest.raises(ProgrammeError, match="progression: expected a non-empty array"):
        compose("Rug", 4, 5, 30, [ItemForm("bridge", stages=[StageForm(0, 2, 8)])], ("bridge",))


# ------------------------------------------------------------------------------------------ pages


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "data"
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(d))
    return d


@pytest.fixture
def at(data_dir: Path) -> Iterator[AppTest]:
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.checkbox(key="fc_none").check()
    app.button(key="fc_continue").click()
    app.run()
    assert not app.exception, app.exception
    yield app


def _texts(app: AppTest) -> str:
    parts = [m.value for m in app.markdown] + [h.proto.body for h in app.get("html")]
    parts += [e.value for e in app.error] + [w.value for w in app.warning] + [i.value for i in app.info]
    parts += [s.value for s in app.success] + [s.value for s in app.subheader]
    return "\n".join(str(p) for p in parts)


def test_programme_page_without_a_programme_offers_the_file_and_the_starter(at: AppTest) -> None:
    at.switch_page(page_path("programme")).run()
    assert not at.exception, at.exception
    assert message("prog_none", "nl") in _texts(at)
    at.button(key="fc_prog_starter").click().run()
    assert not at.exception, at.exception
    # The starter either begins, or says exactly which exercise this formcheck lacks.
    if at.error:
        assert "starter" in at.error[0].value and "template" in at.error[0].value


def test_programme_page_shows_today_and_begins_the_session(at: AppTest, data_dir: Path) -> None:
    tr = TrackingStore(SessionStore(data_dir))
    tr.add_programme(PROG, "Twee oefeningen", date.today())
    at.switch_page(page_path("coach")).run()
    assert "Twee oefeningen" in _texts(at)  # the start page shows today's session
    at.switch_page(page_path("programme")).run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "Twee oefeningen · week 1 van 2" in text and 'id="fc-plan"' in text
    at.pills(key="fc_prog_pain_before").set_value(4).run()
    at.button(key="fc_run_begin").click().run()
    assert not at.exception, at.exception
    assert "Bruggetje · set 1 van 2" in _texts(at)
    stored = tr.sessions()
    assert len(stored) == 1 and stored[0].pain_before == 4 and len(stored[0].sets) == 3
    assert at.session_state["fc_coach"].settings.exercise == "bridge"


def test_progress_page_with_data_shows_charts_numbers_and_exports(at: AppTest, data_dir: Path) -> None:
    tr = TrackingStore(SessionStore(data_dir))
    start = date.fromordinal(date.today().toordinal() - 10)
    prog = parse_programme_text(PROG, "p", ("bridge", "cat_cow"))
    pid = tr.add_programme(PROG, "Twee", start)
    for k in (0, 8):
        day = date.fromordinal(start.toordinal() + k)
        ps = tr.begin_session(pid, day, 1 + k // 7, plan_for(prog, start, day).sets, 5 - k // 4)
        tr.count_rep(ps.id, 0, 3)
        tr.set_pain(ps.id, after=4 - k // 4)
    at.switch_page(page_path("progress")).run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert message("pain_rising_note", "nl") in text
    assert len(at.get("vega_lite_chart")) >= 2
    assert len(at.dataframe) == 2
    assert len(at.get("download_button")) == 3
    # PSK: name the activities once.
    at.text_input(key="fc_psk_name_0").input("Fietsen")
    at.text_input(key="fc_psk_name_1").input("Sokken aantrekken")
    at.button(key="fc_psk_names").click().run()
    assert not at.exception, at.exception
    assert tr.psk_activities() == ["Fietsen", "Sokken aantrekken"]


def test_delete_all_my_data_from_the_progress_page(at: AppTest, data_dir: Path) -> None:
    tr = TrackingStore(SessionStore(data_dir))
    tr.add_programme(PROG, "Twee", date.today())
    tr.name_psk_activities(["Fietsen"])
    at.switch_page(page_path("progress")).run()
    at.button(key="fc_delete_all").click().run()
    at.button(key="fc_delete_all_yes").click().run()
    assert not at.exception, at.exception
    assert message("data_deleted", "nl") in _texts(at)
    assert tr.active_programme() is None and tr.psk_activities() == []


def test_compose_page_validates_and_offers_the_file(at: AppTest) -> None:
    at.switch_page(page_path("compose")).run()
    assert not at.exception, at.exception
    at.text_input(key="fc_cp_title").input("Rug fase 1").run()
    assert not at.exception and not at.error, at.error
    assert len(at.get("download_button")) == 1
    at.number_input(key="fc_cp_from_0_1").set_value(1).run()  # a second stage from week 1: an overlap
    assert at.error and "exercises[0]: two stages begin in week 1" in at.error[0].value


def test_missed_days_are_mentioned_kindly_and_never_as_a_failure(at: AppTest, data_dir: Path) -> None:
    tr = TrackingStore(SessionStore(data_dir))
    tr.add_programme(PROG, "Twee oefeningen", date.fromordinal(date.today().toordinal() - 3))
    at.switch_page(page_path("programme")).run()
    assert not at.exception, at.exception
    infos = [i.value for i in at.info]
    assert message("missed_kind", "nl").format(n=3) in infos, infos  # days 0, 1 and 2 before today
    assert not at.error and not at.warning


@pytest.mark.parametrize("page", ["programme", "progress"])
def test_a_damaged_history_is_one_line_on_the_programme_pages_and_left_alone(
    at: AppTest, data_dir: Path, page: str
) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    db = data_dir / "formcheck.sqlite3"
    db.write_bytes(b"SQLite format 3\x00" + b"\x5a" * 4000)
    before = db.read_bytes()
    at.switch_page(page_path(page)).run()
    assert not at.exception, at.exception
    warnings = [w.value for w in at.warning]
    assert warnings and "damaged" in warnings[0] and "\n" not in warnings[0], warnings
    assert db.read_bytes() == before


# ------------------------------------------------------------------------------------------ a set's hold


def test_a_set_with_hold_s_20_coaches_a_20_s_hold() -> None:
    prog = parse_programme_text(
        PROG.replace("reps = 3\n", "reps = 3\nhold_s = 20\n", 1), "p", ("bridge", "cat_cow")
    )
    sets = plan_for(prog, DAY, DAY).sets
    assert sets[0].exercise == "bridge" and sets[0].hold_s == (20.0, 20.0)
    settings = set_settings(sets[0], "en", "auto")
    assert settings.hold_s == (20.0, 20.0) and settings.exercise == "bridge" and settings.mode == "coach"
    assert set_settings(sets[-1], "en", "auto").hold_s is None  # cat-cow: no hold given
    template = session_template(settings)
    assert template.hold is not None and (template.hold.min_s, template.hold.max_s) == (20.0, 20.0)
    assert readout(None, template, "en").hold_sub == "20 s"
    # the live path on it: the bridge's own 5 s would be done after 6 s; the set's 20 s is not
    pipe = LivePipeline(template, require_setup=False)
    sig = bridge(bridge_trace(1, hold_s=6.0))
    states = [
        pipe.engine.update(i / FPS, dict(GOOD_VIEW, **{k: float(v[i]) for k, v in sig.items()}))
        for i in range(len(sig["hip_angle"]))
    ]
    assert {s.hold_target_s for s in states} == {20.0}
    assert len(pipe.engine.reps) == 1 and "hold_short" in pipe.engine.reps[0].faults
    cue = next(s.new_cue for s in states if s.new_cue is not None and s.new_cue.code == "hold_short")
    assert "20 seconds" in cue.text.en and "20 seconden" in cue.text.nl
    plain = LivePipeline(session_template(dataclasses.replace(settings, hold_s=None)), require_setup=False)
    assert plain.template.hold is not None and plain.template.hold.min_s == 5.0  # the template's own
