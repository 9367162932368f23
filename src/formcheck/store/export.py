"""Exports of the stored progress: a CSV of every session and rep, and the progress file a physio opens in
their own formcheck (:func:`progress_file` / :func:`read_progress_file`: a round trip).

The progress file is JSON: ``{"format": "formcheck-progress", "version": 1, "exported_at": ...,
"sha256": <hex of the canonical JSON of "data">, "data": {...}}``. The checksum makes a damaged or edited
file a clear message instead of wrong numbers; every field is checked on reading, so a corrupt file is a
:class:`ProgressFileError` naming what is wrong, never a traceback. Reading a file changes nothing stored:
the physio sees the patient's progress from the file alone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime, tzinfo
from typing import Any, TypeVar

from formcheck.store.history import SessionRecord, now_iso
from formcheck.store.tracking import PlanSession, PlanSet, ProgressData, PskScore, StoredProgramme

FORMAT = "formcheck-progress"
#: The progress file version this formcheck writes (files with a higher one are refused).
VERSION = 1
#: Largest progress file read (bytes).
MAX_BYTES = 64 * 1024 * 1024

_T = TypeVar("_T")


class ProgressFileError(ValueError):
    """A progress file that cannot be read; the message (one line) says what is wrong."""


# --------------------------------------------------------------------------------------------- CSV

CSV_COLUMNS: tuple[str, ...] = (
    "session_id",
    "date",
    "started_at",
    "exercise",
    "mode",
    "programme",
    "programme_week",
    "set",
    "side",
    "planned_reps",
    "pain_before",
    "pain_after",
    "rep",
    "score",
    "hold_s",
    "faults",
    "technique",
)


def _local_date(iso: str, tz: tzinfo) -> str:
    try:
        t = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return ""
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(tz).date().isoformat()


def progress_csv(data: ProgressData, tz: tzinfo = UTC) -> str:
    """Every coached session and rep as CSV: one row per rep (a session without reps: one row, rep empty).

    A rep done in a programme set carries the programme's title, week, set, side and planned reps; pain is the
    programme session's (asked once per session) or else the session's own.
    """
    titles = {p.id: p.title for p in data.programmes}
    # (session id, rep position) -> (plan session, plan set)
    where: dict[tuple[str, int], tuple[PlanSession, PlanSet]] = {}
    for ps in data.plan_sessions:
        for s in ps.sets:
            if s.session_id and s.rep_from is not None:
                for k in range(s.rep_from, s.rep_from + s.done_reps):
                    where[(s.session_id, k)] = (ps, s)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for rec in sorted(data.sessions, key=lambda r: r.started_at):
        base = [rec.id, _local_date(rec.started_at, tz), rec.started_at, rec.exercise, rec.mode]
        if not rec.reps:
            w.writerow(
                [*base, "", "", "", "", "", _opt(rec.pain_before), _opt(rec.pain_after), "", "", "", "", ""]
            )
        for k, r in enumerate(rec.reps):
            found = where.get((rec.id, k))
            if found:
                ps, s = found
                plan = [titles.get(ps.programme_id, ""), ps.week, s.set_no, s.side, s.planned_reps]
                pain = [_opt(ps.pain_before), _opt(ps.pain_after)]
            else:
                plan = ["", "", "", "", ""]
                pain = [_opt(rec.pain_before), _opt(rec.pain_after)]
            score = r.get("score")
            hold = r.get("hold_s")
            w.writerow(
                [
                    *base,
                    *plan,
                    *pain,
                    r.get("index", k + 1),
                    "" if score is None else round(float(score), 1),
                    "" if hold is None else round(float(hold), 2),
                    " ".join(r.get("faults") or []),
                    r.get("technique") or "",
                ]
            )
    return out.getvalue()


def _opt(x: object) -> object:
    return "" if x is None else x


# --------------------------------------------------------------------------------------------- progress file


def _plain(x: Any) -> Any:
    """Dataclass fields as JSON values: dates as ISO text, tuples as lists."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    return x.isoformat() if isinstance(x, date) else x


def _data_doc(data: ProgressData) -> dict[str, Any]:
    return {
        "sessions": [s.doc() for s in data.sessions],
        "programmes": [_plain(asdict(p)) for p in data.programmes],
        "plan_sessions": [_plain(asdict(p)) for p in data.plan_sessions],
        "psk_activities": list(data.psk_activities),
        "psk": [_plain(asdict(r)) for r in data.psk],
    }


def _canonical(doc: Any) -> bytes:
    return json.dumps(
        doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode()


def progress_file(data: ProgressData, exported_at: str | None = None) -> bytes:
    """``data`` as a progress file (UTF-8 JSON bytes) for the physio's formcheck."""
    doc = _data_doc(data)
    head = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": exported_at or now_iso(),
        "sha256": hashlib.sha256(_canonical(doc)).hexdigest(),
    }
    return json.dumps({**head, "data": doc}, ensure_ascii=False, indent=1, allow_nan=False).encode("utf-8")


