"""pfopt's domain: assets, constraints, objectives, estimation maths and metrics.

Pure Python and numpy only (a test and import-linter enforce it), so everything here runs in a
unit test without a solver, a database or a web framework.
"""
