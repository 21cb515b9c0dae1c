"""Tests of fivea/authoring/: synthetic sample logs."""
