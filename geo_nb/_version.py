"""The installed geo_nb version."""

__version__ = "0.1.0"
