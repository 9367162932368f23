"""The history page: the earlier sessions (newest first) and "delete my history" with a confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import streamlit as st

from formcheck.store.history import SessionRecord, StoreError
from formcheck.webapp import ui
from formcheck.webapp.texts import t

#: Sessions listed.
SHOWN = 50


def render() -> None:
    """The whole page (run by ``st.navigation`` when the page is shown)."""
    lang = ui.lang()
    store = ui.store()
    st.header(t("history_title", lang))
    if st.session_state.pop("fc_data_deleted", False):
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
    ui.delete_all_data(lang, button_key="fc_delete_history", prefix="fc_delete")


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


if __name__ == "__main__":  # st.navigation runs this file as a script
    render()
