"""The coach page: safety screen, exercise choice, set-up guide, live video with the big board (or the
physio's lifting demonstration with gauges and a slow-motion replay), then the session's summary.

The camera is :mod:`formcheck.webapp.camera` (frames reach the server over a websocket on 127.0.0.1,
:mod:`formcheck.webapp.frameserver`); the analysis is :class:`formcheck.pose.pipeline.LivePipeline` inside
:class:`formcheck.webapp.live.LiveProcessor`; the board's content from :mod:`formcheck.webapp.readout`, the
summary's from :mod:`formcheck.webapp.summary`, the HTML from :mod:`formcheck.webapp.markup`.
"""

from __future__ import annotations

import contextlib
import time
from datetime import date
from typing import Any

import streamlit as st

from formcheck.core.templates import Template, TemplateError, available
from formcheck.webapp import markup, ui
from formcheck.webapp.camera import stream_to
from formcheck.webapp.live import CoachSession, LiveSettings
from formcheck.webapp.readout import POLL_S, SPEECH_KEEP, STALE_S, lift_item, readout, speech_items
from formcheck.webapp.summary import chart_data, pain_much_worse, summary_rows
from formcheck.webapp.texts import t, technique_text

DEMO_EXERCISE = "lifting"
CAMERA_KEY = "fc_camera"


@st.cache_data(show_spinner=False, max_entries=16)
def _setup_picture(name: str, lang: str) -> Any:
    from formcheck.draw.guide import draw_setup_guide

    return draw_setup_guide(960, 600, ui.template(name), lang)


def render() -> None:
    """The whole page (run by ``st.navigation`` when the page is shown)."""
    lang = ui.lang()
    if not ui.safety_passed(lang):
        return
    ui.today_box(lang, date.today())
    _coaching(lang)


def _coaching(lang: str) -> None:
    """Exercise choice, set-up guide, live video with the big board, then the summary."""
    coach = ui.coach()
    names = available()
    c_mode, c_ex, c_pain = st.columns([2, 2, 4], gap="medium")
    with c_mode:
        mode = st.radio(
            t("mode", lang),
            ["coach", "demo"],
            format_func=lambda m: t(f"mode_{m}", lang),
            key="fc_mode",
        )
    with c_ex:
        if mode == "demo" and DEMO_EXERCISE in names:
            exercise = DEMO_EXERCISE
            st.markdown(f"**{t('exercise', lang)}**  \n{ui.title(exercise, lang)}")
        else:
            if st.session_state.get("fc_exercise") not in names:
                st.session_state["fc_exercise"] = "bridge" if "bridge" in names else names[0]
            exercise = st.selectbox(
                t("exercise", lang),
                names,
                format_func=lambda n: ui.title(n, lang),
                key="fc_exercise",
            )
    try:
        template = ui.template(exercise)
    except TemplateError as e:
        st.error(str(e).splitlines()[0])
        return
    coach.update_settings(
        LiveSettings(exercise=exercise, lang=lang, mode=mode, model=st.session_state.get("fc_model", "auto"))
    )
    with c_pain:
        pain = st.pills(t("pain_before", lang), list(range(11)), key="fc_pain_before")
    with coach.lock:
        coach.pain_before = pain
        if coach.record is not None and coach.live and coach.record.pain_before is None:
            coach.record.pain_before = pain
    st.html(f'<div class="fc-stop" id="fc-stop-note">{markup.esc(t("stop_note", lang))}</div>')

    _setup_guide(template, lang, expanded=not coach.live)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        playing = _video(coach, lang)
    with right:
        if not playing and not coach.live:
            st.info(t("press_start", lang))
        _live_panel(coach, template, lang, mode, bool(st.session_state.get("fc_mute")))
    if mode == "demo":
        _replay(coach, lang)
    if not playing:
        _summary(coach, lang)


def _setup_guide(template: Template, lang: str, expanded: bool) -> None:
    cam = template.camera
    with st.expander(t("setup_title", lang), expanded=expanded):
        facts = "setup_facts" if cam.view == "side" else "setup_facts_front"
        st.subheader(
            t(
                facts,
                lang,
                near=cam.distance_m[0],
                far=cam.distance_m[1],
                height=t(f"height_{cam.height}", lang),
            )
        )
        c1, c2 = st.columns([3, 2])
        with c1, contextlib.suppress(Exception):  # the words beside it still say it all
            st.image(_setup_picture(template.name, lang), channels="BGR", width="stretch")
        with c2:
            st.markdown(f"**{cam.text.get(lang)}**")
            st.write(template.instructions.get(lang))


def _video(coach: CoachSession, lang: str) -> bool:
    """The camera component (camera in, overlay drawn in the page); whether it is streaming."""
    return stream_to(coach, lang, key=CAMERA_KEY)


