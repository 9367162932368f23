"""formcheck's web page: ``make run`` (``streamlit run app.py``) serves it on http://127.0.0.1:8501.

Streamlit wiring only; everything lives in :mod:`formcheck.webapp`.
"""

from formcheck.webapp.page import main

main()
