"""Course helpers: taxi data, the environment doctor, the lesson runner."""

__version__ = "0.1.0"
