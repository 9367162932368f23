"""The camera component's files and texts (formcheck.webapp.camera): shipped in the package, nothing fetched
from outside, every text in Dutch and English."""

from __future__ import annotations

import re

from formcheck.core.messages import message
from formcheck.webapp.camera import CATALOGUE_TEXTS, asset_dir, camera_texts
from formcheck.webapp.wire import MAGIC


def test_the_component_ships_its_page_script_and_style() -> None:
    folder = asset_dir()
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert 'src="camera.js"' in html and 'href="camera.css"' in html
    assert (folder / "camera.js").is_file() and (folder / "camera.css").is_file()


def test_the_component_loads_nothing_from_outside() -> None:
    for path in asset_dir().iterdir():
        text = path.read_text(encoding="utf-8")
        # no absolute URL at all (the websocket address comes from the server at run time)
        assert not re.search(r"(?i)\b(?:https?|wss?):/{2}", text), path.name
        assert "@import" not in text and "//cdn" not in text, path.name


def test_every_camera_text_exists_in_dutch_and_english() -> None:
    nl, en = camera_texts("nl"), camera_texts("en")
    assert set(nl) == set(en) and set(CATALOGUE_TEXTS) <= set(nl)
    assert all(nl[k].strip() and en[k].strip() for k in nl)
    assert nl["start"] == message("webrtc_start", "nl") and en["camera_lost"] == message("camera_lost", "en")
    assert nl["server_lost"] != en["server_lost"]


def test_the_script_answers_only_streamlits_render_message_and_sends_frames_in_the_wire_format() -> None:
    js = (asset_dir() / "camera.js").read_text(encoding="utf-8")
    assert '"streamlit:componentReady"' in js and "apiVersion: 1" in js
    assert "[70, 67, 70, 49]" in js and list(MAGIC) == [70, 67, 70, 49]  # "FCF1"
    assert "MAX_IN_FLIGHT = 2" in js
