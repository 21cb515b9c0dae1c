"""Writing and debugging configs: `fivea stages`, `validate`, `init`, and synthetic `sample` logs."""
