"""Engines that run phase 1 somewhere else than this process (SPEC §7: the seam).

The local engine is ``fivea.analysis.LocalRunner``; ``fivea.engines.spark`` runs the same
``fivea.phase1.run_phase1`` on every partition of a Spark shuffle by person. pyspark is an
optional extra (``pip install "fivea[spark]"``) and is imported only when that engine runs.
"""
