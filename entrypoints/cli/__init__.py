"""The ``pfopt`` command line."""
