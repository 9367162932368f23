"""Fast checks of the shipped pose-model bundles and of ``scripts/build_models.py`` (no downloads)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / "src" / "formcheck" / "models"
SCRIPT = REPO_ROOT / "scripts" / "build_models.py"
SHARED_SUMS = REPO_ROOT.parent / "shared" / "models" / "SHA256SUMS"
EXPECTED_MEMBERS = ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
BUNDLES = sorted(MODELS_DIR.glob("pose_landmarker_*.task"))


def _load_script() -> ModuleType:
    """Import scripts/build_models.py by path (it is not part of the package)."""
    spec = importlib.util.spec_from_file_location("build_models", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build_models() -> ModuleType:
    """The build script loaded as a module."""
    return _load_script()


@pytest.fixture(scope="module")
def shared_sums(build_models: ModuleType) -> dict[str, str]:
    """Name -> sha256 from shared/models/SHA256SUMS; skipped if shared/ is absent (failed under CI=true)."""
    if not SHARED_SUMS.is_file():
        reason = f"{SHARED_SUMS} not found (shared/ is not beside the repo)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " and CI=true")
        pytest.skip(reason)
    return build_models.parse_sha256sums(SHARED_SUMS.read_text(encoding="utf-8"))


def test_some_bundle_is_shipped() -> None:
    assert BUNDLES, f"no pose_landmarker_*.task in {MODELS_DIR}"


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda p: p.name)
def test_bundle_sha256_is_listed(bundle: Path, build_models: ModuleType, shared_sums: dict[str, str]) -> None:
    assert bundle.name in shared_sums, f"{bundle.name} not listed in {SHARED_SUMS}"
    assert build_models.sha256_file(bundle) == shared_sums[bundle.name]


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda p: p.name)
def test_bundle_is_stored_zip_with_expected_members(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == EXPECTED_MEMBERS
        for info in infos:
            assert info.compress_type == zipfile.ZIP_STORED, info.filename
            assert info.date_time == (1980, 1, 1, 0, 0, 0), info.filename
            assert info.file_size > 1_000_000, info.filename
            # TFLite flatbuffer identifier sits at bytes 4..8.
            with zf.open(info) as f:
                assert f.read(8)[4:] == b"TFL3", info.filename


def test_script_help_exits_zero() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "--models" in proc.stdout and "--check" in proc.stdout


def test_zip_writer_is_deterministic(build_models: ModuleType, tmp_path: Path) -> None:
    members = [
        ("pose_detector.tflite", b"\x00" * 100 + b"det"),
        ("pose_landmarks_detector.tflite", b"lm" * 50),
    ]
    first = build_models.stored_zip_bytes(members)
    second = build_models.stored_zip_bytes(members)
    assert first == second
    path = tmp_path / "b.task"
    build_models.write_stored_zip(path, members)
    assert path.read_bytes() == first
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == [m[0] for m in members]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
        assert all(i.external_attr >> 16 == 0o600 for i in infos)
        assert [zf.read(i) for i in infos] == [m[1] for m in members]


def test_zip_writer_reproduces_shipped_bundle(build_models: ModuleType) -> None:
    """Re-zipping a shipped bundle's members gives the identical file (the writer matches the recipe)."""
    if not BUNDLES:
        pytest.skip("no bundle shipped")
    bundle = min(BUNDLES, key=lambda p: p.stat().st_size)
    with zipfile.ZipFile(bundle) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    assert build_models.stored_zip_bytes(members) == bundle.read_bytes()


def test_parse_sha256sums(build_models: ModuleType) -> None:
    text = f"{'a' * 64}  pose_landmarker_full.task\n\n{'B' * 64} *dir/pose_landmarker_lite.task\n"
    assert build_models.parse_sha256sums(text) == {
        "pose_landmarker_full.task": "a" * 64,
        "pose_landmarker_lite.task": "b" * 64,
    }
    with pytest.raises(ValueError):
        build_models.parse_sha256sums("deadbeef  x.task\n")


def test_parse_models(build_models: ModuleType) -> None:
    assert build_models.parse_models("heavy, lite,heavy") == ["heavy", "lite"]
    with pytest.raises(Exception, match="choose from"):
        build_models.parse_models("lite,medium")
