"""Draw every chart kind of sample runs at 5, 20, 100 and 500 assets through the real CLI:
``python -m tests.charts.render_samples [--sizes 5,20] [--out DIR]``.

For each size: sample prices and sectors from ``pfopt sample-data``, then ``pfopt optimize``
and ``pfopt frontier`` on them with ``--no-save --charts`` (no database). The charts land in
``test-artifacts/charts/<n>_assets/``: weights, risk, sectors (of the optimized portfolio),
frontier, composition and frontier_sectors (of the frontier's max-Sharpe portfolio), at
100 dpi. Rerunnable: the same seed draws the same pictures. The README shows the 20-asset
ones, drawn with ``--sizes 20 --out docs/img/charts``; test-artifacts/ is not committed."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZES = (5, 20, 100, 500)
CAPS = {5: None, 20: "0.25", 100: "0.04", 500: "0.02"}
"""--max-weight per size: a cap that binds, so more than a handful of assets are held."""
SINGLE = ("weights", "risk", "sectors")
FRONTIER = ("frontier", "composition", "sectors")


def pfopt(*args: str) -> None:
    env = {**os.environ, "PFOPT_CHART_DPI": "100", "COLUMNS": "120"}
    command = [sys.executable, "-m", "entrypoints.cli.main", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning")]
    if done.returncode != 0 or any("chart" in w for w in warnings):
        sys.exit(f"pfopt {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")


def render(n: int, out: Path, work: Path) -> list[Path]:
    prices, sectors = work / f"prices_{n}.csv", work / f"sectors_{n}.csv"
    pfopt("sample-data", "-o", str(prices), "--assets", str(n), "--sectors-out", str(sectors))
    common = [str(prices), "--no-save", "--sector-map", str(sectors), "--risk-free", "0.02"]
    if CAPS[n]:
        common += ["--max-weight", CAPS[n]]
    single, frontier = work / f"single_{n}", work / f"frontier_{n}"
    pfopt("optimize", *common, "--charts", str(single))
    pfopt("frontier", *common, "--points", "30", "--charts", str(frontier))
    folder = out / f"{n}_assets"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for source, kinds, prefix in ((single, SINGLE, ""), (frontier, FRONTIER, "frontier_")):
        for kind in kinds:
            name = kind if kind != "sectors" or not prefix else f"{prefix}{kind}"
            target = folder / f"{name}.png"
            shutil.copyfile(source / f"{kind}.png", target)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts" / "charts")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        for n in (int(x) for x in args.sizes.split(",")):
            if n not in CAPS:
                parser.error(f"size {n}: choose from {', '.join(map(str, SIZES))}")
            files = render(n, args.out, Path(work))
            size = sum(f.stat().st_size for f in files)
            print(f"{n:>4} assets: {len(files)} charts, {size / 1024:.0f} KB in {files[0].parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
