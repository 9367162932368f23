"""The page without video (Streamlit ``AppTest``), plus the live processor on synthetic frames.

``AppTest`` has no browser: the camera component renders as an inert element and everything around it can be
tested (the camera itself is tested in ``test_browser.py``, its server in ``test_frameserver.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from unittest import mock

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from formcheck.core.engine import RepRecord
from formcheck.core.messages import MESSAGES, message
from formcheck.core.templates import load_template
from formcheck.store.history import SessionRecord, SessionStore, rep_to_dict
from formcheck.webapp import markup
from formcheck.webapp.live import (
    CoachSession,
    FrameResult,
    FrameRing,
    LiveProcessor,
    LiveSettings,
    LiveUpdate,
    RateMeter,
)
from formcheck.webapp.nav import page_path
from formcheck.webapp.readout import readout
from formcheck.webapp.summary import chart_data, summary_rows
from formcheck.webapp.texts import fault_text
from formcheck.webapp.ui import RED_FLAGS

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private history folder for the page."""
    d = tmp_path / "data"
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(d))
    return d


@pytest.fixture
def at(data_dir: Path) -> Iterator[AppTest]:
    """The app, first run done."""
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    yield app


def _texts(app: AppTest) -> str:
    parts = [m.value.replace("**", "") for m in app.markdown] + [h.proto.body for h in app.get("html")]
    parts += [e.value for e in app.error] + [w.value for w in app.warning] + [i.value for i in app.info]
    parts += [s.value for s in app.success] + [t.value for t in app.title] + [h.value for h in app.header]
    parts += [c.value for c in app.caption] + [s.value for s in app.subheader]
    return "\n".join(str(p) for p in parts)


def _coaching(app: AppTest) -> bool:
    """Whether the coaching part (mode and exercise choice) is on the page."""
    return any(r.key == "fc_mode" for r in app.radio)


def _pass_safety(app: AppTest) -> None:
    app.checkbox(key="fc_none").check()
    app.button(key="fc_continue").click()
    app.run()
    assert not app.exception, app.exception


def _rep(i: int, faults: tuple[str, ...] = (), technique: str | None = None) -> RepRecord:
    return RepRecord(
        index=i, start_s=2.0 * i, turn_s=2.0 * i + 1, end_s=2.0 * i + 2, peaks={"hip_angle": 176.0},
        rom={"hip_angle": (130.0, 176.0)}, hold_s=5.5, tempo_s={}, faults=faults,
        score=100.0 - 25 * len(faults), technique=technique, reba=None,
    )  # fmt: skip


# ------------------------------------------------------------------------------------------ safety


def test_every_ui_text_exists_in_dutch_and_english() -> None:
    for code, text in MESSAGES.items():
        assert text.nl.strip() and text.en.strip(), code
    for code in RED_FLAGS:
        assert code in MESSAGES


def test_safety_screen_comes_first_and_blocks_coaching(at: AppTest) -> None:
    assert at.header[0].value == message("safety_title", "nl")
    assert not _coaching(at)  # no exercise choice yet
    assert len([c for c in at.checkbox if c.key.startswith("fc_rf_")]) == 8
    at.button(key="fc_continue").click().run()
    assert message("safety_answer_first", "nl") in _texts(at)
    assert not _coaching(at)


@pytest.mark.parametrize("flag", ["rf_radiating", "rf_bladder", "rf_night"])
def test_any_red_flag_advises_the_gp_and_does_not_start(at: AppTest, flag: str) -> None:
    at.checkbox(key=f"fc_{flag}").check()
    at.button(key="fc_continue").click().run()
    text = _texts(at)
    assert message("safety_see_gp", "nl") in text and "huisarts" in text
    assert not _coaching(at) and not at.button(key="fc_recheck").disabled
    at.run()  # stays blocked on the next run
    assert not _coaching(at)
    at.button(key="fc_recheck").click().run()
    assert at.checkbox(key=f"fc_{flag}").value is False


def test_red_flag_and_none_together_is_questioned(at: AppTest) -> None:
    at.checkbox(key="fc_rf_fever").check()
    at.checkbox(key="fc_none").check()
    at.button(key="fc_continue").click().run()
    assert message("safety_contradiction", "nl") in _texts(at)
    assert not _coaching(at)


def test_reassuring_facts_and_disclaimer_are_shown(at: AppTest) -> None:
    text = _texts(at)
    for code in ("fact_harmless", "fact_movement", "fact_time", "disclaimer"):
        assert message(code, "nl") in text


# ------------------------------------------------------------------------------------------ pages


