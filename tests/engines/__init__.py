"""Tests of fivea/engines/: the local engine's person partitions."""
