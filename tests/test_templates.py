"""Templates load, and a broken one names the file, the key and what was expected."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from formcheck.core.templates import TemplateError, available, builtin_dir, load_template, load_template_file


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
    assert load_template("pelvic_tilt").needs_mask  # counted on the silhouette's low back


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
        (
            lambda s: s.replace("[count]\n", "[count]\nspeed = 3\n"),
            r"bridge\.toml: count\.speed: unknown key",
        ),
        (lambda s: s.replace("target_reps = 10\n", ""), r"bridge\.toml: target_reps: missing"),
        (
            lambda s: s.replace("min_range = 12.0\n", "min_range = -1.0\n"),
            r"count\.min_range: expected a number from 0",
        ),
        (
            lambda s: s.replace("min_range = 12.0\n", "min_range = 0.0\n"),
            r"count\.min_range: expected a number above 0",
        ),
        (
            lambda s: s.replace('[count]\nfeature = "trunk_incline"', '[count]\nfeature = "trunk_inclin"'),
            r"count\.feature: expected a known feature.*got 'trunk_inclin'",
        ),
        (
            lambda s: s.replace('kind = "excursion"', 'kind = "wave"'),
            r"count\.kind: expected one of excursion",
        ),
        (lambda s: s.replace('direction = "up"', 'direction = "left"'), r"count\.direction: expected one of"),
        (
            lambda s: s.replace('[[phases]]\nname = "top"', '[[phases]]\nname = "rest"'),
            r"phases\[1\]\.name: phase 'rest' is defined twice",
        ),
        (
            lambda s: s.replace("min_s = 1.0\nmax_s = 90.0", "min_s = 10.0\nmax_s = 5.0"),
            r"count\.max_s: expected max_s > min_s",
        ),
        (lambda s: s.replace('phase = "top"', 'phase = "up"'), r"hold\.phase: expected a phase"),
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


def test_exactly_two_phases(tmp_path):
    path = _broken(
        tmp_path,
        lambda s: s.replace(
            '[[phases]]\nname = "top"',
            '[[phases]]\nname = "top"\n[phases.label]\nnl = "x"\nen = "x"\n[[phases]]\nname = "z"',
            1,
        ),
    )
    with pytest.raises(TemplateError, match=r"phases: expected exactly two phases"):
        load_template_file(path)


def test_count_rule_is_read_from_the_template():
    rule = load_template("lifting").count
    assert (rule.feature, rule.kind, rule.direction, rule.from_start) == (
        "hand_height",
        "excursion",
        "down",
        True,
    )
    assert rule.phases == ("standing", "bottom")
    assert load_template("cat_cow").count.kind == "cycle"


def test_experimental_faults_are_marked():
    lifting = {f.code: f.experimental for f in load_template("lifting").faults}
    assert lifting["twisting"] and lifting["load_far"]
    assert not lifting["rounded_back"] and not lifting["hips_first"]
