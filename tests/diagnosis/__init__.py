"""Tests of fivea/diagnosis/: grades, verdict, compare, change, checks, anomaly."""
