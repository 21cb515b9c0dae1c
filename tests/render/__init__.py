"""Tests of fivea/render/: the HTML report."""
