"""Statistics: the figures the bureau reports every year, computed from the records."""
