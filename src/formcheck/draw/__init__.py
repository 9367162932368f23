"""Drawing on pictures: text (fonts, labels), the overlay on video frames, set-up figures."""
