"""The programme page: open the physio's programme file (or the starter programme), see today's session,
and do it with the camera exercise by exercise and set by set (counting, rest countdown, "next: ...").

The live coaching is the coach page's: the same :class:`~formcheck.webapp.live.CoachSession`, camera
component and board; :class:`~formcheck.webapp.programme_run.ProgrammeRun` turns the counted reps into the
plan's sets and writes them as they happen (:mod:`formcheck.store.tracking`).
"""

from __future__ import annotations

import time
from datetime import date

import streamlit as st

from formcheck.core.engine import with_hold_target
from formcheck.core.programme import (
    PlannedSet,
    Programme,
    ProgrammeError,
    check_exercises,
    missed_days,
    plan_for,
    session_minutes,
    session_sets,
)
from formcheck.core.templates import TemplateError, available
from formcheck.store.history import StoreError
from formcheck.store.programme import load_starter, parse_programme_text, programme_to_toml, starter_text
from formcheck.store.tracking import StoredProgramme, TrackingStore
from formcheck.webapp import markup, ui
from formcheck.webapp.camera import stream_to
from formcheck.webapp.live import CoachSession
from formcheck.webapp.programme_run import (
    ProgrammeRun,
    RunEvent,
    cue_speech,
    event_text,
    hold_text,
    set_settings,
    set_text,
)
from formcheck.webapp.readout import POLL_S, SPEECH_KEEP, PanelState, readout
from formcheck.webapp.summary import pain_much_worse
from formcheck.webapp.texts import t

CAMERA_KEY = "fc_prog_camera"
RUN_KEY = "fc_run"


def today() -> date:
    """The patient's local date (the page's clock; the logic below takes dates as arguments)."""
    return date.today()


def render() -> None:
    """The whole page (run by ``st.navigation`` when the page is shown)."""
    lang = ui.lang()
    if not ui.safety_passed(lang):
        return
    st.header(t("page_programme", lang))
    tr = ui.tracking()
    run = st.session_state.get(RUN_KEY)
    if isinstance(run, ProgrammeRun):
        _running(run, lang)
        return
    try:
        active = tr.active_programme()
    except StoreError as e:
        st.warning(t("store_unavailable", lang, error=str(e)))
        return
    if active is None or st.session_state.get("fc_prog_replace"):
        _open(tr, lang, active is not None)
        if active is None:
            return
        st.divider()
    assert active is not None
    try:
        prog = parse_programme_text(active.text, active.title, exercises=None)
    except ProgrammeError as e:
        st.error(t("prog_bad_file", lang, error=str(e)))
        _open(tr, lang, True)
        return
    _overview(tr, active, prog, lang)


# ---------------------------------------------------------------------------------------------- opening


def _open(tr: TrackingStore, lang: str, replacing: bool) -> None:
    """Open a programme file, or the starter programme."""
    if not replacing:
        st.info(t("prog_none", lang))
    up = st.file_uploader(t("prog_open", lang), type=["toml"], key="fc_prog_file")
    start = st.date_input(t("prog_start_day", lang), value=today(), key="fc_prog_start")
    if up is not None:
        try:
            prog = parse_programme_text(up.getvalue(), up.name, exercises=available())
        except ProgrammeError as e:
            st.error(t("prog_bad_file", lang, error=str(e)))
        else:
            st.success(prog.title.get(lang))
            if st.button(t("prog_use_file", lang), type="primary", key="fc_prog_use"):
                _add(tr, programme_to_toml(prog), prog, start, lang)
    if st.button(t("prog_use_starter", lang), key="fc_prog_starter"):
        try:
            prog = load_starter()
        except ProgrammeError as e:
            st.error(t("prog_starter_missing", lang, error=str(e)))
        else:
            _add(tr, starter_text(), prog, start, lang)


def _add(tr: TrackingStore, text: str, prog: Programme, start: date, lang: str) -> None:
    try:
        tr.add_programme(text, prog.title.get(lang), start)
    except StoreError as e:
        st.error(t("save_failed", lang, error=str(e)))
        return
    st.session_state.pop("fc_prog_replace", None)
    st.rerun()


# ---------------------------------------------------------------------------------------------- today


