"""The live camera on the page: a Streamlit component shipped in the package (``formcheck/assets/camera``).

The component plays the camera in its own ``<video>``, sends frames to the process's
:class:`~formcheck.webapp.frameserver.FrameServer` over a websocket on 127.0.0.1 and draws the answers over
the video. Its value tells the page whether it is streaming: ``{"playing": bool, "run": n}``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from formcheck.core.messages import message
from formcheck.core.templates import Text

COMPONENT_NAME = "formcheck_camera"
#: Texts of the camera component that are not in the message catalogue (nl/en).
EXTRA_TEXTS: dict[str, Text] = {
    "server_lost": Text(
        nl="De verbinding met formcheck op deze computer is verbroken. Druk weer op START.",
        en="The connection to formcheck on this computer was lost. Press START again.",
    ),
    "server_error": Text(
        nl="formcheck kon de sessie niet starten; zie het venster waarin formcheck draait.",
        en="formcheck could not start the session; see the window formcheck runs in.",
    ),
}
#: The component's text keys -> message catalogue codes.
CATALOGUE_TEXTS: dict[str, str] = {
    "start": "webrtc_start",
    "stop": "webrtc_stop",
    "no_media": "webrtc_no_media",
    "ask_permission": "webrtc_ask_permission",
    "not_available": "webrtc_not_available",
    "denied": "webrtc_denied",
    "camera_lost": "camera_lost",
    "select_device": "webrtc_select_device",
}


def asset_dir() -> Path:
    """The folder holding the component's ``index.html``, ``camera.js`` and ``camera.css``."""
    return Path(str(resources.files("formcheck") / "assets" / "camera"))


def camera_texts(lang: str) -> dict[str, str]:
    """Every text the component shows, in ``lang``."""
    out = {key: message(code, lang) for key, code in CATALOGUE_TEXTS.items()}
    out.update({key: text.get(lang) for key, text in EXTRA_TEXTS.items()})
    return out


@cache
def _component() -> Any:
    import streamlit.components.v1 as components

    return components.declare_component(COMPONENT_NAME, path=str(asset_dir()))


def camera(ws_url: str, lang: str, key: str, max_fps: float = 30.0) -> bool:
    """Show the camera component; whether it is streaming now.

    Args:
        ws_url: the websocket address with this browser session's token.
        lang: ``nl`` or ``en``.
        key: the Streamlit element key (keep it fixed: the camera keeps running across reruns).
        max_fps: the most frames a second the component sends (it never sends more than 30).
    """
    value = _component()(ws_url=ws_url, texts=camera_texts(lang), max_fps=max_fps, key=key, default=None)
    return bool(isinstance(value, dict) and value.get("playing"))


def stream_to(session: Any, lang: str, key: str, max_fps: float = 30.0) -> bool:
    """The camera streaming to ``session`` (a :class:`~formcheck.webapp.live.CoachSession` or another
    session the frame server knows): registered with the process's frame server and shown; whether it is
    streaming. A frame server that cannot start is said in one line on the page (and False)."""
    import streamlit as st

    from formcheck.webapp.frameserver import frame_server

    try:
        server = frame_server()
    except (OSError, ValueError) as e:
        st.error(str(e))
        return False
    return camera(server.url(server.register(session)), lang, key=key, max_fps=max_fps)
