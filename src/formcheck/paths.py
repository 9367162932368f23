"""Where formcheck keeps the user's own data (the session history, taught exercises): one rule for all."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The folder that holds formcheck's user data (not created here): ``$FORMCHECK_DATA_DIR`` when set,
    else ``$XDG_DATA_HOME/formcheck`` or ``~/.local/share/formcheck``."""
    override = os.environ.get("FORMCHECK_DATA_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "formcheck"


def exercises_dir() -> Path:
    """The user's own exercise templates (taught by demonstration; not created here):
    ``$FORMCHECK_EXERCISES_DIR`` when set, else ``exercises`` in :func:`data_dir`."""
    override = os.environ.get("FORMCHECK_EXERCISES_DIR")
    if override:
        return Path(override).expanduser()
    return data_dir() / "exercises"
