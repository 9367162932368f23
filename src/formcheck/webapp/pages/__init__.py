"""The app's pages, one file each; :data:`formcheck.webapp.nav.PAGES` lists them (see there to add one).

Each file is both a module (tests import it) and the script ``st.navigation`` runs when the page is
shown: it defines ``render()`` and calls it under ``if __name__ == "__main__":``.
"""
