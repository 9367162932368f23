"""formcheck: a local-first, camera-based posture and exercise-form checker for people with low back pain."""

import os as _os

# Keep the native libraries quiet: bad input is reported by formcheck in one line of its own.
_os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
_os.environ.setdefault("GLOG_minloglevel", "2")
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
