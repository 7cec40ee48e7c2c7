"""`flask stats` (placeholder until built)."""
commands = ()
