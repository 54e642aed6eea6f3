"""The one serialized form of pfopt's values: msgspec Structs for run specs (the request bodies
and the stored parameters), run results (the HTTP responses, the stored results, the CLI's
``--json``, the chart and CSV input), constraints and saved portfolios. Field names are the
public contract; rates and weights are annualized decimals. ``SCHEMA_VERSION`` is written into
every stored run document (``migrations/versions/0004_run_documents.py`` converts older rows).
"""

SCHEMA_VERSION = 2
