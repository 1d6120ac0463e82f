"""The machine the camera runs on: metrics, alert levels, system info, power, updates."""
