"""Use cases: each takes ports in ``__init__`` and does one job in ``execute``."""
