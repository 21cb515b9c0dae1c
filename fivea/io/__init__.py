"""Reading events: finding files, opening them lazily, columns, times, the canonical scan; writing outputs."""
