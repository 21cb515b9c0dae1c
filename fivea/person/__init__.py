"""Phase 1, the per-person phase (docs/architecture.md#the-seam): the only code that reads events."""
