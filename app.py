"""formcheck's web app: ``make run`` (``streamlit run app.py``) serves it on http://127.0.0.1:8501.

Streamlit wiring only; the pages and how to add one: :mod:`formcheck.webapp.nav`.
"""

from formcheck.webapp.nav import main

main()
