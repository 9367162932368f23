"""Whole-recording analysis: a video to a result, and evaluation against labels."""
