"""Tests of fivea/person/ (phase 1): the kernel, trend, first-touch values, the streaming plan."""
