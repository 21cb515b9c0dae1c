"""Phase 2, the aggregate phase (docs/architecture.md#the-seam): numbers over the person table."""