class _Doc:
    """Typed access to one JSON object of a progress file; every problem names its place."""

    def __init__(self, source: str, obj: Any, path: str) -> None:
        self.source, self.path = source, path
        if not isinstance(obj, dict):
            self.fail(path, "expected an object")
        self.obj: dict[str, Any] = obj

    def fail(self, key: str, expected: str) -> None:
        raise ProgressFileError(
            f"{self.source}: {key}: {expected}; the file is damaged or not a progress file"
        )

    def get(self, key: str, kind: type | tuple[type, ...], optional: bool = False) -> Any:
        where = f"{self.path}.{key}" if self.path else key
        if key not in self.obj:
            if optional:
                return None
            self.fail(where, "missing")
        v = self.obj[key]
        if v is None and optional:
            return None
        if isinstance(v, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            self.fail(where, f"expected {_kind_name(kind)}, got {v!r}")
        if not isinstance(v, kind):
            self.fail(where, f"expected {_kind_name(kind)}, got {type(v).__name__}")
        return v

    def day(self, key: str) -> date:
        v = self.get(key, str)
        try:
            return date.fromisoformat(v)
        except ValueError:
            self.fail(f"{self.path}.{key}", f"expected a date (YYYY-MM-DD), got {v!r}")
            raise AssertionError from None  # pragma: no cover

    def score(self, key: str) -> int | None:
        v = self.get(key, int, optional=True)
        if v is not None and not 0 <= v <= 10:
            self.fail(f"{self.path}.{key}", f"expected 0 to 10, got {v}")
        return v

    def items(self, key: str, parse: Callable[[_Doc], _T]) -> list[_T]:
        v = self.get(key, list)
        return [parse(_Doc(self.source, x, f"{self.path}.{key}[{i}]".lstrip("."))) for i, x in enumerate(v)]


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", list: "a list", dict: "an object"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _session(d: _Doc) -> SessionRecord:
    d.get("id", str), d.get("started_at", str), d.get("exercise", str)
    for r in d.get("reps", list):
        if not isinstance(r, dict):
            d.fail(f"{d.path}.reps", "expected a list of objects")
    try:
        rec = SessionRecord.from_doc(d.obj)
    except TypeError as e:
        d.fail(d.path, f"not a session ({e})")
        raise AssertionError from None  # pragma: no cover
    rec.series, rec.series_features = [], []
    return rec


def _programme(d: _Doc) -> StoredProgramme:
    return StoredProgramme(
        id=d.get("id", str),
        title=d.get("title", str),
        started_on=d.day("started_on"),
        added_at=d.get("added_at", str),
        text=d.get("text", str),
    )


def _plan_set(d: _Doc) -> PlanSet:
    hold = d.get("hold_s", list, optional=True)
    if hold is not None and (len(hold) != 2 or not all(isinstance(x, int | float) for x in hold)):
        d.fail(f"{d.path}.hold_s", "expected [least, most] seconds")
    return PlanSet(
        seq=d.get("seq", int),
        exercise=d.get("exercise", str),
        set_no=d.get("set_no", int),
        side=d.get("side", str),
        planned_reps=d.get("planned_reps", int),
        hold_s=(float(hold[0]), float(hold[1])) if hold else None,
        done_reps=d.get("done_reps", int),
        session_id=d.get("session_id", str, optional=True),
        rep_from=d.get("rep_from", int, optional=True),
        state=d.get("state", str),
    )


def _plan_session(d: _Doc) -> PlanSession:
    return PlanSession(
        id=d.get("id", str),
        programme_id=d.get("programme_id", str),
        day=d.day("day"),
        week=d.get("week", int),
        started_at=d.get("started_at", str),
        ended_at=d.get("ended_at", str, optional=True),
        pain_before=d.score("pain_before"),
        pain_after=d.score("pain_after"),
        sets=d.items("sets", _plan_set),
    )


def _psk(d: _Doc) -> PskScore:
    score = d.score("score")
    if score is None:
        d.fail(f"{d.path}.score", "missing")
    return PskScore(
        rated_on=d.day("rated_on"), slot=d.get("slot", int), activity=d.get("activity", str), score=score
    )


def read_progress_file(raw: bytes, source: str = "progress file") -> ProgressData:
    """The progress in a file written by :func:`progress_file` (a physio opening a patient's file).

    Raises:
        ProgressFileError: not a progress file, a newer version, damaged (checksum) or a wrong field; the
            message is one line naming what is wrong.
    """
    if len(raw) > MAX_BYTES:
        raise ProgressFileError(f"{source}: too large for a progress file ({len(raw) // 2**20} MB)")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProgressFileError(f"{source}: not a formcheck progress file (not text)") from None
    except json.JSONDecodeError as e:
        raise ProgressFileError(
            f"{source}: not a formcheck progress file, or it is cut short or damaged "
            f"(invalid JSON at line {e.lineno}, column {e.colno})"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ProgressFileError(f'{source}: not a formcheck progress file (no "format": "{FORMAT}")')
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ProgressFileError(f"{source}: version: expected a whole number, got {version!r}")
    if version > VERSION:
        raise ProgressFileError(
            f"{source}: written by a newer formcheck (progress file version {version}, this one reads up to "
            f"{VERSION}); update formcheck to open it"
        )
    data = doc.get("data")
    if hashlib.sha256(_canonical(data)).hexdigest() != doc.get("sha256"):
        raise ProgressFileError(
            f"{source}: the file is damaged or was changed after it was exported (the checksum differs)"
        )
    d = _Doc(source, data, "data")
    return ProgressData(
        sessions=d.items("sessions", _session),
        programmes=d.items("programmes", _programme),
        plan_sessions=d.items("plan_sessions", _plan_session),
        psk_activities=[str(x) for x in d.get("psk_activities", list)],
        psk=d.items("psk", _psk),
    )
