"""The ffmpeg boundary and everything made of camera frames."""
