"""formcheck: a local-first, camera-based posture and exercise-form checker for people with low back pain."""

__version__ = "0.1.0"
