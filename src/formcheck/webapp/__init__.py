"""The live coaching web page (Streamlit + streamlit-webrtc).

- :mod:`formcheck.webapp.live`: the video processor (frames -> pose ->
  :class:`~formcheck.pipeline.LivePipeline` -> overlay) running in streamlit-webrtc's worker thread, and
  :class:`~formcheck.webapp.live.CoachSession`, the one long-lived object per browser session that the page
  and the video thread share.
- :mod:`formcheck.webapp.ui`: pure functions that build the page's HTML (big read-outs, gauges, speech,
  slow-motion replay).
- :mod:`formcheck.webapp.page`: the Streamlit page itself (safety screen, coaching, summary, history).
"""
