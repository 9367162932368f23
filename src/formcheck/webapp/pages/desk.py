"""The desk-posture page: a small, unobtrusive monitor that can run for hours at a low frame rate.

The camera streams 2-5 frames a second to the frame server, which runs :class:`formcheck.webapp.desk
.DeskProcessor` for this page's :class:`~formcheck.webapp.desk.DeskSession`; this page only shows the
session's words (posture, score, sitting time, reminders), speaks new reminders with the browser's own
offline voices, and offers the calibration button. All logic is in :mod:`formcheck.webapp.desk`.
"""

from __future__ import annotations

import streamlit as st

from formcheck.webapp import markup, ui
from formcheck.webapp.camera import stream_to
from formcheck.webapp.desk import DEFAULT_FPS, FPS_CHOICES, DeskSession, readout, speech
from formcheck.webapp.texts import t

CAMERA_KEY = "fc_desk_camera"
#: Seconds between two refreshes of the readout (the monitor itself runs on the video thread).
POLL_S = 1.0
#: Colours of the posture word: upright, another posture, nobody in view.
KIND_COLOURS = {"good": "#1b7f3b", "note": "#b45309", "away": "#64748b"}


def session() -> DeskSession:
    """This browser session's long-lived desk session (created once)."""
    if "fc_desk" not in st.session_state:
        st.session_state["fc_desk"] = DeskSession(lang=ui.lang())
    return st.session_state["fc_desk"]


def render() -> None:
    """The whole page (run by ``st.navigation`` when the page is shown)."""
    lang = ui.lang()
    if not ui.safety_passed(lang):
        return
    desk = session()
    st.header(t("page_desk", lang))
    st.write(desk.template.instructions.get(lang))
    left, right = st.columns([2, 3], gap="medium")
    with right:
        fps = st.segmented_control(
            "fps", FPS_CHOICES, default=DEFAULT_FPS, key="fc_desk_fps", format_func=lambda f: f"{f:g}/s"
        )
        fps = float(fps or DEFAULT_FPS)
        desk.settings(lang, fps)
        if st.button(t("desk_calibrate", lang), key="fc_desk_calibrate", type="primary"):
            desk.request_calibration()
        muted = not st.toggle(t("desk_speak", lang), value=True, key="fc_desk_speak")
        st.caption(t("desk_low_rate", lang, fps=fps))
        st.caption(desk.template.camera_text.get(lang))
    with left:
        stream_to(desk, lang, key=CAMERA_KEY, max_fps=fps)
    with right:
        _panel(desk, lang, muted)


@st.fragment(run_every=POLL_S)
def _panel(desk: DeskSession, lang: str, muted: bool) -> None:
    """The posture, score, sitting time and reminders (refreshed without a full rerun)."""
    state, reminders, timeline, people = desk.snapshot()
    r = readout(state, desk.template, lang, people)
    colour = KIND_COLOURS[r.kind]
    st.html(f'<div style="font-size:2rem;font-weight:700;color:{colour}">{markup.esc(r.posture)}</div>')
    st.caption(r.status)
    if r.warning:
        st.warning(r.warning)
    c1, c2 = st.columns(2)
    c1.metric(t("desk_score", lang), r.score)
    c2.metric(t("desk_sitting", lang), r.sitting)
    for item in reversed(reminders[-3:]):
        st.info(item.text)
    if len(timeline) > 1:
        st.line_chart({t("desk_score", lang): [score for _, score in timeline]}, height=120)
    st.html(markup.speech_html(speech(reminders), muted, t("no_voice", lang)), unsafe_allow_javascript=True)


if __name__ == "__main__":  # st.navigation runs this file as a script
    render()
