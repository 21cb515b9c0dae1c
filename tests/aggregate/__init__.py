"""Tests of fivea/aggregate/ (phase 2): segments."""
