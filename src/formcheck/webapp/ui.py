"""Shared Streamlit widgets and per-session objects of the pages (the only webapp module besides the pages
and :mod:`formcheck.webapp.nav` that calls Streamlit).

- :func:`lang`, :func:`sidebar`: the language switch and the live settings every page shares.
- :func:`safety_passed`: the red-flag screen; a patient-facing page starts with ``if not
  ui.safety_passed(lang): return``.
- :func:`store`, :func:`coach`: this browser session's history store and its one long-lived
  :class:`~formcheck.webapp.live.CoachSession` (created once, kept in ``st.session_state``).
- :func:`template`, :func:`title`: exercise templates, loaded once per process.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import streamlit as st

from formcheck.core.messages import MESSAGES
from formcheck.core.programme import plan_for, session_minutes
from formcheck.core.templates import Template, TemplateError, available, load_template
from formcheck.store.history import SessionStore, StoreError
from formcheck.store.programme import parse_programme_text
from formcheck.store.tracking import TrackingStore
from formcheck.webapp import markup
from formcheck.webapp.guard import runs_local_only
from formcheck.webapp.live import MODEL_CHOICES, CoachSession, LiveSettings
from formcheck.webapp.readout import PanelState
from formcheck.webapp.texts import LANGS, t

#: The red flags of the safety screen (message codes); any one ticked -> see the GP, no coaching.
RED_FLAGS: tuple[str, ...] = (
    "rf_radiating",
    "rf_numbness",
    "rf_bladder",
    "rf_fever",
    "rf_weight",
    "rf_accident",
    "rf_night",
    "rf_duration",
)


# ---------------------------------------------------------------------------------------------- state


def lang() -> str:
    """The page language chosen in the sidebar (``nl`` until chosen)."""
    code = st.session_state.get("fc_lang", "nl")
    return code if code in LANGS else "nl"


def store() -> SessionStore:
    """This browser session's history store."""
    if "fc_store" not in st.session_state:
        st.session_state["fc_store"] = SessionStore()
    return st.session_state["fc_store"]


def coach() -> CoachSession:
    """The one long-lived :class:`CoachSession` of this browser session (created once)."""
    if "fc_coach" not in st.session_state:
        names = available()
        first = "bridge" if "bridge" in names else names[0]
        st.session_state["fc_coach"] = CoachSession(LiveSettings(exercise=first, lang=lang()), store=store())
        st.session_state["fc_panel"] = PanelState(speech=[])
    return st.session_state["fc_coach"]


def tracking() -> TrackingStore:
    """This browser session's programmes, programme sessions and PSK (in the file of :func:`store`)."""
    if "fc_tracking" not in st.session_state:
        st.session_state["fc_tracking"] = TrackingStore(store())
    return st.session_state["fc_tracking"]


def existing_coach() -> CoachSession | None:
    """The session's :class:`CoachSession` if a page has created it, else None (never creates one)."""
    c = st.session_state.get("fc_coach")
    return c if isinstance(c, CoachSession) else None


def panel() -> PanelState:
    """What the live panel remembers between its polls."""
    if "fc_panel" not in st.session_state:
        st.session_state["fc_panel"] = PanelState(speech=[])
    return st.session_state["fc_panel"]


@st.cache_resource(show_spinner=False)
def template(name: str) -> Template:
    """The exercise template ``name`` (loaded once per process; raises :class:`TemplateError`)."""
    return load_template(name)


def title(name: str, lang: str) -> str:
    """An exercise's title in ``lang`` (its name when the template cannot be read)."""
    try:
        return template(name).title.get(lang)
    except TemplateError:
        return name


def delete_all_data(lang: str, button_key: str, prefix: str) -> None:
    """The "delete all my data" button with a confirmation step (keys ``button_key``, ``{prefix}_yes``,
    ``{prefix}_no``). Everything stored goes (:meth:`SessionStore.delete_all`); after it the page is run
    again with ``st.session_state["fc_data_deleted"]`` set, for the page to say so.
    """
    asked = f"{prefix}_asked"
    if not st.session_state.get(asked):
        if st.button(t("delete_history", lang), key=button_key):
            st.session_state[asked] = True
            st.rerun()
        return
    st.warning(t("delete_confirm", lang))
    yes, no = st.columns(2)
    if yes.button(t("delete_yes", lang), key=f"{prefix}_yes", type="primary"):
        st.session_state[asked] = False
        c = existing_coach()
        if c is not None:
            c.flush()  # a save still queued must not bring a session back after the delete
        try:
            store().delete_all()
        except StoreError as e:
            st.error(t("save_failed", lang, error=str(e)))
            return
        if c is not None:
            with c.lock:
                c.on_rep = None
                if not c.live:  # the finished session on the coach page is gone too (a live one goes on)
                    c.record = None
                    c.last_lift = None
        st.session_state.pop("fc_run", None)  # a programme session in progress is gone with its rows
        st.session_state["fc_data_deleted"] = True
        st.rerun()
    if no.button(t("delete_no", lang), key=f"{prefix}_no"):
        st.session_state[asked] = False
        st.rerun()


