"""The critical line's kept factorizations (``adapters.critical_line_kkt``) give the path a
fresh LAPACK solve per event gives: same breakpoints, same weights, on dense and factor risk,
with bounds that bind on both sides and group rows that enter and leave the active set."""

import numpy as np
import pytest

import adapters.critical_line as critical_line
from adapters.critical_line import trace
from adapters.frontier_solvers import CriticalLineFrontier, CriticalLineFrontierSolver
from domain.constraints import GroupLimits, LongOnly, WeightBounds
from domain.errors import RunCancelledError, SolverTimeoutError
from domain.linear import compile_constraints
from domain.model import Universe
from domain.risk_model import FactorModel
from domain.types import FloatArray


def _market(n: int, k: int, seed: int, zero_specific: int = 0) -> tuple[FloatArray, FactorModel]:
    rng = np.random.default_rng(seed)
    loadings = rng.normal(0.0, 0.3, (n, k))
    factor_cov = np.diag(rng.uniform(0.01, 0.05, k))
    specific = rng.uniform(0.01, 0.08, n)
    specific[:zero_specific] = 0.0
    mu = rng.uniform(0.0, 0.2, n)
    return mu, FactorModel(loadings, factor_cov, specific)


def _constraints(tickers: list[str], capped: bool):
    if not capped:
        return compile_constraints(tickers, [LongOnly()])
    sectors = {t: ("Tech", "Energy", "Banks")[i % 3] for i, t in enumerate(tickers)}
    groups = GroupLimits(sectors, {"Tech": (0.0, 0.3), "Energy": (0.2, 0.5)})
    return compile_constraints(tickers, [LongOnly(), WeightBounds(max_weight=0.03), groups])


def _path(risk, mu, lc, direct_below: int, monkeypatch) -> list:
    monkeypatch.setattr(critical_line, "DIRECT_BELOW", direct_below)
    return trace(risk, mu, lc).segments


@pytest.mark.parametrize("dense", [True, False], ids=["dense", "factor"])
@pytest.mark.parametrize("capped", [False, True], ids=["long-only", "cap+groups"])
def test_kept_factorizations_trace_the_same_path(dense: bool, capped: bool, monkeypatch) -> None:
    n = 120
    mu, model = _market(n, 3, seed=11)
    risk = model.dense() if dense else model
    tickers = [f"A{i}" for i in range(n)]
    lc = _constraints(tickers, capped)
    direct = _path(risk, mu, lc, 10**9, monkeypatch)
    kept = _path(risk, mu, lc, 2, monkeypatch)
    assert len(direct) > 20
    # the same breakpoints (a tie may split into a segment of zero length on one route only)
    for seg in direct:
        lam = seg.lam_lo
        np.testing.assert_allclose(_weights(kept, lam), _weights(direct, lam), atol=1e-11)
        mid = lam + 0.5 * (min(seg.lam_hi, 2 * lam + 1) - lam)
        np.testing.assert_allclose(_weights(kept, mid), _weights(direct, mid), atol=1e-11)


def _weights(segments: list, lam: float) -> FloatArray:
    for seg in segments:
        if seg.lam_lo <= lam <= seg.lam_hi:
            return seg.piece.w0 + lam * seg.piece.w1
    raise AssertionError(f"no segment covers lam={lam}")


def test_factor_model_with_zero_specific_variance_uses_the_dense_updates(monkeypatch) -> None:
    """D = 0 on some free asset: Woodbury does not apply, the kept dense inverse takes over."""
    n = 60
    mu, model = _market(n, 4, seed=3, zero_specific=2)
    tickers = [f"A{i}" for i in range(n)]
    lc = _constraints(tickers, capped=False)
    direct = _path(model, mu, lc, 10**9, monkeypatch)
    kept = _path(model, mu, lc, 2, monkeypatch)
    for seg in direct:
        np.testing.assert_allclose(
            _weights(kept, seg.lam_lo), _weights(direct, seg.lam_lo), atol=1e-10
        )


def test_every_asset_held_min_variance_is_exact_at_1000_assets() -> None:
    """The worst case of the issue: diagonal risk, long-only, every asset held at the minimum
    (w_i proportional to 1 / d_i): 1000 events, each an update, not a new factorization."""
    n = 1000
    rng = np.random.default_rng(7)
    specific = rng.uniform(0.01, 0.09, n)
    model = FactorModel(np.zeros((n, 2)), np.eye(2) * 0.04, specific)
    tickers = [f"A{i}" for i in range(n)]
    universe = Universe(tickers, rng.uniform(0.02, 0.2, n), factor_model=model)
    lc = compile_constraints(tickers, [LongOnly()])
    frontier = CriticalLineFrontierSolver().prepare(universe, lc)
    assert isinstance(frontier, CriticalLineFrontier)
    solution = frontier.min_variance()
    expected = (1 / specific) / (1 / specific).sum()
    np.testing.assert_allclose(solution.weights, expected, atol=1e-14)
    assert solution.kkt_residual is not None and solution.kkt_residual <= 1e-12


