"""The history page: the earlier sessions (newest first) and "delete my history" with a confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import streamlit as st

from formcheck.store.history import SessionRecord, SessionStore, StoreError
from formcheck.webapp import ui
from formcheck.webapp.texts import t

#: Sessions listed.
SHOWN = 50


def render() -> None:
    """The whole page (run by ``st.navigation`` when the page is shown)."""
    lang = ui.lang()
    store = ui.store()
    st.header(t("history_title", lang))
    if st.session_state.pop("fc_history_deleted", False):
        st.success(t("history_deleted", lang))
    try:
        recent = store.recent(SHOWN)
    except StoreError as e:
        st.warning(t("store_unavailable", lang, error=str(e)))
        return
    if not recent:
        st.write(t("history_empty", lang))
        return
    _rows(recent, lang)
    _delete(store, lang)


def history_line(rec: SessionRecord, lang: str) -> str:
    """One session in words: local date and time, exercise, reps, pain before and after."""
    try:
        date = datetime.fromisoformat(rec.started_at).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        date = rec.started_at
    return t(
        "history_row",
        lang,
        date=date,
        exercise=ui.title(rec.exercise, lang),
        reps=len(rec.reps),
        before="–" if rec.pain_before is None else rec.pain_before,
        after="–" if rec.pain_after is None else rec.pain_after,
    )


def _rows(recent: Sequence[SessionRecord], lang: str) -> None:
    for rec in recent:
        st.write(history_line(rec, lang))


def _delete(store: SessionStore, lang: str) -> None:
    """The "delete my history" button, with a confirmation step."""
    if not st.session_state.get("fc_delete_asked"):
        if st.button(t("delete_history", lang), key="fc_delete_history"):
            st.session_state["fc_delete_asked"] = True
            st.rerun()
        return
    st.warning(t("delete_confirm", lang))
    yes, no = st.columns(2)
    if yes.button(t("delete_yes", lang), key="fc_delete_yes", type="primary"):
        st.session_state["fc_delete_asked"] = False
        coach = ui.existing_coach()
        if coach is not None:
            coach.flush()  # a save still queued must not bring a session back after the delete
        try:
            store.delete_all()
        except StoreError as e:
            st.error(t("save_failed", lang, error=str(e)))
            return
        if coach is not None:
            with coach.lock:
                if not coach.live:  # the finished session on the coach page is gone too (a live one goes on)
                    coach.record = None
                    coach.last_lift = None
        st.session_state["fc_history_deleted"] = True
        st.rerun()
    if no.button(t("delete_no", lang), key="fc_delete_no"):
        st.session_state["fc_delete_asked"] = False
        st.rerun()


if __name__ == "__main__":  # st.navigation runs this file as a script
    render()
