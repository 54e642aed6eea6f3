"""Hierarchical risk parity (Lopez de Prado 2016) on SciPy's hierarchical clustering: the
assets clustered by the correlation distance sqrt((1 - rho) / 2), ordered by the tree
(quasi-diagonalisation), then the weight split recursively between the two halves of each
list in inverse proportion to their variances (each half weighted by inverse variance). The
same steps as PyPortfolioOpt's ``HRPOpt``, so its answers are reproduced to rounding. SciPy is
imported only here: a run that is not hierarchical never loads it."""

import numpy as np

from domain.types import FloatArray

LINKAGES = ("single", "complete", "average", "weighted", "centroid", "median", "ward")
"""SciPy's linkage methods."""


def correlation_distance(covariance: FloatArray) -> FloatArray:
    """sqrt((1 - rho) / 2) between every pair, 0 on the diagonal."""
    sd = np.sqrt(np.diag(covariance))
    corr = covariance / np.outer(sd, sd)
    distance = np.sqrt(np.clip((1.0 - corr) / 2.0, 0.0, 1.0))
    np.fill_diagonal(distance, 0.0)
    return distance


def tree_order(covariance: FloatArray, linkage: str) -> list[int]:
    """The assets in the order of the clustering tree's leaves."""
    import scipy.cluster.hierarchy as sch
    from scipy.spatial.distance import squareform

    condensed = squareform(correlation_distance(covariance), checks=False)
    return list(sch.to_tree(sch.linkage(condensed, linkage), rd=False).pre_order())


def _cluster_variance(covariance: FloatArray, items: list[int]) -> float:
    block = covariance[np.ix_(items, items)]
    w = 1.0 / np.diag(block)
    w /= w.sum()
    return float(w @ block @ w)


def hrp_weights(
    covariance: FloatArray,
    linkage: str = "single",
    lower: FloatArray | None = None,
    upper: FloatArray | None = None,
) -> FloatArray:
    """Long-only, fully invested HRP weights (shape (n_assets,)). With per-asset ``lower`` and
    ``upper`` bounds each split is clipped so that both halves can still meet them (a half
    gets at least its members' floors and at most their caps, as Riskfolio-Lib and skfolio
    do); without binding bounds the answer is the plain one."""
    cov = np.asarray(covariance, dtype=float)
    n = cov.shape[0]
    low = np.zeros(n) if lower is None else np.clip(np.asarray(lower, dtype=float), 0.0, None)
    high = np.ones(n) if upper is None else np.minimum(np.asarray(upper, dtype=float), 1.0)
    order = tree_order(cov, linkage) if n > 1 else [0]
    w = np.ones(n)
    clusters = [order]
    while clusters:
        clusters = [
            c[j:k]
            for c in clusters
            for j, k in ((0, len(c) // 2), (len(c) // 2, len(c)))
            if len(c) > 1
        ]
        for first, second in zip(clusters[::2], clusters[1::2], strict=True):
            v1, v2 = _cluster_variance(cov, first), _cluster_variance(cov, second)
            alpha = 1.0 - v1 / (v1 + v2)
            parent = float(w[first[0]])  # every member of a cluster carries its weight so far
            if parent > 0:
                least = max(low[first].sum(), parent - high[second].sum()) / parent
                most = min(high[first].sum(), parent - low[second].sum()) / parent
                alpha = min(max(alpha, least), most)
            w[first] *= alpha
            w[second] *= 1.0 - alpha
    return w
