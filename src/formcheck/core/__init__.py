"""The pure core: landmarks, geometry, filters, back shape, templates, rep detection, engine, cues, texts.

Numpy in, dataclasses out; timestamps are passed in; no clock, no I/O besides reading templates.
"""
