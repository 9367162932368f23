"""Where an uploaded video and its analysis live while the page is open: one private temporary folder per
browser session, removed when the session ends (no Streamlit here; the physio page ties a workspace to its
session with a session-scoped ``st.cache_resource`` whose ``on_release`` calls :meth:`Workspace.close`).

Nothing from an upload stays on disk after the page is closed: the folder goes when the session ends, when
the physio removes the video, when another video replaces it, at interpreter exit (``weakref.finalize``),
and, for a server that was killed, at the next start (:func:`sweep_orphans`: folders of processes that no
longer run).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
from pathlib import Path

#: Name prefix of the workspace folders (``<prefix><pid>-<random>`` in the system's temporary folder).
PREFIX = "formcheck-upload-"
#: The file name an upload is stored under (plus its lower-case extension): never the user's file name.
UPLOAD_STEM = "upload"


def base_dir() -> Path:
    """The folder workspaces are made in (the system's temporary folder; ``TMPDIR`` moves it)."""
    return Path(tempfile.gettempdir())


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_orphans(base: Path | None = None) -> list[Path]:
    """Remove workspace folders left by formcheck processes that no longer run; returns those removed."""
    removed = []
    root = base if base is not None else base_dir()
    try:
        entries = list(root.glob(PREFIX + "*"))
    except OSError:
        return removed
    for d in entries:
        pid_text = d.name[len(PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _pid_alive(int(pid_text)):
            continue
        shutil.rmtree(d, ignore_errors=True)
        if not d.exists():
            removed.append(d)
    return removed


class Workspace:
    """A private temporary folder for one browser session's upload and its results.

    Thread-safe; :meth:`close` may be called from any thread, more than once.
    """

    def __init__(self, base: Path | None = None) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=base))
        os.chmod(self.path, 0o700)
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), ignore_errors=True)

    @property
    def closed(self) -> bool:
        """Whether the folder has been removed."""
        return not self._finalizer.alive

    def clear(self) -> None:
        """Remove everything in the folder (the folder stays)."""
        with self._lock:
            if self.closed:
                return
            for p in list(self.path.iterdir()):
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)

    def close(self) -> None:
        """Remove the folder and everything in it."""
        with self._lock:
            self._finalizer()

    def job_dir(self, name: str) -> Path:
        """A fresh, empty sub-folder ``name`` (for one upload's analysis)."""
        with self._lock:
            if self.closed:
                raise OSError("the upload folder was removed")
            d = self.path / name
            if d.exists():
                shutil.rmtree(d, ignore_errors=True)
            d.mkdir()
            return d


def upload_name(filename: str, allowed: tuple[str, ...]) -> str:
    """The stored file name of an upload: :data:`UPLOAD_STEM` plus its extension if allowed, else ``.bin``.

    Args:
        filename: the name the browser sent (never used as a path).
        allowed: lower-case extensions without the dot.
    """
    ext = Path(filename).suffix.lower().lstrip(".")
    return f"{UPLOAD_STEM}.{ext if ext in allowed else 'bin'}"
