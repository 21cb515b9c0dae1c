"""Tests of fivea/rules/: rule expressions, where:, counted rules."""
