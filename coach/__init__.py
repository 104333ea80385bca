"""coach: an offline, voice-guided rep counter and form coach for the hip hinge."""

__version__ = "0.1.0"
