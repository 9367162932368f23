"""Texts for the pages (pure, no Streamlit): the languages, catalogue look-up, faults and techniques in words.

Every text a page shows comes from :mod:`formcheck.core.messages` or the exercise template; these helpers
only pick and format them.
"""

from __future__ import annotations

from typing import Any

from formcheck.core.messages import fault_text, message, technique_text
from formcheck.core.templates import Template

__all__ = ["LANGS", "fault_text", "faults_text", "t", "technique_text"]

#: The page languages, code -> name shown in the language switch.
LANGS: dict[str, str] = {"nl": "Nederlands", "en": "English"}


def t(code: str, lang: str, **kw: Any) -> str:
    """A catalogue text in ``lang``, formatted with ``kw``."""
    text = message(code, lang)
    return text.format(**kw) if kw else text


def faults_text(template: Template, codes: list[str] | tuple[str, ...], lang: str) -> str:
    """Several faults in words, or the "no faults" text when there are none."""
    return " ".join(fault_text(template, c, lang) for c in codes) or t("no_faults", lang)
