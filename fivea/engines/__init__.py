"""Engines that run fivea somewhere else than this process (docs/architecture.md#the-seam).

The local engine is ``fivea.engines.local``. The Spark engine (``fivea.engines.spark.runner``, the entry point)
runs the same ``fivea.person.phase1.run_phase1`` on every partition of a Spark shuffle by person
(``spark_phase1``), keeps the person table in Spark and evaluates phase 2's measures there
(``spark_persons``); ``spark_io`` reads inputs with their order, ``spark_session`` starts Spark
quietly, ``spark_errors`` turns Spark's input errors into one line. pyspark is an optional extra
(``pip install "fivea[spark]"``) and is imported only when that engine runs.
"""
