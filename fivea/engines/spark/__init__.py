"""The Spark engine: the same phase 1 on every partition of persons (docs/engines.md)."""