def test_every_page_has_its_file_a_render_function_and_a_title_in_both_languages() -> None:
    import importlib

    from formcheck.webapp.nav import PAGES, PAGES_DIR

    assert PAGES[0].url == "coach" and len({p.url for p in PAGES}) == len(PAGES)
    for p in PAGES:
        assert (PAGES_DIR / p.file).is_file(), p
        assert MESSAGES[p.title].nl.strip() and MESSAGES[p.title].en.strip(), p
        module = importlib.import_module(f"formcheck.webapp.pages.{p.url}")  # importing runs nothing
        assert callable(module.render), p
        assert 'if __name__ == "__main__":' in (PAGES_DIR / p.file).read_text(encoding="utf-8"), p


def test_navigation_lists_the_pages_in_the_chosen_language(at: AppTest) -> None:
    from formcheck.webapp.nav import PAGES

    def titles() -> list[str]:  # what st.navigation registered, in order (AppTest keeps it for switch_page)
        pages = list(at._registered_pages.values())
        assert pages, "no st.navigation on the page"
        return [str(p["page_name"]) for p in pages]

    assert titles() == [message(p.title, "nl") for p in PAGES]
    at.radio(key="fc_lang").set_value("en").run()
    assert titles() == [message(p.title, "en") for p in PAGES]


def test_history_page_needs_no_safety_answers_and_the_coach_page_still_does(at: AppTest) -> None:
    at.switch_page(page_path("history")).run()
    assert not at.exception, at.exception
    assert message("history_empty", "nl") in _texts(at)
    assert not at.checkbox  # no safety screen on the history page
    at.switch_page(page_path("coach")).run()
    assert at.header[0].value == message("safety_title", "nl") and not _coaching(at)


def test_the_exercise_choice_survives_a_visit_to_another_page(at: AppTest) -> None:
    _pass_safety(at)
    at.selectbox(key="fc_exercise").set_value("lifting").run()
    at.switch_page(page_path("history")).run()
    at.switch_page(page_path("coach")).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="fc_exercise").value == "lifting"
    assert at.session_state["fc_coach"].settings.exercise == "lifting"


# ------------------------------------------------------------------------------------ language, exercise


def test_language_switch_changes_every_text(at: AppTest) -> None:
    at.radio(key="fc_lang").set_value("en").run()
    assert at.title[0].value == message("app_title", "en")
    assert at.header[0].value == message("safety_title", "en")
    assert at.checkbox(key="fc_rf_radiating").label == message("rf_radiating", "en")
    _pass_safety(at)
    assert at.selectbox(key="fc_exercise").format_func("bridge") == "Bridge"
    assert message("stop_note", "en") in _texts(at)
    at.radio(key="fc_lang").set_value("nl").run()
    assert at.selectbox(key="fc_exercise").format_func("bridge") == "Bruggetje"


def test_exercise_choice_shows_its_camera_guide_and_reaches_the_video_thread(at: AppTest) -> None:
    _pass_safety(at)
    assert set(at.selectbox(key="fc_exercise").options) >= {"Bruggetje", "Tillen met gebogen knieën"}
    bridge = load_template("bridge")
    assert bridge.camera.text.nl in _texts(at)
    at.selectbox(key="fc_exercise").set_value("lifting").run()
    assert not at.exception
    lifting = load_template("lifting")
    assert lifting.camera.text.nl in _texts(at)
    assert at.session_state["fc_coach"].settings.exercise == "lifting"
    assert any("2,5" in s.value or "2.5" in s.value for s in at.subheader)  # distance from the template


def test_demo_mode_is_lifting_with_gauges_and_replay(at: AppTest) -> None:
    _pass_safety(at)
    at.radio(key="fc_mode").set_value("demo").run()
    assert not at.exception
    coach = at.session_state["fc_coach"]
    assert coach.settings.mode == "demo" and coach.settings.exercise == "lifting"
    text = _texts(at)
    assert message("gauge_knee_flexion", "nl") in text and message("gauge_trunk_incline", "nl") in text
    at.button(key="fc_replay").click().run()
    assert message("replay_none", "nl") in _texts(at)  # nothing recorded yet


# ------------------------------------------------------------------------------------------ pain, summary


def test_pain_before_reaches_the_session(at: AppTest) -> None:
    _pass_safety(at)
    at.button_group(key="fc_pain_before").set_value(4).run()
    assert at.session_state["fc_coach"].pain_before == 4


def _finished_session(app: AppTest, faults: tuple[str, ...] = ("hips_not_high",)) -> CoachSession:
    coach: CoachSession = app.session_state["fc_coach"]
    tpl = load_template("bridge")
    coach.pain_before = 2
    coach.begin(tpl, "coach", "nl", "lite")
    for i in (1, 2):
        rec = coach.record
        assert rec is not None
        rec.reps.append(rep_to_dict(_rep(i, faults if i == 2 else ())))
        rec.series.extend([[0.1 * k + i, 130.0 + k, 60.0] for k in range(10)])
    coach.end()
    coach.flush()
    return coach


