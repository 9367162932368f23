"""Templates load, and a broken one names the file, the key and what was expected."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from formcheck.templates import TemplateError, available, builtin_dir, load_template, load_template_file


def test_builtin_templates_load():
    names = available()
    assert {"bridge", "lifting", "cat_cow"} <= set(names)
    for name in names:
        t = load_template(name)
        assert t.name == name
        assert t.title.nl and t.title.en and t.title.nl != t.title.en
        assert t.camera.view == "side"
        for f in t.faults:
            assert f.cue.nl and f.cue.en
        assert t.features


def test_hyphenated_name_and_path_both_work():
    assert load_template("cat-cow").name == "cat_cow"
    assert load_template(str(builtin_dir() / "bridge.toml")).name == "bridge"


def test_needs_mask_only_for_back_curvature_templates():
    assert not load_template("bridge").needs_mask
    assert load_template("lifting").needs_mask
    assert load_template("cat_cow").needs_mask


def test_unknown_exercise_lists_the_known_ones():
    with pytest.raises(TemplateError, match=r"unknown exercise 'yoga'.*bridge"):
        load_template("yoga")


def _broken(tmp_path: Path, edit) -> Path:
    text = (builtin_dir() / "bridge.toml").read_text(encoding="utf-8")
    path = tmp_path / "bridge.toml"
    path.write_text(edit(text), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (lambda s: s.replace("[rep]\n", "[rep]\nspeed = 3\n"), r"bridge\.toml: rep\.speed: unknown key"),
        (lambda s: s.replace("target_reps = 10\n", ""), r"bridge\.toml: target_reps: missing"),
        (
            lambda s: s.replace("min = 165.0\nmax = 230.0", "min = 230.0\nmax = 165.0"),
            r"phases\[1\]\.max: expected max > min",
        ),
        (lambda s: s.replace("min = 165.0", "min = 140.0"), r"phases: .*overlap.*gap"),
        (
            lambda s: s.replace('feature = "hip_angle"', 'feature = "hip_angel"', 1),
            r"phases\[0\]\.feature: expected a known feature.*got 'hip_angel'",
        ),
        (
            lambda s: s.replace('sequence = ["rest", "top", "rest"]', 'sequence = ["rest", "up", "rest"]'),
            r"rep\.sequence: unknown phase 'up'",
        ),
        (
            lambda s: s.replace("priority = 2", "priority = 12", 1),
            r"faults\[0\]\.priority: expected a number from 1",
        ),
        (lambda s: s.replace('view = "side"', 'view = "top"'), r"camera\.view: expected one of side, front"),
        (
            lambda s: s.replace('[cues.good]\nnl = "Mooi bruggetje!"\n', "[cues.good]\n"),
            r"cues\.good\.nl: missing",
        ),
        (
            lambda s: s.replace("min_s = 5.0\nmax_s = 10.0", "min_s = 12.0\nmax_s = 10.0"),
            r"hold\.max_s: expected max_s >= min_s",
        ),
        (lambda s: s + "\n[extra\n", r"not valid TOML"),
        (lambda s: s.replace('name = "bridge"', 'name = "brigde"'), r"name: expected 'bridge'"),
    ],
)
def test_broken_template_names_file_key_and_expectation(tmp_path, edit, pattern):
    path = _broken(tmp_path, edit)
    with pytest.raises(TemplateError) as err:
        load_template_file(path)
    msg = str(err.value)
    assert str(path) in msg
    assert re.search(pattern, msg), msg
    assert "\n" not in msg


def test_every_template_key_is_used_somewhere():
    # guards against a template field that the loader silently accepts but nothing reads
    data = tomllib.loads((builtin_dir() / "lifting.toml").read_text(encoding="utf-8"))
    assert "technique" in data and load_template("lifting").technique is not None


def test_alternative_bands_are_checked_for_gaps_too(tmp_path):
    path = _broken(
        tmp_path,
        lambda s: s.replace(
            'name = "top"\nfeature = "hip_angle"\nmin = 165.0\nmax = 230.0\n',
            'name = "top"\nfeature = "hip_angle"\nmin = 165.0\nmax = 230.0\n'
            '[[phases.or]]\nfeature = "pelvis_height"\nmin = 0.1\nmax = 2.0\n',
        ),
    )
    with pytest.raises(TemplateError, match=r"overlap on pelvis_height"):
        load_template_file(path)
    assert load_template("bridge").phase("rest").alternatives[0].feature == "pelvis_height"
