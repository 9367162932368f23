"""The ``formcheck`` command run as a subprocess: bad input gives one clear line, never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from formcheck.cli import _parser

REPO_ROOT = Path(__file__).resolve().parent.parent
CLIP = REPO_ROOT / "tests" / "data" / "clips" / "physioplus_bridging.mp4"
BRIDGE_TOML = REPO_ROOT / "src" / "formcheck" / "exercises" / "bridge.toml"


def run(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run ``python -m formcheck.cli ARGS`` and capture its output as text."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("FORMCHECK_DEBUG", None)  # debug mode re-raises internal errors on purpose
    return subprocess.run(
        [sys.executable, "-m", "formcheck.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def assert_one_line_error(res: subprocess.CompletedProcess, *phrases: str) -> str:
    """Non-zero exit, one stderr line ``formcheck: error: ...`` containing every phrase, no traceback."""
    assert "Traceback" not in res.stderr + res.stdout, res.stderr
    assert res.returncode != 0
    lines = res.stderr.splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr, got {len(lines)}:\n{res.stderr}"
    line = lines[0]
    assert line.startswith("formcheck: error:"), line
    for phrase in phrases:
        assert phrase.lower() in line.lower(), f"{phrase!r} not in {line!r}"
    return line


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad_cli")
    data = CLIP.read_bytes()
    n = len(data)
    files = {
        "missing": folder / "missing.mp4",
        "folder": folder / "a_folder",
        "text": folder / "notes.mp4",
        "empty": folder / "empty.mp4",
        "truncated": folder / "truncated.mp4",
        "zeroed": folder / "zeroed.mp4",
        "no_frames": folder / "no_frames.mp4",
    }
    files["folder"].mkdir()
    files["text"].write_text("just some text\n" * 100, encoding="utf-8")
    files["empty"].write_bytes(b"")
    files["truncated"].write_bytes(data[: n // 5])
    lo, hi = n * 2 // 5, n * 3 // 5
    files["zeroed"].write_bytes(data[:lo] + bytes(hi - lo) + data[hi:])
    writer = cv2.VideoWriter(str(files["no_frames"]), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, (640, 480))
    writer.release()
    assert files["no_frames"].is_file()
    return files


# ------------------------------------------------------------------------------------------- bad videos

VIDEO_CASES = [
    # kind, phrases the one-line error must contain
    ("missing", ["missing.mp4", "not found"]),
    ("folder", ["a_folder", "folder"]),
    ("text", ["notes.mp4", "not a video"]),
    ("empty", ["empty.mp4", "empty"]),
    # the moov atom sits at the end of the file, so a cut-off copy cannot be opened at all
    ("truncated", ["truncated.mp4", "not a video"]),
    ("no_frames", ["no_frames.mp4", "not a video"]),
]


@pytest.mark.parametrize(("kind", "phrases"), VIDEO_CASES, ids=[c[0] for c in VIDEO_CASES])
def test_bad_video_gives_one_line_error(bad: dict[str, Path], kind: str, phrases: list[str]) -> None:
    res = run("analyze", bad[kind], "--exercise", "bridge")
    assert_one_line_error(res, *phrases)
    assert res.returncode == 3
    assert res.stdout == ""


@pytest.mark.model
def test_zeroed_middle_is_analysed_partially_with_a_note(bad: dict[str, Path]) -> None:
    """Bytes zeroed mid-file: decoding stops at the damage; the frames before it are analysed, with a note."""
    res = run("analyze", bad["zeroed"], "--exercise", "bridge", "--json")
    assert "Traceback" not in res.stderr
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert 0 < doc["frames"] < 91
    notes = " ".join(doc["notes"])
    assert re.search(rf"Only {doc['frames']} of 91 frames could be decoded", notes), doc["notes"]


# ------------------------------------------------------------------------------------------- exercises


def test_unknown_exercise_lists_the_known_ones() -> None:
    res = run("analyze", CLIP, "--exercise", "squat")
    line = assert_one_line_error(res, "unknown exercise", "squat", "bridge", "lifting")
    assert res.returncode == 3
    assert "squat" in line


def broken_template(tmp_path: Path, old: str, new: str) -> Path:
    """bridge.toml with ``old`` replaced by ``new``, written as ``tmp_path/x/bridge.toml``."""
    text = BRIDGE_TOML.read_text(encoding="utf-8")
    assert old in text, f"{old!r} no longer in bridge.toml: update the test"
    path = tmp_path / "x" / "bridge.toml"
    path.parent.mkdir()
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("target_reps = 10\n", 'target_reps = 10\ncolour = "red"\n', ("colour", "unknown key")),
        ("min_s = 5.0\n", "min_s = 5.0\nminimum_s = 6.0\n", ("hold.minimum_s", "unknown key")),
        ("target_reps = 10\n", "", ("target_reps", "missing")),
        ("min = 45.0\nmax = 160.0", "min = 45.0\nmax = 45.0", ("position.require[0].max", "max > min")),
        ("[title]", "[title", ("not valid TOML",)),
    ],
    ids=["unknown_key", "unknown_key_in_a_sub_table", "missing_field", "min_not_below_max", "not_toml"],
)
def test_broken_template(tmp_path: Path, old: str, new: str, expected: tuple[str, ...]) -> None:
    path = broken_template(tmp_path, old, new)
    res = run("analyze", CLIP, "--exercise", path)
    assert_one_line_error(res, str(path), *expected)


def test_template_file_missing(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "bridge.toml"
    res = run("analyze", CLIP, "--exercise", path)
    assert_one_line_error(res, str(path), "not found")


# ------------------------------------------------------------------------------------------- model, --out


def test_missing_heavy_model_says_make_models(tmp_path: Path) -> None:
    empty = tmp_path / "models"
    empty.mkdir()
    env = {"FORMCHECK_MODEL_DIR": str(empty)}
    res = run("analyze", CLIP, "--exercise", "bridge", "--model", "heavy", env=env)
    assert_one_line_error(res, "heavy", "make models")
    assert res.returncode == 3


def test_missing_model_in_worker_processes(tmp_path: Path) -> None:
    """The same one line when the model is opened inside the pose worker processes."""
    empty = tmp_path / "models"
    empty.mkdir()
    res = run(
        "analyze",
        CLIP,
        "--exercise",
        "bridge",
        "--model",
        "heavy",
        "--workers",
        "2",
        env={"FORMCHECK_MODEL_DIR": str(empty)},
    )
    assert_one_line_error(res, "heavy", "make models")


def test_out_pointing_at_a_file(tmp_path: Path) -> None:
    existing = tmp_path / "result.txt"
    existing.write_text("keep me", encoding="utf-8")
    res = run("analyze", CLIP, "--exercise", "bridge", "--out", existing)
    assert_one_line_error(res, str(existing), "not a folder")
    assert existing.read_text(encoding="utf-8") == "keep me"


def test_evaluate_missing_labels_file(tmp_path: Path) -> None:
    res = run("evaluate", tmp_path / "labels.json")
    assert "Traceback" not in res.stderr
    assert res.returncode != 0
    assert len(res.stderr.splitlines()) == 1, res.stderr
    assert res.stderr.startswith("formcheck: error:"), res.stderr


LABELS = REPO_ROOT / "tests" / "data" / "labels.json"
TRACES = REPO_ROOT / "tests" / "data" / "traces"


def test_evaluate_check_part_on_saved_traces() -> None:
    res = run("evaluate", LABELS, "--traces", TRACES, "--split", "check")
    assert res.returncode == 0, res.stderr
    assert "== check" in res.stdout and "== dev" not in res.stdout
    held_out = json.loads((LABELS.parent / "split.json").read_text(encoding="utf-8"))["check"]
    for clip in held_out:  # one line per clip
        assert sum(line.lstrip().startswith(clip) for line in res.stdout.splitlines()) == 1, clip
    assert "per exercise:" in res.stdout and "counts exact" in res.stdout


def test_evaluate_json_has_both_parts() -> None:
    res = run("evaluate", LABELS, "--traces", TRACES, "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert set(doc["parts"]) == {"dev", "check"}
    assert {r["part"] for r in doc["clips"]} == {"dev", "check"}
    lifting = doc["parts"]["check"]["lifting"]
    assert lifting["technique_total"] >= lifting["technique_tolerant"] >= lifting["technique_strict"]


def test_evaluate_missing_split_file(tmp_path: Path) -> None:
    res = run("evaluate", LABELS, "--traces", TRACES, "--split-file", tmp_path / "split.json")
    assert_one_line_error(res, "split file not found", str(tmp_path / "split.json"))


def test_evaluate_traces_not_a_folder(tmp_path: Path) -> None:
    res = run("evaluate", LABELS, "--traces", tmp_path / "none")
    assert_one_line_error(res, "--traces", "not a folder")


def test_evaluate_unknown_split_is_an_argparse_error() -> None:
    res = run("evaluate", LABELS, "--split", "tuned")
    assert res.returncode == 2
    assert "invalid choice: 'tuned'" in res.stderr and "Traceback" not in res.stderr


# ------------------------------------------------------------------------------------------- usage


def subcommands() -> list[str]:
    """Every subcommand the parser defines (so a new one is covered automatically)."""
    for action in _parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return sorted(action.choices)
    return []


def test_subcommands_are_the_documented_ones() -> None:
    assert {"analyze", "exercises", "features", "evaluate"} <= set(subcommands())


@pytest.mark.parametrize("command", [[], *[[c] for c in subcommands()]], ids=lambda c: " ".join(c) or "top")
def test_help(command: list[str]) -> None:
    res = run(*command, "--help")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("usage: formcheck"), res.stdout
    assert res.stderr == ""


def test_no_command_prints_usage() -> None:
    res = run()
    assert res.returncode == 2
    assert "usage: formcheck" in res.stdout
    assert "Traceback" not in res.stderr


def test_bad_option_is_an_argparse_error() -> None:
    res = run("analyze", CLIP, "--exercise", "bridge", "--model", "huge")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "invalid choice: 'huge'" in res.stderr


def test_console_script_installed() -> None:
    script = Path(sys.executable).parent / "formcheck"
    assert script.is_file(), f"{script} missing: pip install -e . in this venv"
    res = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("formcheck "), res.stdout


def test_exercises_lists_bridge_and_lifting() -> None:
    res = run("exercises")
    assert res.returncode == 0, res.stderr
    names = {line.split()[0] for line in res.stdout.splitlines() if line.strip()}
    assert {"bridge", "lifting"} <= names
    assert "BROKEN" not in res.stdout
    nl = run("exercises", "--lang", "nl")
    assert "Bruggetje" in nl.stdout
    assert "Bridge" in res.stdout


def test_features_lists_hip_angle() -> None:
    res = run("features")
    assert res.returncode == 0, res.stderr
    rows = dict(line.split(None, 1) for line in res.stdout.splitlines() if line.strip())
    assert "hip_angle" in rows
    assert rows["hip_angle"].startswith("deg")
    assert "knee_angle" in rows