def test_summary_after_stop_shows_reps_scores_faults_holds_and_chart(at: AppTest, data_dir: Path) -> None:
    _pass_safety(at)
    coach = _finished_session(at)
    at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert message("summary_title", "nl") in [h.value for h in at.header]
    df = at.dataframe[0].value
    assert list(df[message("col_rep", "nl")]) == [1, 2]
    assert list(df[message("col_score", "nl")]) == [100, 75]
    assert list(df[message("col_hold", "nl")]) == [5.5, 5.5]
    tpl = load_template("bridge")
    assert fault_text(tpl, "hips_not_high", "nl") in list(df[message("col_faults", "nl")])
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert message("saved", "nl") in text
    stored = SessionStore(data_dir).get(coach.record.id)  # type: ignore[union-attr]
    assert stored is not None and len(stored.reps) == 2 and stored.ended_at


def test_pain_after_is_saved_and_much_worse_pain_is_flagged(at: AppTest, data_dir: Path) -> None:
    _pass_safety(at)
    coach = _finished_session(at)
    at.run()
    sid = coach.record.id  # type: ignore[union-attr]
    at.button_group(key=f"fc_pain_after_{sid}").set_value(3).run()
    assert SessionStore(data_dir).get(sid).pain_after == 3  # type: ignore[union-attr]
    assert message("pain_much_worse", "nl") not in _texts(at)
    at.button_group(key=f"fc_pain_after_{sid}").set_value(6).run()
    assert SessionStore(data_dir).get(sid).pain_after == 6  # type: ignore[union-attr]
    assert message("pain_much_worse", "nl") in _texts(at)


def test_new_session_clears_the_summary_but_keeps_the_history(at: AppTest, data_dir: Path) -> None:
    _pass_safety(at)
    _finished_session(at)
    at.run()
    at.button(key="fc_new_session").click().run()
    assert message("summary_title", "nl") not in [h.value for h in at.header]
    assert SessionStore(data_dir).count() == 1
    at.switch_page(page_path("history")).run()
    assert "Bruggetje" in _texts(at)  # the history row


def test_the_camera_gets_this_sessions_websocket_on_loopback_and_its_language(at: AppTest) -> None:
    import json

    from formcheck.webapp.frameserver import frame_server

    _pass_safety(at)
    (cam,) = at.get("component_instance")
    args = json.loads(cam.proto.json_args)
    server = frame_server()
    token = server.register(at.session_state["fc_coach"])
    assert args["ws_url"] == server.url(token) and args["ws_url"].startswith("ws://127.0.0.1:")
    assert args["texts"]["start"] == message("webrtc_start", "nl")
    at.radio(key="fc_lang").set_value("en").run()
    (cam,) = at.get("component_instance")
    assert json.loads(cam.proto.json_args)["texts"]["camera_lost"] == message("camera_lost", "en")


def test_damaged_history_is_one_line_and_coaching_still_works(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "formcheck.sqlite3").write_bytes(b"garbage" * 500)
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    _pass_safety(app)
    assert not app.exception
    assert app.selectbox(key="fc_exercise")
    app.switch_page(page_path("history")).run()
    assert not app.exception
    assert any("damaged" in w.value for w in app.warning)
    assert (data_dir / "formcheck.sqlite3").read_bytes().startswith(b"garbage")


def test_camera_that_stops_sending_is_reported_and_results_are_saved(at: AppTest, data_dir: Path) -> None:
    _pass_safety(at)
    coach: CoachSession = at.session_state["fc_coach"]
    coach.begin(load_template("bridge"), "coach", "nl", "lite")
    coach.record.reps.append(rep_to_dict(_rep(1)))  # type: ignore[union-attr]
    coach.last_frame_wall = 0.0  # no frame for a long time while the stream is on
    at.run()
    assert not at.exception
    assert message("camera_lost", "nl") in _texts(at)
    coach.flush()
    stored = SessionStore(data_dir).get(coach.record.id)  # type: ignore[union-attr]
    assert stored is not None and len(stored.reps) == 1 and "camera_lost" in stored.notes


# ------------------------------------------------------------------------------------------ pure pieces


def _update(**kw: object) -> LiveUpdate:
    base: dict[str, object] = dict(
        seq=1, session_id="s", t_s=1.0, wall=0.0, exercise="bridge", reps=2, counting=True, phase="top",
        hold_s=3.2, hold_target_s=5.0, issues=(), cue=None, new_cue=None, new_rep=None, feats={}, fps=27.0,
        input_fps=30.0,
        dropped=3, model="lite", latency_ms=40.0,
    )  # fmt: skip
    base.update(kw)
    return LiveUpdate(**base)  # type: ignore[arg-type]


def test_readout_hold_countdown_and_issues_in_plain_words() -> None:
    tpl = load_template("bridge")
    r = readout(_update(issues=("no_person", "multiple_people")), tpl, "en")
    assert r.reps == 2 and r.hold_left_s == pytest.approx(1.8) and r.hold_sub == "2 s to go"
    assert r.issues == (message("no_person", "en"), message("multiple_people", "en"))
    html = markup.board_html(r)
    assert 'data-reps="2"' in html and ">2<" in html and "I can&#x27;t see anyone" in html
    done = readout(_update(hold_s=5.3), tpl, "nl")
    assert done.hold_left_s == 0 and done.hold_sub == message("hold_done", "nl")
    assert "fc-done" in markup.board_html(done)


