"""Tests of fivea/io/: reading events (epoch units, export detection)."""
