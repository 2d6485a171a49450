"""Composition root and runtime of the Laboratori Sociali bot: it wires, nothing runs on import."""

__version__ = "0.1.0"
