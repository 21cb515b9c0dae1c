"""Whole runs: the Python API, the engine against the reference, fuzzing, real data."""
