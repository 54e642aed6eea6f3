"""Adapters: concrete implementations of the domain's ports (solvers, estimators, storage, I/O)."""
