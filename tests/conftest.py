"""Shared test helpers: where the shared clips are, and a skip that fails in CI."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pytest

from formcheck.core.templates import available
from formcheck.pose.pipeline import PoseTrace

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SHARED = Path(os.environ.get("FORMCHECK_SHARED", ROOT.parent / "shared"))


def need_shared(*parts: str) -> Path:
    """Path under ../shared; skips (visibly) when absent, fails when CI=true."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        msg = f"needs {path} (the shared clips folder beside the repo)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def clips_with_template() -> list[tuple[str, str]]:
    """``(clip stem, exercise)`` for every clip of tests/data/labels.json whose exercise has a template."""
    known = set(available())
    out = []
    for c in json.loads((DATA / "labels.json").read_text(encoding="utf-8"))["clips"]:
        exercise = str(c.get("exercise", "")).replace("-", "_")
        if exercise in known:
            out.append((c["file"].rsplit("/", 1)[-1].rsplit(".", 1)[0], exercise))
    return out


@functools.cache
def load_trace(stem: str) -> PoseTrace:
    """The committed pose trace of a clip (tests/data/traces/<stem>.npz; cached for the session)."""
    path = DATA / "traces" / f"{stem}.npz"
    assert path.is_file(), f"no trace {path}: run `make fixtures`"
    return PoseTrace.load(str(path))
