"""Scripts that draw the sample charts (not collected as tests)."""