def test_board_escapes_text() -> None:
    r = markup.Readout(
        reps=1, reps_label="<b>", reps_sub="x", cue="<script>alert(1)</script>", cue_kind="fix"
    )
    assert "<script>" not in markup.board_html(r)


def test_gauge_and_speech_html() -> None:
    g = markup.gauge_html("Knee", 72.4, markup.KNEE_ZONES, "g1")
    assert 'data-value="72°"' in g and 'class="fc-mark" style="left:48.3%"' in g
    assert 'data-value="–"' in markup.gauge_html("Knee", math.nan, markup.KNEE_ZONES, "g2")
    s = markup.speech_html([("a", "Drie", "nl"), ("b", "Hold", "en")], muted=False, no_voice="No voice")
    assert '"nl-NL"' in s and '"en-US"' in s and "localService" in s and "const muted = false" in s
    assert "No voice" in s
    assert "const muted = true" in markup.speech_html([("a", "x", "nl")], muted=True, no_voice="-")


def test_summary_rows_and_chart_data_use_the_catalogue() -> None:
    tpl = load_template("lifting")
    rep = rep_to_dict(_rep(1, ("knees_straight",), technique="stoop"))
    from formcheck.store.history import SessionRecord

    rec = SessionRecord(
        id="x", started_at="2025-01-01T00:00:00+00:00", exercise="lifting", reps=[rep],
        series=[[0.0, 10.0, None]], series_features=["knee_flexion", "trunk_incline"],
    )  # fmt: skip
    rows = summary_rows(rec, tpl, "en")
    assert rows[0][message("col_technique", "en")] == message("technique_stoop", "en")
    assert fault_text(tpl, "knees_straight", "en") in rows[0][message("col_faults", "en")]
    data = chart_data(rec, "en")
    assert next(iter(data)) == message("col_time", "en") and len(data) == 3


def test_frame_ring_is_bounded_in_time_and_count() -> None:
    ring = FrameRing(seconds=1.0, max_frames=20)
    img = np.zeros((48, 64, 3), np.uint8)
    for i in range(100):
        ring.add(i / 30, img)
    assert len(ring) <= 20
    assert ring.clip(2.9, 4.0) and all(isinstance(b, bytes) for b in ring.clip(0, 10))


def test_rate_meter() -> None:
    m = RateMeter(window=10)
    for i in range(10):
        m.tick(i / 25)
    assert m.fps == pytest.approx(25.0)


def test_queue_drops_oldest_when_the_page_does_not_poll() -> None:
    coach = CoachSession(LiveSettings(exercise="bridge"))
    for i in range(coach.updates.maxsize + 10):
        coach.publish(_update(seq=i))
    got = coach.drain()
    assert len(got) == coach.updates.maxsize and got[-1].seq == coach.updates.maxsize + 9


# ------------------------------------------------------------------------------------------ processor


def _frames(n: int) -> list[np.ndarray]:
    """``n`` grey 640x480 BGR frames (no person)."""
    return [np.full((480, 640, 3), 90, np.uint8) for _ in range(n)]


def _feed(proc: LiveProcessor, n: int, start: int = 0, fps: float = 30.0) -> list[FrameResult | None]:
    """Process ``n`` frames numbered from ``start`` (frame time ``i / fps`` seconds)."""
    return [proc.process_image(f, (start + i) / fps) for i, f in enumerate(_frames(n))]


