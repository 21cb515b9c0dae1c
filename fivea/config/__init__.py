"""The config layer: the YAML models, loading with presets and inheritance, precise errors."""
