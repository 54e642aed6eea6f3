"""Entrypoints: the CLI (and later the HTTP app) plus the one container that wires adapters."""
