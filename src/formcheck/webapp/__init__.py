"""The live coaching web page (Streamlit), working with no network at all.

- :mod:`formcheck.webapp.camera`: the camera component (shipped in ``formcheck/assets/camera``): the page
  captures the camera, sends frames to the local server and draws the returned landmarks and state.
- :mod:`formcheck.webapp.frameserver`: the websocket server on 127.0.0.1 those frames go to (one per
  process, a random token per browser session).
- :mod:`formcheck.webapp.wire`: the messages between the two (pure).
- :mod:`formcheck.webapp.live`: the video processor (frames -> pose ->
  :class:`~formcheck.pose.pipeline.LivePipeline` -> engine -> store) running in the connection's worker
  thread, and :class:`~formcheck.webapp.live.CoachSession`, the one long-lived object per browser session
  that the page and the video thread share.
- :mod:`formcheck.webapp.ui`: pure functions that build the page's HTML (big read-outs, gauges, speech,
  slow-motion replay).
- :mod:`formcheck.webapp.page`: the Streamlit page itself (safety screen, coaching, summary, history).
"""