def today_box(lang: str, day: date) -> None:
    """The start page's note of today's programme session (nothing when no programme is followed)."""
    try:
        active = tracking().active_programme()
        if active is None:
            return
        prog = parse_programme_text(active.text, active.title, exercises=None)
        done = any(
            s.day == day and any(x.done_reps > 0 for x in s.sets) for s in tracking().sessions(active.id)
        )
    except (StoreError, TemplateError):
        return  # the programme page says what is wrong
    plan = plan_for(prog, active.started_on, day)
    with st.container(border=True):
        st.markdown(f"**{t('today_title', lang)} · {prog.title.get(lang)}**")
        if done:
            st.success(t("today_done", lang))
        elif plan.session_day:
            week = max(1, plan.week)
            minutes = round(session_minutes(prog, week))
            st.write(t("today_session", lang, n=len(prog.items), minutes=minutes))
            st.page_link(
                str(Path(__file__).resolve().parent / "pages" / "programme.py"), label=t("today_go", lang)
            )
        else:
            nxt = plan.next_day.isoformat() if plan.next_day else "–"
            st.write(t("today_rest", lang, day=nxt))


# ---------------------------------------------------------------------------------------------- frame


def local_only_guard() -> bool:
    """Show how to start formcheck properly and return False when the server is not local-only."""
    if runs_local_only(st.get_option("server.address"), st.get_option("browser.gatherUsageStats")):
        return True
    st.error(f"{t('not_local', 'nl')}\n\n{t('not_local', 'en')}")
    return False


def sidebar() -> str:
    """The language switch and the live settings (voice, model), privacy and disclaimer; the language."""
    with st.sidebar:
        st.radio(
            MESSAGES["language"].get(lang()),
            list(LANGS),
            format_func=LANGS.__getitem__,
            key="fc_lang",
            horizontal=True,
        )
        code = lang()
        st.toggle(t("mute", code), key="fc_mute")
        st.selectbox(
            t("model_setting", code),
            MODEL_CHOICES,
            format_func=lambda m: t("model_auto", code) if m == "auto" else m,
            key="fc_model",
        )
        st.caption(t("privacy", code))
        st.caption(t("disclaimer", code))
    return code


# ---------------------------------------------------------------------------------------------- safety


def facts(lang: str) -> None:
    """The reassuring facts about low back pain."""
    items = "".join(
        f"<li>{markup.esc(t(k, lang))}</li>" for k in ("fact_harmless", "fact_movement", "fact_time")
    )
    st.html(f'<div class="fc-facts"><b>{markup.esc(t("facts_title", lang))}</b><ul>{items}</ul></div>')


def safety_passed(lang: str) -> bool:
    """Whether this session has answered the red-flag screen with no flag; else show the screen.

    Any flag ticked: the advice to see the GP, no coaching (until the answers are changed).
    """
    if st.session_state.get("fc_safety") == "ok":
        return True
    st.header(t("safety_title", lang))
    if st.session_state.get("fc_safety") == "gp":
        st.html(f'<div class="fc-gp" id="fc-gp">{markup.esc(t("safety_see_gp", lang))}</div>')
        if st.button(t("safety_recheck", lang), key="fc_recheck"):
            for code in RED_FLAGS:
                st.session_state[f"fc_{code}"] = False
            st.session_state["fc_none"] = False
            st.session_state["fc_safety"] = None
            st.rerun()
        facts(lang)
        return False
    st.write(t("safety_intro", lang))
    for code in RED_FLAGS:
        st.checkbox(t(code, lang), key=f"fc_{code}")
    st.divider()
    st.checkbox(t("safety_none", lang), key="fc_none")
    if st.button(t("safety_continue", lang), type="primary", key="fc_continue"):
        ticked = [c for c in RED_FLAGS if st.session_state.get(f"fc_{c}")]
        none = bool(st.session_state.get("fc_none"))
        if ticked and none:
            st.warning(t("safety_contradiction", lang))
        elif ticked:
            st.session_state["fc_safety"] = "gp"
            st.rerun()
        elif none:
            st.session_state["fc_safety"] = "ok"
            st.rerun()
        else:
            st.warning(t("safety_answer_first", lang))
    facts(lang)
    st.caption(t("disclaimer", lang))
    return False


def keep(keys: tuple[str, ...]) -> None:
    """Keep these widgets' values while another page is shown.

    Streamlit drops a widget's state on a run that does not draw it; writing the value back before any
    widget is drawn keeps it. Called by :func:`formcheck.webapp.nav.main` on every run with :data:`STICKY`.
    """
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


#: Widget keys whose values survive a visit to another page (selectboxes, radios, pills; never buttons).
STICKY: tuple[str, ...] = ("fc_exercise", "fc_mode", "fc_pain_before", "fc_video_exercise")
