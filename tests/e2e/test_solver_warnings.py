"""CVXPY's status warnings ("Solution may be inaccurate", with a source path) never reach the
terminal: pfopt reads the status itself and reports it in the result. Run in a fresh
interpreter, where the filters installed at import are the only ones (pytest resets its own
around each test)."""

import subprocess
import sys

from tests.servers import ROOT

PROBE = """
import numpy as np
from adapters.cvxpy_solver import CvxpySolver
from domain.constraints import LongOnly
from domain.errors import SolverFailedError
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import MinVariance
from domain.problem import Problem

rng = np.random.default_rng(0)
a = rng.normal(size=(6, 6))
universe = Universe([f"A{i}" for i in range(6)], rng.normal(0.1, 0.05, 6), a @ a.T)
lc = compile_constraints(universe.tickers, [LongOnly()])
solver = CvxpySolver(chain=("CLARABEL",), options={"CLARABEL": {"max_iter": 2}})
try:
    print(solver.solve(Problem(universe, lc, MinVariance())).status)
except SolverFailedError as error:
    print(error)
"""


def test_an_inaccurate_cvxpy_solve_prints_no_warning() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.strip() == "every solver failed (tried CLARABEL: user_limit)"
