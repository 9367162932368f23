"""Session history: one SQLite file in the user's data folder (never any video).

The folder is ``$FORMCHECK_DATA_DIR`` when set, else ``$XDG_DATA_HOME/formcheck`` or
``~/.local/share/formcheck``. Every write is one SQLite transaction (WAL journal, ``synchronous=FULL``), so a
crash, a full disk or two browser tabs writing at once can never lose or corrupt earlier sessions: a write
either lands completely or not at all. A live session is *upserted* under its id (after every rep and when
the stream stops), so the results so far survive a closed tab or a reload.

Anything that goes wrong is a :class:`StoreError` with a one-line message meant for the user.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from formcheck.engine import RepRecord

#: File name of the history database inside the data folder.
DB_NAME = "formcheck.sqlite3"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    ended_at TEXT,
    exercise TEXT NOT NULL,
    mode TEXT NOT NULL,
    lang TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    pain_before INTEGER,
    pain_after INTEGER,
    reps INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_started ON sessions (started_at);
"""


class StoreError(Exception):
    """The history cannot be read or written; the message is one line meant for the user."""


def data_dir() -> Path:
    """The folder that holds formcheck's user data (not created here)."""
    override = os.environ.get("FORMCHECK_DATA_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "formcheck"


def now_iso() -> str:
    """The current UTC time as an ISO 8601 string (seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_session_id() -> str:
    """A fresh random session id."""
    return uuid.uuid4().hex


def rep_to_dict(rep: RepRecord) -> dict[str, Any]:
    """A :class:`RepRecord` as plain JSON-ready data (tuples become lists, NaN becomes None)."""
    return _clean(asdict(rep))


def _clean(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


@dataclass
class SessionRecord:
    """One coaching session as stored (no video, no landmarks).

    Attributes:
        id: random id (hex).
        started_at / ended_at: ISO 8601 UTC times; ``ended_at`` is None while the session is live.
        exercise: template name.
        mode: ``coach`` (patient exercising) or ``demo`` (physio lifting demonstration).
        lang: ``nl`` or ``en``.
        model: pose model used (``lite`` / ``full``).
        pain_before / pain_after: 0-10, or None when not given.
        reps: finished reps as plain dicts (see :func:`rep_to_dict`).
        series: ``[[t_s, value, ...], ...]`` of the exercise's display features (downsampled), for the chart.
        series_features: names of the values after ``t_s`` in each ``series`` row.
        cues: ``[[t_s, code], ...]`` of cues given.
        notes: free text notes (e.g. what went wrong with the camera).
    """

    id: str
    started_at: str
    exercise: str
    mode: str = "coach"
    lang: str = "nl"
    model: str = ""
    ended_at: str | None = None
    pain_before: int | None = None
    pain_after: int | None = None
    reps: list[dict[str, Any]] = field(default_factory=list)
    series: list[list[float]] = field(default_factory=list)
    series_features: list[str] = field(default_factory=list)
    cues: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def doc(self) -> dict[str, Any]:
        """The JSON document stored for this record."""
        return _clean(asdict(self))

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> SessionRecord:
        """Rebuild a record from :meth:`doc` output (unknown keys are ignored)."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in doc.items() if k in known})


class SessionStore:
    """The session history in ``<folder>/formcheck.sqlite3``.

    Each call opens its own short-lived connection, so one store can be shared between threads (the live
    video thread saves after each rep while the page reads the history).

    Args:
        folder: where the database lives; default :func:`data_dir`.
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = Path(folder) if folder is not None else data_dir()
        self.path = self.folder / DB_NAME
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the data folder {self.folder}: {e.strerror or e}") from None
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder, not a history file")
        con = None
        try:
            con = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            con.execute("PRAGMA busy_timeout = 10000")
            con.execute("PRAGMA synchronous = FULL")
            if not self._ready:
                _retry_busy(lambda: con.execute("PRAGMA journal_mode = WAL"))
                with _tx(con):
                    for stmt in _SCHEMA.split(";"):
                        if stmt.strip():
                            con.execute(stmt)
                    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._ready = True
        except sqlite3.DatabaseError as e:
            if con is not None:
                con.close()
            raise StoreError(_db_error(self.path, e)) from None
        return con

    def save(self, record: SessionRecord) -> None:
        """Insert or replace ``record`` (by id) in one transaction; earlier sessions are never touched.

        Raises:
            StoreError: the database cannot be written (the previous content stays as it was).
        """
        try:
            doc = json.dumps(record.doc(), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as e:
            # A bug in what is being saved, not in the file: nothing is written, earlier sessions stay.
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise StoreError(f"this session could not be saved ({type(e).__name__}: {first})") from None
        con = self._connect()
        try:
            with _tx(con):
                con.execute(
                    """INSERT INTO sessions (id, started_at, updated_at, ended_at, exercise, mode, lang,
                                             model, pain_before, pain_after, reps, doc)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT(id) DO UPDATE SET
                         updated_at = excluded.updated_at, ended_at = excluded.ended_at,
                         exercise = excluded.exercise, mode = excluded.mode, lang = excluded.lang,
                         model = excluded.model, pain_before = excluded.pain_before,
                         pain_after = excluded.pain_after, reps = excluded.reps, doc = excluded.doc""",
                    (
                        record.id,
                        record.started_at,
                        now_iso(),
                        record.ended_at,
                        record.exercise,
                        record.mode,
                        record.lang,
                        record.model,
                        record.pain_before,
                        record.pain_after,
                        len(record.reps),
                        doc,
                    ),
                )
        except sqlite3.DatabaseError as e:
            raise StoreError(_db_error(self.path, e)) from None
        finally:
            con.close()

    def get(self, session_id: str) -> SessionRecord | None:
        """The stored session ``session_id``, or None."""
        rows = self._query("SELECT doc FROM sessions WHERE id = ?", (session_id,))
        return SessionRecord.from_doc(json.loads(rows[0][0])) if rows else None

    def recent(self, limit: int = 20) -> list[SessionRecord]:
        """The most recent sessions, newest first."""
        rows = self._query("SELECT doc FROM sessions ORDER BY started_at DESC, rowid DESC LIMIT ?", (limit,))
        out = []
        for (doc,) in rows:
            try:
                out.append(SessionRecord.from_doc(json.loads(doc)))
            except (ValueError, TypeError):
                continue  # one unreadable row must not hide the others
        return out

    def count(self) -> int:
        """Number of stored sessions."""
        return int(self._query("SELECT COUNT(*) FROM sessions", ())[0][0])

    def delete(self, session_id: str) -> bool:
        """Delete one session for good; returns whether it was there.

        Raises:
            StoreError: the database cannot be written.
        """
        return self._delete("DELETE FROM sessions WHERE id = ?", (session_id,)) > 0

    def delete_all(self) -> int:
        """Delete every stored session for good; returns how many there were.

        The freed pages are overwritten (``secure_delete``) and the journal is emptied, so the deleted
        sessions cannot be read back from the files afterwards.

        Raises:
            StoreError: the database cannot be written (nothing is deleted then).
        """
        return self._delete("DELETE FROM sessions", ())

    def _delete(self, sql: str, args: tuple[Any, ...]) -> int:
        if not self.path.exists():
            return 0
        con = self._connect()
        try:
            con.execute("PRAGMA secure_delete = ON")
            with _tx(con):
                n = con.execute(sql, args).rowcount
            _retry_busy(lambda: con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
            return max(0, int(n))
        except sqlite3.DatabaseError as e:
            raise StoreError(_db_error(self.path, e)) from None
        finally:
            con.close()

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if not self.path.exists():
            return []
        con = self._connect()
        try:
            return con.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as e:
            raise StoreError(_db_error(self.path, e)) from None
        finally:
            con.close()


@contextmanager
def _tx(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any error) on an autocommit connection."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _retry_busy(fn: Callable[[], object], attempts: int = 100, pause_s: float = 0.05) -> None:
    """Run ``fn``; while SQLite says the file is locked by another connection, wait and try again.

    (Switching to WAL needs a moment alone with the file, and SQLite's busy timeout does not cover it.)
    """
    for i in range(attempts):
        try:
            fn()
            return
        except sqlite3.OperationalError as e:
            if ("locked" not in str(e) and "busy" not in str(e)) or i == attempts - 1:
                raise
            time.sleep(pause_s)


def _db_error(path: Path, e: sqlite3.DatabaseError) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if "not a database" in text or "malformed" in text:
        return f"the history file {path} is damaged or not a formcheck database ({text}); left untouched"
    if "locked" in text or "busy" in text:
        return f"the history file {path} is busy (another formcheck is writing); try again"
    if "readonly" in text or "read-only" in text:
        return f"the history file {path} is read-only"
    return f"cannot use the history file {path}: {text}"
