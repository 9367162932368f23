"""Session history: one SQLite file in the user's data folder (never any video).

The folder is ``$FORMCHECK_DATA_DIR`` when set, else ``$XDG_DATA_HOME/formcheck`` or
``~/.local/share/formcheck``. Every write is one SQLite transaction (WAL journal, ``synchronous=FULL``, a
busy timeout), so a crash, a full disk or two browser tabs writing at once can never lose or corrupt earlier
sessions: a write either lands completely or not at all. A live session is *upserted* under its id, and each
finished rep can be committed on its own the moment it finishes (:meth:`SessionStore.add_rep`: one small row,
whatever the session's length), so the results so far survive a closed tab, a reload or a killed app.

Schema versions: the file's ``PRAGMA user_version`` is the number of :data:`MIGRATIONS` applied to it. On
first use a store brings an older file up to date, one step per transaction (the step's SQL and the new
version commit together, so a failed or interrupted step leaves the file exactly at the version before). A
file from a newer formcheck, a damaged file and a SQLite file that is not formcheck's are refused with one
line and never written to.

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

from formcheck.core.engine import RepRecord
from formcheck.paths import data_dir

#: File name of the history database inside the data folder.
DB_NAME = "formcheck.sqlite3"

#: The schema's history, oldest first: step ``i`` (1-based) takes a file from version ``i - 1`` to ``i``.
#: Each step is a tuple of SQL statements run in one transaction with the version bump. Never edit a step
#: that has been released; append a new one. Steps are written so that running one again on a file that
#: already has it changes nothing (a file an older formcheck re-stamped as older upgrades cleanly).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1 (formcheck 0.1): one row per session, everything in a JSON document.
    (
        """CREATE TABLE IF NOT EXISTS sessions (
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
        )""",
        "CREATE INDEX IF NOT EXISTS sessions_started ON sessions (started_at)",
    ),
    # 2: finished reps in rows of their own (``seq`` = 0-based position in the session), so a rep is
    # committed alone when it finishes instead of rewriting the whole session. The reps of existing
    # sessions move out of their documents; a document that is not valid JSON is left as it was.
    (
        """CREATE TABLE IF NOT EXISTS reps (
            session_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            doc TEXT NOT NULL,
            PRIMARY KEY (session_id, seq)
        ) WITHOUT ROWID""",
        """INSERT OR IGNORE INTO reps (session_id, seq, doc)
           SELECT s.id, j.key, j.value
           FROM (SELECT id, doc FROM sessions WHERE json_valid(doc)) AS s, json_each(s.doc, '$.reps') AS j
           WHERE j.type = 'object'""",
        """UPDATE sessions SET
               reps = (SELECT COUNT(*) FROM reps WHERE reps.session_id = sessions.id),
               doc = json_remove(doc, '$.reps')
           WHERE json_valid(doc) AND json_type(doc, '$.reps') IS NOT NULL""",
    ),
    # 3: programmes followed (the file's text as the physio wrote it, and the day the patient started it),
    # a programme session per day with its pain before/after, its sets planned vs done (``done_reps`` is
    # updated as each rep is counted; the reps themselves are rows of ``reps`` under ``session_id`` from
    # position ``rep_from``), and the weekly patient-specific complaints (PSK): up to three named
    # activities, each rated 0-10 (``rated_on`` is the local date of the rating).
    (
        """CREATE TABLE IF NOT EXISTS programmes (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            started_on TEXT NOT NULL,
            added_at TEXT NOT NULL,
            text TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS plan_sessions (
            id TEXT PRIMARY KEY,
            programme_id TEXT NOT NULL,
            day TEXT NOT NULL,
            week INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            ended_at TEXT,
            pain_before INTEGER,
            pain_after INTEGER
        )""",
        "CREATE INDEX IF NOT EXISTS plan_sessions_day ON plan_sessions (day)",
        """CREATE TABLE IF NOT EXISTS plan_sets (
            plan_session_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            exercise TEXT NOT NULL,
            set_no INTEGER NOT NULL,
            side TEXT NOT NULL DEFAULT '',
            planned_reps INTEGER NOT NULL,
            hold_min_s REAL,
            hold_max_s REAL,
            done_reps INTEGER NOT NULL DEFAULT 0,
            session_id TEXT,
            rep_from INTEGER,
            state TEXT NOT NULL DEFAULT 'planned',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (plan_session_id, seq)
        ) WITHOUT ROWID""",
        """CREATE TABLE IF NOT EXISTS psk_activities (
            slot INTEGER PRIMARY KEY,
            activity TEXT NOT NULL,
            named_at TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS psk_scores (
            rated_on TEXT NOT NULL,
            slot INTEGER NOT NULL,
            activity TEXT NOT NULL,
            score INTEGER NOT NULL,
            rated_at TEXT NOT NULL,
            PRIMARY KEY (rated_on, slot)
        ) WITHOUT ROWID""",
    ),
)

#: Every table, in the order "delete all my data" empties them.
TABLES: tuple[str, ...] = (
    "reps",
    "sessions",
    "plan_sets",
    "plan_sessions",
    "programmes",
    "psk_scores",
    "psk_activities",
)

#: The schema version this code writes (the number of :data:`MIGRATIONS`).
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """The history cannot be read or written; the message is one line meant for the user."""


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
    video thread saves after each rep while the page reads the history), and several stores (browser tabs,
    app processes) can share one file. Every connection checks the file's schema version first: an older
    file is upgraded (:data:`MIGRATIONS`), a newer one refused.

    Args:
        folder: where the database lives; default :func:`data_dir`.
        busy_timeout_s: how long a write waits for another writer to finish before giving up, in seconds.
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None, busy_timeout_s: float = 10.0) -> None:
        self.folder = Path(folder) if folder is not None else data_dir()
        self.path = self.folder / DB_NAME
        self.busy_timeout_s = float(busy_timeout_s)

    # ------------------------------------------------------------------ connection and schema

    def _connect(self) -> sqlite3.Connection:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the data folder {self.folder}: {e.strerror or e}") from None
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder, not a history file")
        con = None
        try:
            con = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
            con.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            con.execute("PRAGMA synchronous = FULL")
            # The first read of the file: a damaged or foreign file fails here, before anything is written.
            if _user_version(con) != len(MIGRATIONS):
                self._upgrade(con)
        except sqlite3.DatabaseError as e:
            if con is not None:
                con.close()
            raise StoreError(_db_error(self.path, e)) from None
        except StoreError:
            if con is not None:
                con.close()
            raise
        return con

    def _upgrade(self, con: sqlite3.Connection) -> None:
        """Bring the file to the newest schema version, one migration step per transaction, or refuse it."""
        version = _user_version(con)
        self._refuse_unknown(con, version)
        if version > 0 and _quick_check(con) != "ok":
            raise StoreError(
                f"the history file {self.path} is damaged (schema version {version}); left untouched"
            )
        if str(con.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
            _retry_busy(lambda: con.execute("PRAGMA journal_mode = WAL").fetchall())
        for step in range(version + 1, len(MIGRATIONS) + 1):
            with _tx(con):
                # Re-read inside the write lock: another tab or process may have upgraded meanwhile.
                now = _user_version(con)
                self._refuse_unknown(con, now)
                if now >= step:
                    continue
                try:
                    for stmt in MIGRATIONS[step - 1]:
                        con.execute(stmt)
                except sqlite3.DatabaseError as e:
                    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                    if "malformed" in text or "not a database" in text:
                        raise StoreError(_db_error(self.path, e)) from None
                    raise StoreError(
                        f"the history file {self.path} could not be upgraded from schema version {step - 1} "
                        f"to {step} ({text}); left as it was"
                    ) from None
                con.execute(f"PRAGMA user_version = {step}")

    def _refuse_unknown(self, con: sqlite3.Connection, version: int) -> None:
        """Raise when the file is from a newer formcheck or is someone else's SQLite database."""
        if version > len(MIGRATIONS):
            raise StoreError(
                f"the history file {self.path} was written by a newer formcheck (schema version {version}, "
                f"this one knows up to {len(MIGRATIONS)}); update formcheck to open it; left untouched"
            )
        if version == 0:
            sql = "SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'"
            names = {r[0] for r in con.execute(sql)}
            if names and "sessions" not in names:
                raise StoreError(f"the history file {self.path} is not a formcheck database; left untouched")

    # ------------------------------------------------------------------ transactions (for the other stores)

    def exists(self) -> bool:
        """Whether the history file is there (reading a missing file creates nothing)."""
        return self.path.is_file()

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """A connection inside one write transaction: everything done in the block lands, or nothing.

        ``BEGIN IMMEDIATE`` takes the write lock first (a second tab waits up to the busy timeout); any error
        rolls the block back.

        Raises:
            StoreError: the file cannot be opened, is busy for longer than the timeout, or a statement fails.
        """
        con = self._connect()
        try:
            with _tx(con):
                yield con
        except sqlite3.DatabaseError as e:
            raise StoreError(_db_error(self.path, e)) from None
        finally:
            con.close()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection reading one consistent snapshot of the file (check :meth:`exists` first).

        Raises:
            StoreError: the file cannot be opened or read.
        """
        con = self._connect()
        try:
            con.execute("BEGIN")
            yield con
            con.execute("COMMIT")
        except sqlite3.DatabaseError as e:
            raise StoreError(_db_error(self.path, e)) from None
        finally:
            con.close()

    # ------------------------------------------------------------------ writing

    def save(self, record: SessionRecord) -> None:
        """Insert or replace ``record`` (by id) in one transaction; earlier sessions are never touched.

        The record's reps are written by position; a rep already stored is never removed by a save (a
        finished rep is a fact: a save from an older snapshot cannot take back one that :meth:`add_rep`
        committed).

        Raises:
            StoreError: the database cannot be written (the previous content stays as it was).
        """
        header, reps = _encode(record)
        con = self._connect()
        try:
            with _tx(con):
                _upsert_session(con, record, header)
                con.executemany(_UPSERT_REP, [(record.id, i, doc) for i, doc in enumerate(reps)])
                _recount(con, record.id)
        except sqlite3.DatabaseError as e:
            raise StoreError(_db_error(self.path, e)) from None
        finally:
            con.close()

    def add_rep(self, record: SessionRecord, seq: int | None = None) -> None:
        """Commit one finished rep of a live session now: ``record.reps[seq]`` (default: the last one).

        Cheap whatever the session's length: when the session is already stored only the rep's row is
        written (the rest of the record, e.g. the chart series, follows with the next :meth:`save`); when it
        is not, the whole record is saved. Calling it again for the same rep changes nothing.

        Raises:
            StoreError: the database cannot be written, or ``record`` has no rep ``seq``.
        """
        n = len(record.reps)
        i = n - 1 if seq is None else int(seq)
        if not 0 <= i < n:
            raise StoreError(f"session {record.id} has no rep {i} to save ({n} reps)")
        rep_doc = _dumps(record.reps[i])
        con = self._connect()
        try:
            with _tx(con):
                stored = con.execute("SELECT 1 FROM sessions WHERE id = ?", (record.id,)).fetchone()
                if stored is None:
                    header, reps = _encode(record)
                    _upsert_session(con, record, header)
                    con.executemany(_UPSERT_REP, [(record.id, k, doc) for k, doc in enumerate(reps)])
                else:
                    con.execute(_UPSERT_REP, (record.id, i, rep_doc))
                    con.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now_iso(), record.id))
                _recount(con, record.id)
        except sqlite3.DatabaseError as e:
            raise StoreError(_db_error(self.path, e)) from None
        finally:
            con.close()

    # ------------------------------------------------------------------ reading

    def get(self, session_id: str) -> SessionRecord | None:
        """The stored session ``session_id``, or None."""
        found = self._read("SELECT id, doc FROM sessions WHERE id = ?", (session_id,))
        return found[0] if found else None

    def recent(self, limit: int = 20) -> list[SessionRecord]:
        """The most recent sessions, newest first (a session whose row cannot be read is skipped)."""
        sql = "SELECT id, doc FROM sessions ORDER BY started_at DESC, rowid DESC LIMIT ?"
        return self._read(sql, (limit,))

    def count(self) -> int:
        """Number of stored sessions."""
        if not self.path.exists():
            return 0
        con = self._connect()
        try:
            return int(con.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])
        except sqlite3.DatabaseError as e:
            raise StoreError(_db_error(self.path, e)) from None
        finally:
            con.close()

    def _read(self, sql: str, args: tuple[Any, ...]) -> list[SessionRecord]:
        """Sessions selected by ``sql`` (``id, doc`` rows) with their reps, read in one snapshot."""
        if not self.path.exists():
            return []
        con = self._connect()
        try:
            con.execute("BEGIN")
            rows = con.execute(sql, args).fetchall()
            out = []
            for sid, doc in rows:
                texts = con.execute("SELECT doc FROM reps WHERE session_id = ? ORDER BY seq", (sid,))
                reps = [rep for (text,) in texts if (rep := _loads(text)) is not None]
                data = _loads(doc)
                if not isinstance(data, dict):
                    continue  # one unreadable row must not hide the others
                if isinstance(data.get("reps"), list) and not reps:
                    reps = data["reps"]  # a document an older formcheck wrote into this file
                data["reps"] = reps
                try:
                    out.append(SessionRecord.from_doc(data))
                except TypeError:
                    continue
            con.execute("COMMIT")
            return out
        except sqlite3.DatabaseError as e:
            raise StoreError(_db_error(self.path, e)) from None
        finally:
            con.close()

    # ------------------------------------------------------------------ deleting

    def delete(self, session_id: str) -> bool:
        """Delete one session (and its reps) for good; returns whether it was there.

        Raises:
            StoreError: the database cannot be written.
        """
        return (
            self._delete(
                ("DELETE FROM reps WHERE session_id = ?", "DELETE FROM sessions WHERE id = ?"), (session_id,)
            )
            > 0
        )

    def delete_all(self) -> int:
        """Delete everything formcheck stored for good: sessions, reps, programmes, planned and done sets,
        pain and PSK scores. Returns how many sessions there were.

        The freed pages are overwritten (``secure_delete``), the file is compacted (``VACUUM``) and the
        journal is emptied, so nothing deleted can be read back from the files afterwards.

        Raises:
            StoreError: the database cannot be written (nothing is deleted then).
        """
        n = self._delete(tuple(f"DELETE FROM {t}" for t in TABLES), ())
        if self.path.exists():
            con = self._connect()
            try:
                _retry_busy(lambda: con.execute("VACUUM").fetchall())
                _retry_busy(lambda: con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
            except sqlite3.DatabaseError as e:
                raise StoreError(_db_error(self.path, e)) from None
            finally:
                con.close()
        return n

    def _delete(self, sqls: tuple[str, ...], args: tuple[Any, ...]) -> int:
        """Run the deletes in one transaction; returns the rows the ``sessions`` delete removed."""
        if not self.path.exists():
            return 0
        con = self._connect()
        try:
            con.execute("PRAGMA secure_delete = ON")
            n = 0
            with _tx(con):
                for sql in sqls:
                    count = con.execute(sql, args).rowcount
                    if "FROM sessions" in sql:
                        n = count
            _retry_busy(lambda: con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
            return max(0, int(n))
        except sqlite3.DatabaseError as e:
            raise StoreError(_db_error(self.path, e)) from None
        finally:
            con.close()


#: Write one rep row; a row that is already there with the same text is not rewritten.
_UPSERT_REP = """INSERT INTO reps (session_id, seq, doc) VALUES (?, ?, ?)
                 ON CONFLICT(session_id, seq) DO UPDATE SET doc = excluded.doc
                 WHERE doc IS NOT excluded.doc"""


def _dumps(value: Any) -> str:
    """``value`` as strict JSON text; a value that cannot be is a :class:`StoreError` (nothing written)."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as e:
        # A bug in what is being saved, not in the file: nothing is written, earlier sessions stay.
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StoreError(f"this session could not be saved ({type(e).__name__}: {first})") from None


def _loads(text: str) -> Any:
    """JSON ``text`` decoded, or None when it is not valid JSON."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def _encode(record: SessionRecord) -> tuple[str, list[str]]:
    """``(session document without the reps, one document per rep)`` as JSON text."""
    doc = record.doc()
    reps = doc.pop("reps", [])
    return _dumps(doc), [_dumps(r) for r in reps]


def _upsert_session(con: sqlite3.Connection, record: SessionRecord, header: str) -> None:
    con.execute(
        """INSERT INTO sessions (id, started_at, updated_at, ended_at, exercise, mode, lang,
                                 model, pain_before, pain_after, reps, doc)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
           ON CONFLICT(id) DO UPDATE SET
             updated_at = excluded.updated_at, ended_at = excluded.ended_at,
             exercise = excluded.exercise, mode = excluded.mode, lang = excluded.lang,
             model = excluded.model, pain_before = excluded.pain_before,
             pain_after = excluded.pain_after, doc = excluded.doc""",
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
            header,
        ),
    )


def _recount(con: sqlite3.Connection, session_id: str) -> None:
    """Set the session's ``reps`` column to the number of its stored reps."""
    con.execute(
        "UPDATE sessions SET reps = (SELECT COUNT(*) FROM reps WHERE session_id = ?) WHERE id = ?",
        (session_id, session_id),
    )


def _user_version(con: sqlite3.Connection) -> int:
    return int(con.execute("PRAGMA user_version").fetchone()[0])


def _quick_check(con: sqlite3.Connection) -> str:
    """SQLite's ``quick_check`` verdict (``ok`` or the first problem), read-only."""
    row = con.execute("PRAGMA quick_check(1)").fetchone()
    return str(row[0]) if row else "no answer"


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
