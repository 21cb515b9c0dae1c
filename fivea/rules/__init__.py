"""Rules -> polars expressions: the stage and sub-funnel bits, counted rules."""
