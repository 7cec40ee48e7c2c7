"""Maintenance: backing the registry up and restoring it (``flask backup`` / ``flask restore``)."""