def test_check_stops_the_trace_between_events() -> None:
    n = 200
    mu, model = _market(n, 2, seed=5)
    lc = _constraints([f"A{i}" for i in range(n)], capped=False)
    calls = []

    class StopError(Exception):
        pass

    def check() -> None:
        calls.append(1)
        if len(calls) > 5:
            raise StopError

    with pytest.raises(StopError):
        trace(model, mu, lc, check=check)
    assert len(calls) == 6


def _long_case(n: int = 3000) -> tuple[Universe, object]:
    rng = np.random.default_rng(2)
    model = FactorModel(np.zeros((n, 1)), [[0.04]], rng.uniform(0.01, 0.09, n))
    tickers = [f"A{i}" for i in range(n)]
    universe = Universe(tickers, rng.uniform(0.02, 0.2, n), factor_model=model)
    return universe, compile_constraints(tickers, [LongOnly()])


def test_time_limit_stops_the_exact_engine() -> None:
    universe, lc = _long_case()
    solver = CriticalLineFrontierSolver(time_limit_s=1e-3)
    with pytest.raises(SolverTimeoutError, match=r"within the 0\.001 s time limit") as caught:
        solver.prepare(universe, lc)
    assert caught.value.field == "time_limit_s"
    # a single solve settles from a guessed segment in a few KKT solves, checked as well
    hurried = CriticalLineFrontierSolver(time_limit_s=1e-9)
    with pytest.raises(SolverTimeoutError):
        hurried.max_sharpe(universe, lc, 0.0)
    with pytest.raises(SolverTimeoutError):
        hurried.guessed(universe, lc, "min_variance")


def test_cancel_stops_the_exact_engine() -> None:
    universe, lc = _long_case()

    class Cancelled:
        def is_cancelled(self) -> bool:
            return True

    with pytest.raises(RunCancelledError):
        CriticalLineFrontierSolver(cancel=Cancelled()).prepare(universe, lc)


def test_the_time_limit_stops_before_an_event_that_would_overrun_it(monkeypatch) -> None:
    """One event of a large dense problem takes a good part of a second: the check stops when
    the next event, as long as the last, would end past the limit, not one event too late."""
    from types import SimpleNamespace

    import adapters.frontier_solvers as module

    clock = iter([0.0, 0.0, 0.1, 0.2, 0.3, 0.45])
    monkeypatch.setattr(module, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    check = module.budget(0.5, None)
    assert check is not None
    for _ in range(4):  # events at 0.0, 0.1, 0.2, 0.3: each 0.1 s, the next ends in time
        check()
    with pytest.raises(SolverTimeoutError):  # at 0.45 the next 0.15 s event would end at 0.6
        check()


def test_the_dense_kkt_answers_every_system_exactly_by_lu_or_kept_inverse(monkeypatch) -> None:
    """Systems far from the last one are solved by LU alone; the inverse is built once the
    systems come one variable apart, and then updated: every answer equals a fresh solve."""
    from adapters import critical_line_kkt
    from adapters.critical_line_kkt import DenseKkt, dense_matrix

    rng = np.random.default_rng(4)
    n = 60
    root = rng.normal(size=(n, n))
    cov = root @ root.T / n + np.eye(n) * 0.1
    group = (np.arange(n) % 2).astype(float)
    normals = {-1: np.ones(n), -2: group}
    kkt = DenseKkt(lambda index: cov[index], normals.__getitem__, n + 2)
    inverses = []
    real_inv = np.linalg.inv
    monkeypatch.setattr(
        critical_line_kkt.np.linalg, "inv", lambda a: inverses.append(1) or real_inv(a)
    )
    free = list(range(40))
    sequence = [
        free,  # first system: LU
        free[:-1],  # one apart: the inverse is built
        free[:-2],  # updated
        [*free[:-2], 45],  # updated
        list(range(10, 55)),  # far: LU again
        list(range(10, 56)),  # one apart: rebuilt
    ]
    built = [0, 1, 1, 1, 1, 2]
    for step, (assets, inverted) in enumerate(zip(sequence, built, strict=True)):
        keys = [*assets, -1, *([-2] if step % 2 else [])]
        rows = [k for k in keys if k < 0]
        rhs = rng.normal(size=(len(keys), 2))
        got = kkt.solve(keys, rhs)
        matrix = dense_matrix(
            cov[np.ix_(assets, assets)], np.array([normals[r][assets] for r in rows])
        )
        np.testing.assert_allclose(got, np.linalg.solve(matrix, rhs), atol=1e-10)
        assert len(inverses) == inverted, step
