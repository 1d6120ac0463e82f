"""The core's own features, registered as plugins through the same door as any other."""
