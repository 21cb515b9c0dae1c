"""Tests of fivea/config/: the YAML models, loading, presets, fingerprints."""
