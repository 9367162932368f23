"""The only code that touches frames and models: MediaPipe pose, video reading, network guard, pipeline."""
