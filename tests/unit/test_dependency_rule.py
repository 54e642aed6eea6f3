"""Dependencies point inward: the domain loads no framework, the application no adapter."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("cvxpy", "sklearn", "sqlalchemy", "litestar", "matplotlib", "msgspec", "scipy", "click")


def _modules(package: str) -> list[str]:
    return [
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in sorted((ROOT / package).rglob("*.py"))
    ]


def _loaded_after_import(modules: list[str]) -> set[str]:
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print('\\n'.join(sorted({n.split('.')[0] for n in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


@pytest.mark.parametrize("package", ["domain", "application"])
def test_inner_layers_load_no_framework_or_solver(package: str) -> None:
    loaded = _loaded_after_import(_modules(package))
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_application_imports_no_adapter_or_entrypoint() -> None:
    loaded = _loaded_after_import(_modules("application"))
    assert "adapters" not in loaded
    assert "entrypoints" not in loaded


def test_import_linter_contracts_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_entrypoints_is_this_projects_package() -> None:
    import entrypoints

    assert Path(entrypoints.__file__).resolve().parent == ROOT / "entrypoints"
