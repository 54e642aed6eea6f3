"""dependency-injector, imported without the integrations pfopt does not use.

At import it looks for pydantic, PyYAML, werkzeug, Starlette and FastAPI (configuration
loaders and web-framework wiring) and imports whichever is installed: about 80 ms of a
command's start-up here, for features the container never calls. A finder placed first on
``sys.meta_path`` answers ``ModuleNotFoundError`` for those names (which dependency-injector
handles) during its own import only; any later ``import pydantic`` works as usual.
"""

import sys
from importlib.machinery import ModuleSpec

UNUSED = frozenset(
    {"pydantic", "pydantic_settings", "yaml", "werkzeug", "starlette", "fastapi", "flask"}
)


class _HideUnused:
    """A meta path finder refusing the names in ``UNUSED`` that are not yet imported."""

    def __init__(self) -> None:
        self.hidden = {name for name in UNUSED if name not in sys.modules}

    def find_spec(self, name: str, path: object, target: object = None) -> ModuleSpec | None:
        if name.partition(".")[0] in self.hidden:
            raise ModuleNotFoundError(f"{name} is not used by pfopt's container", name=name)
        return None


_finder = _HideUnused()
sys.meta_path.insert(0, _finder)  # type: ignore[arg-type]
try:
    from dependency_injector import containers, providers
finally:
    sys.meta_path.remove(_finder)  # type: ignore[arg-type]

__all__ = ["containers", "providers"]