def _overview(tr: TrackingStore, active: StoredProgramme, prog: Programme, lang: str) -> None:
    day = today()
    plan = plan_for(prog, active.started_on, day)
    st.subheader(
        t(
            "prog_header",
            lang,
            title=prog.title.get(lang),
            week=min(max(plan.week, 1), prog.weeks),
            weeks=prog.weeks,
            days=prog.days_per_week,
        )
    )
    if prog.note:
        st.info(t("prog_note", lang, note=prog.note))
    if plan.after_end:
        st.info(t("prog_after_end", lang))
    missing = check_exercises(prog, available())
    if missing:
        st.warning(t("run_missing_exercise", lang, exercise=", ".join(missing)))
    try:
        sessions = tr.sessions(active.id)
    except StoreError as e:
        st.warning(t("store_unavailable", lang, error=str(e)))
        return
    done_days = [s.day for s in sessions if any(x.done_reps > 0 for x in s.sets)]
    last_done = max(done_days) if done_days else None
    since = [
        d for d in missed_days(prog, active.started_on, day, done_days) if last_done is None or d > last_done
    ]
    if since:
        st.info(t("missed_kind", lang, n=len(since)))
    st.markdown(f"### {t('today_title', lang)}")
    if day in done_days:
        st.success(t("today_done", lang))
    sets = plan.sets
    if not plan.session_day:
        nxt = plan.next_day.isoformat() if plan.next_day else "–"
        st.write(t("today_rest", lang, day=nxt))
        if not st.toggle(t("today_rest_anyway", lang), key="fc_prog_anyway"):
            _replace_button(lang)
            return
        sets = session_sets(prog, max(1, plan.week))
    week = max(1, plan.week)
    st.write(t("today_session", lang, n=len(prog.items), minutes=round(session_minutes(prog, week))))
    st.html(_plan_list(prog, week, lang))
    st.info(t("pain_rising_note", lang))
    pain = st.pills(t("pain_before", lang), list(range(11)), key="fc_prog_pain_before")
    if st.button(t("run_begin", lang), type="primary", key="fc_run_begin"):
        try:
            ps = tr.begin_session(active.id, day, week, sets, None if pain is None else int(pain))
        except StoreError as e:
            st.error(t("save_failed", lang, error=str(e)))
            return
        st.session_state[RUN_KEY] = ProgrammeRun(tr, ps, sets, available())
        st.rerun()
    _replace_button(lang)


def _plan_list(prog: Programme, week: int, lang: str) -> str:
    items = []
    for item in prog.items:
        st_ = item.stage(week)
        line = t(
            "set_line",
            lang,
            exercise=ui.title(item.exercise, lang),
            side=t("per_side", lang) if item.per_side else "",
            sets=st_.sets,
            reps=st_.reps,
            hold=hold_text(st_.hold_s, lang),
        )
        note = f" <i>{markup.esc(item.note)}</i>" if item.note else ""
        items.append(f"<li>{markup.esc(line)}{note}</li>")
    return f'<ol id="fc-plan">{"".join(items)}</ol>'


def _replace_button(lang: str) -> None:
    if st.button(t("prog_replace", lang), key="fc_prog_replace_btn"):
        st.session_state["fc_prog_replace"] = True
        st.rerun()


# ---------------------------------------------------------------------------------------------- running


def _running(run: ProgrammeRun, lang: str) -> None:
    coach = _follow(run, lang)
    cur = run.current()
    if cur is None:
        _finished(run, lang)
        return
    st.caption(t("run_camera_hint", lang))
    left, right = st.columns([3, 2], gap="medium")
    with left:
        stream_to(coach, lang, key=CAMERA_KEY)
    with right:
        _run_panel(run, lang, bool(st.session_state.get("fc_mute")))


def _follow(run: ProgrammeRun, lang: str) -> CoachSession:
    """Point the live coach at the set being done (during a rest: the next one, to get into position)."""
    coach = ui.coach()
    coach.on_rep = run.on_rep
    s = run.upcoming() if run.phase == "rest" else run.current()
    if s is not None and s.exercise in run.exercises:
        model = st.session_state.get("fc_model", "auto")
        coach.update_settings(set_settings(s, lang, model))
    with coach.lock:
        coach.pain_before = run.session.pain_before
    return coach


