import numpy as np
import pytest

from application.attribute_risk import AttributeRisk, AttributeRiskCommand
from domain.errors import ValidationError
from tests.fakes import InMemoryPriceSource, SampleRiskEstimator


def test_report_on_fakes(market) -> None:
    tickers = market.history.tickers
    weights = {tickers[0]: 0.5, tickers[1]: 0.3, tickers[2]: 0.3}
    report = AttributeRisk(InMemoryPriceSource(market.history), SampleRiskEstimator()).execute(
        AttributeRiskCommand(weights=weights, n_factors=2, benchmark=tickers[3])
    )
    assert report.assets.component.sum() == pytest.approx(report.assets.volatility)
    assert report.factors is not None
    assert report.factors.total_variance == pytest.approx(report.assets.volatility**2, rel=0.2)
    assert "weights sum to 1.1, not 1" in report.warnings
    assert [h for h, _ in report.tail] == [1, 1, 252, 252]
    assert report.beta is not None
    np.testing.assert_allclose(report.weights, [0.5, 0.3, 0.3])


def test_non_finite_weight_is_named(market) -> None:
    use_case = AttributeRisk(InMemoryPriceSource(market.history), SampleRiskEstimator())
    with pytest.raises(ValidationError, match="weight of 'TEC01' is not a finite number"):
        use_case.execute(AttributeRiskCommand(weights={"TEC01": float("nan"), "FIN02": 1.0}))
