"""Core tests use the same fixtures plugin authors get (seccam_core.testing)."""