@st.fragment(run_every=POLL_S)
def _run_panel(run: ProgrammeRun, lang: str, muted: bool) -> None:
    """Polls the coach and the run: the set, its count, the rest countdown, what to say; the buttons."""
    coach = _follow(run, lang)
    panel = ui.panel()
    now = time.monotonic()
    updates = coach.drain()
    with coach.lock:
        rec = coach.snapshot()
        live = coach.live
    events = run.poll(rec, live, now)
    panel.speech = [*(panel.speech or []), *cue_speech(updates, lang)][-SPEECH_KEEP:]
    _say(panel, events, lang)
    if updates:
        panel.last = updates[-1]
    cur = run.current()
    if cur is None:  # the session is complete: the whole page shows the end (and says what is left to say)
        st.rerun()
        return
    if run.phase == "rest":
        left = t("run_rest", lang, s=run.rest_left(now))
        st.html(f'<div id="fc-rest" class="fc-stats" style="font-size:1.6em">{markup.esc(left)}</div>')
        announce = run.announcement()
        if announce is not None:
            st.subheader(event_text(announce, lang, ui.title))
    else:
        _set_board(run, cur, lang, panel)
    if run.error:
        st.error(t("save_failed", lang, error=run.error))
    b1, b2, b3 = st.columns(3)
    if run.phase == "set":
        if b1.button(t("run_next_set", lang), key="fc_run_next", type="primary"):
            _say(panel, run.finish_set(time.monotonic()), lang)
        if b2.button(t("run_skip_set", lang), key="fc_run_skip"):
            _say(panel, run.skip_set(time.monotonic()), lang)
    elif b1.button(t("run_skip_rest", lang), key="fc_run_skip_rest"):
        run.skip_rest(time.monotonic())
    if b3.button(t("run_end", lang), key="fc_run_end"):
        run.end()
        st.rerun()
    st.html(markup.speech_html(panel.speech or [], muted, t("no_voice", lang)), unsafe_allow_javascript=True)


def _set_board(run: ProgrammeRun, cur: PlannedSet, lang: str, panel: PanelState) -> None:
    """The set in words and the big board with the set's own count."""
    which, what = set_text(cur, lang, ui.title)
    st.html(f'<div id="fc-set"><b>{markup.esc(which)}</b><br>{markup.esc(what)}</div>')
    try:
        template = with_hold_target(ui.template(cur.exercise), cur.hold_s)
    except TemplateError:
        return
    u = panel.last if panel.last is not None and panel.last.exercise == cur.exercise else None
    r = readout(u, template, lang)
    # the set's own count (a set is one leg); the stream's reps per leg would not match it
    r = markup.Readout(
        **{**r.__dict__, "reps": run.done, "reps_sub": t("reps_of", lang, target=cur.reps), "legs": ""}
    )
    st.html(markup.board_html(r))


def _say(panel: PanelState, events: list[RunEvent], lang: str) -> None:
    speech = panel.speech if panel.speech is not None else []
    speech.extend((e.id, event_text(e, lang, ui.title), lang) for e in events)
    panel.speech = speech[-SPEECH_KEEP:]


def _finished(run: ProgrammeRun, lang: str) -> None:
    """The session's end: what was done of what was planned, pain after, back to the overview."""
    st.success(t("run_session_done", lang))
    muted = bool(st.session_state.get("fc_mute"))  # the last count and "well done" are still to be said
    st.html(
        markup.speech_html(ui.panel().speech or [], muted, t("no_voice", lang)), unsafe_allow_javascript=True
    )
    done, planned = run.totals()
    st.write(t("run_summary", lang, done=done, planned=planned, sets=sum(1 for x in run.results if x > 0)))
    st.html(f'<div id="fc-run-done" data-done="{done}" data-planned="{planned}"></div>')
    after = st.pills(t("pain_after", lang), list(range(11)), key=f"fc_prog_pain_after_{run.session.id}")
    if after is not None:
        try:
            run.tracking.set_pain(run.session.id, after=int(after))
        except StoreError as e:
            st.error(t("save_failed", lang, error=str(e)))
        if pain_much_worse(run.session.pain_before, int(after)):
            st.error(t("pain_much_worse", lang))
    st.info(t("pain_rising_note", lang))
    if st.button(t("new_session", lang), key="fc_run_close"):
        coach = ui.coach()
        coach.on_rep = None
        st.session_state.pop(RUN_KEY, None)
        st.rerun()


if __name__ == "__main__":  # st.navigation runs this file as a script
    render()