@pytest.mark.model
def test_processor_reports_no_person_and_counts_the_drops_it_is_told(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    coach = CoachSession(LiveSettings(exercise="bridge", lang="en", model="lite"), store=store)
    proc = LiveProcessor(coach)
    try:
        outs = [proc.process_image(f, i * 3 / 30, dropped=2) for i, f in enumerate(_frames(4))]
        assert all(o is not None and o.size == (640, 480) for o in outs)
        assert proc.stats.processed == 4 and proc.stats.dropped == 8
        ups = coach.drain()
        assert [u.seq for u in ups] == sorted(u.seq for u in ups) and ups[-1].model == "lite"
        assert ups[-1].t_s == pytest.approx(9 / 30, abs=1e-3)  # frame time since the first processed frame
        # an empty scene: the engine says so in plain words (after its debounce)
        _feed(proc, 30, start=12)
        last = coach.drain()[-1]
        assert "no_person" in last.issues and last.reps == 0
    finally:
        proc.on_ended()
    coach.flush()
    assert proc.stats.errors == 0
    saved = store.recent()
    assert saved and saved[0].ended_at is not None  # the stream's end is saved


@pytest.mark.model
def test_two_browser_sessions_run_side_by_side(tmp_path: Path) -> None:
    import threading

    store = SessionStore(tmp_path)
    coaches = [CoachSession(LiveSettings(exercise="bridge", model="lite"), store=store) for _ in range(2)]
    procs = [LiveProcessor(c) for c in coaches]

    def run(p: LiveProcessor) -> None:
        _feed(p, 15)

    threads = [threading.Thread(target=run, args=(p,)) for p in procs]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for p in procs:
        p.on_ended()
    for c in coaches:
        c.flush()
    assert all(p.stats.processed == 15 and p.stats.errors == 0 for p in procs)
    assert len({c.record.id for c in coaches}) == 2 and len(store.recent()) == 2  # type: ignore[union-attr]


@pytest.mark.model
def test_processor_survives_a_bad_frame_and_exercise_change(tmp_path: Path) -> None:
    coach = CoachSession(LiveSettings(exercise="bridge", model="lite"), store=SessionStore(tmp_path))
    proc = LiveProcessor(coach)
    try:
        first_id = coach.record.id  # type: ignore[union-attr]
        with mock.patch.object(proc.pipeline, "step", side_effect=RuntimeError("boom")):
            out = proc.process_image(_frames(1)[0], 0.0)
        assert out is not None and out.state is None and out.update.error == "processing_error"
        assert coach.drain()[-1].error == "processing_error"
        coach.update_settings(LiveSettings(exercise="lifting", model="lite"))
        _feed(proc, 1, start=1)
        assert proc.template.name == "lifting" and coach.record.id != first_id  # type: ignore[union-attr]
    finally:
        proc.on_ended()
        proc.on_ended()  # idempotent
    coach.flush()
    assert len(SessionStore(tmp_path).recent()) == 2  # both sessions kept


@pytest.mark.model
def test_processor_passes_the_reps_per_leg_to_the_page(tmp_path: Path) -> None:
    coach = CoachSession(LiveSettings(exercise="knee_to_chest", model="lite"), store=SessionStore(tmp_path))
    proc = LiveProcessor(coach)
    try:
        out = proc.process_image(_frames(1)[0], 0.0)
        assert out is not None and out.update.leg_reps == {"left": 0, "right": 0}
        with mock.patch.object(proc.pipeline, "step", side_effect=RuntimeError("boom")):
            bad = proc.process_image(_frames(1)[0], 0.1)
        assert bad is not None and bad.update.error and bad.update.leg_reps == {"left": 0, "right": 0}
        coach.update_settings(LiveSettings(exercise="bridge", model="lite"))
        _feed(proc, 1, start=3)
        assert coach.drain()[-1].leg_reps is None  # a single count for other exercises
    finally:
        proc.on_ended()
    coach.flush()


# ------------------------------------------------------------------------------------------ saving order


class _SlowStore:
    """A stand-in store: the first ``block`` saves wait for ``gate``; every write is kept, in order."""

    def __init__(self, block: int = 1) -> None:
        import threading

        self.gate = threading.Event()
        self.block = block
        self.calls = 0
        self.writes: list[SessionRecord] = []
        self.lock = threading.Lock()

    def save(self, record: SessionRecord) -> None:
        import copy

        with self.lock:
            self.calls += 1
            wait = self.calls <= self.block
        if wait:
            assert self.gate.wait(10), "the test never opened the gate"
        with self.lock:
            self.writes.append(copy.deepcopy(record))

    def last(self, sid: str) -> SessionRecord:
        return [w for w in self.writes if w.id == sid][-1]


def test_a_save_writes_the_record_it_was_asked_for_even_after_an_exercise_change() -> None:
    store = _SlowStore(block=1)
    coach = CoachSession(LiveSettings(exercise="bridge"), store=store)  # type: ignore[arg-type]
    old = coach.begin(load_template("bridge"), "coach", "nl", "lite")
    old.reps.append(rep_to_dict(_rep(1)))
    coach.save_async()  # blocks in the store: everything after it waits in the queue
    coach.end()  # the stream's end of the old session ...
    new = coach.begin(load_template("lifting"), "coach", "nl", "lite")  # ... then a new exercise
    new.reps.append(rep_to_dict(_rep(1)))
    coach.save_async()
    store.gate.set()
    coach.flush()
    saved_old = store.last(old.id)
    assert saved_old.ended_at is not None and len(saved_old.reps) == 1  # the old session is closed
    assert store.last(new.id).ended_at is None and store.last(new.id).exercise == "lifting"


def test_begin_closes_a_session_that_is_still_open() -> None:
    store = _SlowStore(block=0)
    coach = CoachSession(LiveSettings(exercise="bridge"), store=store)  # type: ignore[arg-type]
    old = coach.begin(load_template("bridge"), "coach", "nl", "lite")
    coach.begin(load_template("bridge"), "coach", "nl", "lite")
    coach.flush()
    assert store.last(old.id).ended_at is not None


def test_pain_after_is_not_overwritten_by_an_earlier_background_save() -> None:
    import threading

    store = _SlowStore(block=1)
    coach = CoachSession(LiveSettings(exercise="bridge"), store=store)  # type: ignore[arg-type]
    rec = coach.begin(load_template("bridge"), "coach", "nl", "lite")
    coach.end()  # saved in the background; the store is slow
    opener = threading.Timer(0.3, store.gate.set)
    opener.start()
    try:
        assert coach.set_pain_after(5) is None
    finally:
        opener.join()
    coach.flush()
    assert store.last(rec.id).pain_after == 5
    assert store.writes[-1].pain_after == 5


def test_snapshot_is_a_cheap_private_copy() -> None:
    coach = CoachSession(LiveSettings(exercise="bridge"))
    rec = coach.begin(load_template("bridge"), "coach", "nl", "lite")
    rec.reps.append(rep_to_dict(_rep(1)))
    rec.series.append([0.0, 1.0, 2.0])
    snap = coach.snapshot()
    assert snap is not None and snap is not rec
    assert snap.reps is not rec.reps and snap.series is not rec.series and snap.cues is not rec.cues
    assert snap.reps[0] is rec.reps[0]  # rows never change once added: shared, not copied
    rec.reps.append(rep_to_dict(_rep(2)))
    rec.pain_after = 3
    assert len(snap.reps) == 1 and snap.pain_after is None


def test_live_stats_timing_lists_are_bounded() -> None:
    from formcheck.webapp.live import LiveStats

    st = LiveStats()
    for i in range(50_000):
        st.latency_ms.append(float(i))
        st.pose_ms.append(1.0)
        st.cue_latency_ms.append(2.0)
    assert len(st.latency_ms) < 50_000 and len(st.pose_ms) < 50_000 and len(st.cue_latency_ms) < 50_000
    s = st.summary()
    assert s["pose_ms_median"] == 1.0 and s["cue_latency_ms_max"] == 2.0


# ------------------------------------------------------------------------------ processor (no model)


class _FakeEstimator:
    """A pose estimator that finds a 'person' with a mask in every frame (no model needed)."""

    created: ClassVar[list[_FakeEstimator]] = []

    def __init__(self, model: str, *, with_mask: bool = False) -> None:
        self.model, self.with_mask = model, with_mask
        self.closed = False
        self.detects = 0
        _FakeEstimator.created.append(self)

    def detect(self, rgb: np.ndarray, t_ms: int) -> object:
        assert not self.closed, "detect on a closed landmarker"
        self.detects += 1
        from formcheck.pose.landmarker import PoseFrame

        lm = np.full((33, 4), 0.5, np.float32)
        return PoseFrame(landmarks=lm, world=lm.copy(), mask=np.ones((48, 64), np.float32), n_people=1)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_pose() -> Iterator[type[_FakeEstimator]]:
    _FakeEstimator.created = []
    with (
        mock.patch("formcheck.webapp.live.PoseEstimator", _FakeEstimator),
        mock.patch("formcheck.webapp.live.model_file", lambda name: name),
    ):
        yield _FakeEstimator


def test_a_frame_after_on_ended_is_not_processed(fake_pose: type[_FakeEstimator]) -> None:
    coach = CoachSession(LiveSettings(exercise="bridge", model="lite"))
    proc = LiveProcessor(coach)
    _feed(proc, 1)
    est = fake_pose.created[-1]
    assert est.detects == 1
    proc.on_ended()
    assert est.closed
    frame = _frames(1)[0]
    assert proc.process_image(frame, 0.1) is None
    assert est.detects == 1 and proc.stats.errors == 0 and int(frame.sum()) == 90 * frame.size


def test_the_end_of_the_stream_counts_what_only_the_end_settles(
    fake_pose: type[_FakeEstimator], tmp_path: Path
) -> None:
    # a cat-cow that ends in a posture is counted when the stream ends, as offline at a video's end
    store = SessionStore(tmp_path)
    coach = CoachSession(LiveSettings(exercise="cat_cow", model="lite"), store=store)
    proc = LiveProcessor(coach)
    _feed(proc, 2)
    last = RepRecord(
        index=1,
        start_s=0.0,
        turn_s=0.5,
        end_s=1.0,
        peaks={},
        rom={},
        hold_s=None,
        tempo_s={},
        faults=(),
        score=100.0,
        technique=None,
        reba=None,
    )
    with mock.patch.object(proc.pipeline, "finish", return_value=[last]) as finish:
        proc.on_ended()
    finish.assert_called_once()
    assert coach.record is not None and len(coach.record.reps) == 1
    coach.flush()
    stored = store.get(coach.record.id)
    assert stored is not None and len(stored.reps) == 1


def test_the_page_draws_the_overlay_but_the_demo_replay_keeps_it_drawn(
    fake_pose: type[_FakeEstimator],
) -> None:
    coach = CoachSession(LiveSettings(exercise="bridge", model="lite"))
    proc = LiveProcessor(coach)
    frame = _frames(1)[0]
    res = proc.process_image(frame, 0.0)  # coach mode: the page draws the overlay from the landmarks
    assert res is not None and res.landmarks is not None and int(frame.sum()) == 90 * frame.size
    coach.update_settings(LiveSettings(exercise="lifting", mode="demo", model="lite"))
    demo = _frames(1)[0]
    proc.process_image(demo, 0.1)
    proc.on_ended()
    assert int(demo.sum()) != 90 * demo.size  # drawn on, for the slow-motion replay


def test_back_curvature_is_measured_only_for_the_side_facing_the_camera(
    fake_pose: type[_FakeEstimator],
) -> None:
    from formcheck.core.landmarks import Side

    coach = CoachSession(LiveSettings(exercise="cat_cow", model="lite"))
    proc = LiveProcessor(coach)
    sides: list[Side] = []
    proc._back = lambda mask, lm, side: sides.append(side) or 0.25  # type: ignore[assignment]
    seen: list[tuple[float, float]] = []
    real_step = proc.pipeline.step

    def step(*a: object, **kw: object) -> object:
        seen.append(kw["back"])  # type: ignore[arg-type]
        return real_step(*a, **kw)  # type: ignore[arg-type]

    with mock.patch.object(proc.pipeline, "step", side_effect=step):
        _feed(proc, 3)
    proc.on_ended()
    assert len(sides) == 3  # once a frame, not twice
    side = int(proc.pipeline.side)
    for back in seen:
        assert back[side] == 0.25 and math.isnan(back[1 - side])


# ------------------------------------------------------------------------------------------ privacy guard


@pytest.mark.parametrize(
    ("address", "stats", "ok"),
    [
        ("127.0.0.1", False, True),
        ("127.0.0.2", False, True),
        ("localhost", False, True),
        ("::1", False, True),
        ("[::1]", False, True),
        ("127.0.0.1", True, False),
        ("0.0.0.0", False, False),
        ("", False, False),
        (None, False, False),
        ("192.168.1.10", False, False),
        ("example.org", False, False),
    ],
)
def test_local_only_check(address: str | None, stats: bool, ok: bool) -> None:
    from formcheck.webapp.guard import runs_local_only

    assert runs_local_only(address, stats) is ok


@pytest.mark.parametrize("options", [{"server.address": None}, {"browser.gatherUsageStats": True}])
def test_page_refuses_to_run_when_not_local_only(data_dir: Path, options: dict[str, object]) -> None:
    import streamlit

    real = streamlit.get_option

    def get_option(key: str) -> object:
        return options[key] if key in options else real(key)

    with mock.patch.object(streamlit, "get_option", side_effect=get_option):
        app = AppTest.from_file(APP, default_timeout=60)
        app.run()
    assert not app.exception, app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "make run" in errors[0]
    assert message("not_local", "nl") in errors[0] and message("not_local", "en") in errors[0]
    assert not app.checkbox and not _coaching(app)  # no safety screen, no camera


def test_page_runs_when_local_only(at: AppTest) -> None:
    assert not at.error and at.checkbox(key="fc_none")


# ------------------------------------------------------------------------------------------ delete history


def test_history_can_be_deleted_after_a_confirmation(at: AppTest, data_dir: Path) -> None:
    _pass_safety(at)
    store = SessionStore(data_dir)
    for sid in ("h1", "h2"):
        store.save(SessionRecord(id=sid, started_at="2025-01-01T10:00:00+00:00", exercise="bridge"))
    at.switch_page(page_path("history")).run()
    assert "fc_delete_history" in _keys(at) and "fc_delete_yes" not in _keys(at)
    at.button(key="fc_delete_history").click().run()
    assert store.count() == 2  # nothing deleted without the confirmation
    assert message("delete_confirm", "nl") in _texts(at)
    at.button(key="fc_delete_no").click().run()  # cancel
    assert store.count() == 2 and "fc_delete_yes" not in _keys(at)
    at.button(key="fc_delete_history").click().run()
    at.button(key="fc_delete_yes").click().run()
    assert not at.exception, at.exception
    assert store.count() == 0
    text = _texts(at)
    assert message("history_deleted", "nl") in text and message("history_empty", "nl") in text


def test_deleting_the_history_also_forgets_the_finished_session(at: AppTest, data_dir: Path) -> None:
    _pass_safety(at)
    coach = _finished_session(at)
    at.run()
    assert message("summary_title", "nl") in [h.value for h in at.header]
    at.switch_page(page_path("history")).run()
    at.button(key="fc_delete_history").click().run()
    at.button(key="fc_delete_yes").click().run()
    assert SessionStore(data_dir).count() == 0
    assert coach.record is None
    at.switch_page(page_path("coach")).run()
    assert message("summary_title", "nl") not in [h.value for h in at.header]
    coach.flush()
    assert SessionStore(data_dir).count() == 0  # not saved again


def _keys(app: AppTest) -> set[str]:
    return {b.key for b in app.button if b.key}


# ------------------------------------------------------------------------------------------ html, speech


def test_json_in_a_script_cannot_close_the_script_tag() -> None:
    evil = "</script><script>alert(1)</script><!-- x"
    s = markup.speech_html([("a", evil, "nl")], muted=False, no_voice="-")
    body = s.split("<script>", 1)[1]
    assert body.count("</script>") == 1 and body.endswith("</script>")
    assert "<!--" not in s and "</" not in body[: -len("</script>")]
    import json

    assert json.loads(markup.script_json([evil])) == [evil]


def test_count_and_cue_of_one_poll_are_spoken_as_one_utterance() -> None:
    from formcheck.core.templates import Text
    from formcheck.webapp.readout import speech_items

    nice = ("good_bridge", Text(nl="Mooi bruggetje!", en="Nice bridge!"))
    ups = [
        _update(seq=10, reps=2, new_rep=_rep(2)),
        _update(seq=11, reps=3, new_rep=_rep(3)),
        _update(seq=12, reps=3, new_cue=nice),
    ]
    assert speech_items(ups, "en") == [("s-12-rep", "3. Nice bridge!", "en")]
    assert speech_items([_update(seq=5, new_cue=nice)], "nl") == [("s-5-cue", "Mooi bruggetje!", "nl")]
    assert speech_items([_update(seq=6, reps=4, new_rep=_rep(4))], "nl") == [("s-6-rep", "4", "nl")]
    assert speech_items([_update(seq=7)], "nl") == []
    # a new session within the same poll: each session's items stay apart
    two = [
        _update(seq=1, session_id="a", reps=1, new_rep=_rep(1)),
        _update(seq=2, session_id="b", new_cue=nice),
    ]
    assert [i[0] for i in speech_items(two, "en")] == ["a-1-rep", "b-2-cue"]


def test_speech_script_cancels_only_stale_utterances() -> None:
    s = markup.speech_html([("a", "x", "nl")], muted=False, no_voice="-")
    assert "STALE_MS" in s and "synth.cancel()" in s
    assert "if (synth.pending || synth.speaking) { synth.cancel(); }" not in s


# ------------------------------------------------------------------------------------------ kill -9

#: The child of the kill test: a live session fed the clip's frames (looped) at full speed; its store's
#: whole-record saves are made slow (a slow disk), so only a rep committed at once can survive the kill.
#: It prints one line per rep the page would count, then keeps going until it is killed.
_KILL_CHILD = """
import sys, time
import cv2
from formcheck.store.history import SessionStore
from formcheck.pose.video import probe, read_frames
from formcheck.webapp.live import CoachSession, LiveProcessor, LiveSettings

class SlowSaves(SessionStore):
    def save(self, record):
        time.sleep(5.0)
        super().save(record)

frames = [cv2.resize(f, (640, 480)) for _i, _t, f in read_frames(probe(sys.argv[2]))]
frames += [frames[-1]] * 45
coach = CoachSession(LiveSettings(exercise="bridge", lang="en", model="lite"), store=SlowSaves(sys.argv[1]))
proc = LiveProcessor(coach)
print("SESSION", coach.record.id, flush=True)
i = 0
while True:
    for f in frames:
        res = proc.process_image(f.copy(), i / 30.0)
        i += 1
        if res is not None and res.update.new_rep is not None:
            print("REP", res.update.reps, flush=True)
"""


@pytest.mark.model
def test_kill_9_mid_session_loses_no_counted_rep(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    from conftest import need_shared

    clip = need_shared("clips", "bridge", "physioplus_bridging.mp4")
    want = 2
    child = subprocess.Popen(
        [sys.executable, "-c", _KILL_CHILD, str(tmp_path), str(clip)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    session_id, reps = None, 0
    try:
        assert child.stdout is not None
        for line in child.stdout:  # the child runs until it is killed
            if line.startswith("SESSION "):
                session_id = line.split()[1]
            elif line.startswith("REP "):
                reps = int(line.split()[1])
                if reps >= want:
                    os.kill(child.pid, signal.SIGKILL)  # at once: no time for a background save
                    break
    finally:
        if child.poll() is None:
            child.kill()
        _out, err = child.communicate(timeout=30)
    assert reps >= want, f"the child counted {reps} reps before it ended:\n{err[-2000:]}"
    assert child.returncode == -signal.SIGKILL
    stored = SessionStore(tmp_path).get(session_id or "")
    assert stored is not None, "the killed session is not in the history at all"
    assert len(stored.reps) >= reps, (len(stored.reps), reps)
    assert [r["index"] for r in stored.reps[:reps]] == list(range(1, reps + 1)), stored.reps
