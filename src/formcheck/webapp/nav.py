"""The app's frame and its pages: ``app.py`` calls :func:`main` on every run.

:func:`main` sets the page up (local-only check, CSS, sidebar with the language and the live settings,
title), then lets ``st.navigation`` run the page chosen in the sidebar.

**Adding a page** is one file and one line:

1. ``src/formcheck/webapp/pages/NAME.py`` defines ``render()`` (read the language with ``ui.lang()``; a
   patient-facing page starts with ``if not ui.safety_passed(lang): return``) and ends with::

       if __name__ == "__main__":  # st.navigation runs this file as a script
           render()

   Keep it thin: pure helpers (rows, chart data, texts) go in a module tests import without Streamlit
   (like :mod:`~formcheck.webapp.summary`), shared widgets in :mod:`~formcheck.webapp.ui`, HTML in
   :mod:`~formcheck.webapp.markup`.
2. One line in :data:`PAGES` below: ``Page("NAME.py", "page_NAME")``, with the page's title under the
   code ``page_NAME`` in :mod:`formcheck.core.messages` (Dutch and English).

The page's address is ``/NAME``; tests reach it with ``AppTest.switch_page(page_path("NAME"))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from formcheck.webapp import markup, ui
from formcheck.webapp.texts import t

#: Where the page files are.
PAGES_DIR = Path(__file__).resolve().parent / "pages"


@dataclass(frozen=True)
class Page:
    """One page of the app.

    Attributes:
        file: the page's file in :data:`PAGES_DIR`; its stem is the page's address (``/coach``).
        title: message code of the title in the navigation.
    """

    file: str
    title: str

    @property
    def url(self) -> str:
        """The page's address (without the leading slash)."""
        return Path(self.file).stem


#: The pages in the order of the navigation; the first is the start page.
PAGES: tuple[Page, ...] = (
    Page("coach.py", "page_coach"),
    Page("physio.py", "page_physio"),
    Page("history.py", "page_history"),
    Page("programme.py", "page_programme"),
    Page("progress.py", "page_progress"),
    Page("compose.py", "page_compose"),
    Page("teach.py", "page_teach"),
    Page("desk.py", "page_desk"),
)


def page_path(name: str) -> str:
    """The page file ``name`` relative to the repository's ``app.py`` (for ``AppTest.switch_page``)."""
    return f"src/formcheck/webapp/pages/{name}.py"


def main() -> None:
    """Set the page up and run the chosen page (called by ``app.py`` on every run)."""
    st.set_page_config(page_title="formcheck", layout="wide")
    if not ui.local_only_guard():
        st.stop()
    ui.keep(ui.STICKY)
    st.html(markup.CSS)
    lang = ui.sidebar()
    chosen = st.navigation(
        [
            st.Page(PAGES_DIR / p.file, title=t(p.title, lang), url_path=p.url, default=i == 0)
            for i, p in enumerate(PAGES)
        ]
    )
    st.title(t("app_title", lang))
    st.caption(t("app_tagline", lang))
    chosen.run()
