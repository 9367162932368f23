"""The web app (Streamlit, several pages), working with no network at all.

- :mod:`formcheck.webapp.camera`: the camera component (shipped in ``formcheck/assets/camera``): the page
  captures the camera, sends frames to the local server and draws the returned landmarks and state.
- :mod:`formcheck.webapp.frameserver`: the websocket server on 127.0.0.1 those frames go to (one per
  process, a random token per browser session).
- :mod:`formcheck.webapp.wire`: the messages between the two (pure).
- :mod:`formcheck.webapp.live`: the video processor (frames -> pose ->
  :class:`~formcheck.pose.pipeline.LivePipeline` -> engine -> store) running in the connection's worker
  thread, and :class:`~formcheck.webapp.live.CoachSession`, the one long-lived object per browser session
  that the page and the video thread share.
- :mod:`formcheck.webapp.nav`: the app's frame (sidebar, title) and its pages (``st.navigation``); how to
  add a page. The pages are :mod:`formcheck.webapp.pages` (one file each: coach, history).
- :mod:`formcheck.webapp.ui`: shared Streamlit widgets (language, sidebar, safety screen) and the
  per-session objects.
- Pure helpers the pages call (no Streamlit; tests import them): :mod:`formcheck.webapp.texts` (catalogue
  texts, faults and techniques in words), :mod:`formcheck.webapp.readout` (the live board's content and
  speech), :mod:`formcheck.webapp.summary` (a session's table and chart), :mod:`formcheck.webapp.markup`
  (HTML pieces: big read-outs, gauges, speech, slow-motion replay), :mod:`formcheck.webapp.guard` (the
  local-only check).
"""