@st.fragment(run_every=POLL_S)
def _live_panel(coach: CoachSession, template: Template, lang: str, mode: str, muted: bool) -> None:
    """Polls the video thread's updates and redraws the board (no full rerun)."""
    panel = ui.panel()
    updates = coach.drain()
    speech = panel.speech if panel.speech is not None else []
    speech.extend(speech_items(updates, lang))
    panel.speech = speech[-SPEECH_KEEP:]
    if updates:
        panel.last = updates[-1]
        panel.stale_noted = False
    u = panel.last if panel.last is not None and panel.last.exercise == template.name else None
    note = None
    if coach.live and time.monotonic() - coach.last_frame_wall > STALE_S:
        note = t("camera_lost", lang)
        if not panel.stale_noted:
            panel.stale_noted = True
            coach.note("camera_lost")
            coach.save_async()
    r = readout(u, template, lang)
    if u is not None and (not coach.live or note):  # stopped or no picture: keep the count, drop the rest
        r = markup.Readout(reps=r.reps, reps_label=r.reps_label, reps_sub=r.reps_sub, legs=r.legs)
    if note:
        r = markup.Readout(**{**r.__dict__, "issues": (*r.issues, note)})
    if coach.model_note and r.stats:
        r = markup.Readout(**{**r.__dict__, "stats": f"{r.stats} · {t(coach.model_note, lang)}"})
    if mode == "demo":
        feats = u.feats if u is not None and not note else {}
        knee = markup.gauge_html(
            t("gauge_knee_flexion", lang), feats.get("knee_flexion"), markup.KNEE_ZONES, "fc-gauge-knee"
        )
        trunk = markup.gauge_html(
            t("gauge_trunk_incline", lang), feats.get("trunk_incline"), markup.TRUNK_ZONES, "fc-gauge-trunk"
        )
        st.html(markup.gauges_html([knee, trunk]))
    st.html(markup.board_html(r))
    if mode == "demo":
        reps = coach.reps_copy()
        if reps:
            st.html(markup.lifts_html([lift_item(r, template, lang) for r in reversed(reps[-4:])]))
    st.html(markup.speech_html(panel.speech or [], muted, t("no_voice", lang)), unsafe_allow_javascript=True)


@st.fragment
def _replay(coach: CoachSession, lang: str) -> None:
    """Slow-motion replay of the last lift from the in-memory ring buffer (its own fragment: instant)."""
    st.subheader(t("replay_title", lang))
    c1, c2 = st.columns([2, 3])
    with c1:
        show = st.button(t("replay_button", lang), key="fc_replay", type="primary")
        speed = st.select_slider(
            t("replay_speed", lang),
            [0.1, 0.25, 0.5, 1.0],
            value=0.25,
            key="fc_speed",
            format_func=lambda s: f"{s:g}×",
        )
        st.caption(t("replay_note", lang))
    with coach.lock:
        clip = coach.last_lift
    if show:
        st.session_state["fc_replay_shown"] = clip.rep.index if clip is not None else None
    with c2:
        if show and clip is None:
            st.info(t("replay_none", lang))
        elif clip is not None and st.session_state.get("fc_replay_shown") == clip.rep.index:
            tech = technique_text(clip.rep.technique, lang)
            caption = t("lift_item", lang, n=clip.rep.index, technique=tech)
            st.html(
                markup.replay_html(clip.frames, clip.fps, float(speed), caption, f"{clip.rep.index}-{speed}"),
                unsafe_allow_javascript=True,
            )


def _summary(coach: CoachSession, lang: str) -> None:
    rec = coach.snapshot()
    if rec is None:
        return
    try:
        template = ui.template(rec.exercise)
    except TemplateError:
        return
    st.header(t("summary_title", lang))
    if not rec.reps:
        st.info(t("summary_none", lang))
    else:
        scores = [float(r.get("score") or 0.0) for r in rec.reps]
        c1, c2, c3 = st.columns(3)
        c1.metric(f"{template.title.get(lang)} · {t('reps_label', lang)}", len(rec.reps))
        c2.metric(t("summary_score", lang), f"{sum(scores) / len(scores):.0f} / 100")
        holds = [float(r["hold_s"]) for r in rec.reps if r.get("hold_s") is not None]
        if holds:
            c3.metric(t("summary_hold", lang), f"{sum(holds) / len(holds):.1f} s")
        st.dataframe(summary_rows(rec, template, lang), hide_index=True, width="stretch")
    if rec.series:
        data = chart_data(rec, lang)
        names = [k for k in data if k != t("col_time", lang)]
        st.subheader(t("chart_title", lang))
        st.line_chart(data, x=t("col_time", lang), y=names)
    after = st.pills(t("pain_after", lang), list(range(11)), key=f"fc_pain_after_{rec.id}")
    if after is not None and after != rec.pain_after:
        err = coach.set_pain_after(int(after))
        rec.pain_after = int(after)
        if err:
            st.error(t("save_failed", lang, error=err))
    if pain_much_worse(rec.pain_before, after):
        st.error(t("pain_much_worse", lang))
    with coach.lock:
        err = coach.save_error
    if err:
        st.error(t("save_failed", lang, error=err))
    elif coach.store is not None and not coach.live:
        st.success(t("saved", lang))
    if st.button(t("new_session", lang), key="fc_new_session"):
        with coach.lock:
            coach.record = None
            coach.last_lift = None
        st.session_state.pop(f"fc_pain_after_{rec.id}", None)
        st.session_state.pop("fc_pain_before", None)
        st.rerun()


if __name__ == "__main__":  # st.navigation runs this file as a script
    render()
