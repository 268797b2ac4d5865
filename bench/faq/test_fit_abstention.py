"""The offline fitter of the logistic abstention model."""

from __future__ import annotations

import numpy as np
import pytest

from bench.faq.fit_abstention import best_threshold, fit_logistic, probabilities, upper_bound


def test_the_fitter_recovers_a_separating_rule():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] > 0).astype(float)
    model = fit_logistic(x, y, lam=1.0)
    assert model[2][1] > 2.0 and abs(model[2][2]) < 0.5  # the informative feature carries the weight
    p = probabilities(model, x)
    t = best_threshold(p, y, limit=0.05, confidence=None)
    assert (p < t)[y == 1].mean() <= 0.05 and (p < t)[y == 0].mean() > 0.9


def test_the_upper_bound_is_the_clopper_pearson_one():
    # No event in 100 trials: the one-sided 90% bound solves (1 − p)^100 = 0.1.
    assert upper_bound(0, 100, 0.9) == pytest.approx(1 - 0.1 ** (1 / 100), abs=1e-6)
    assert 0.04 < upper_bound(24, 672, 0.9) < 0.05 < upper_bound(30, 672, 0.9)


def test_a_confidence_margin_makes_the_threshold_stricter():
    rng = np.random.default_rng(1)
    y = np.r_[np.ones(600), np.zeros(100)]
    p = np.r_[rng.beta(5, 2, 600), rng.beta(2, 5, 100)]
    observed = best_threshold(p, y, limit=0.05, confidence=None)
    margin = best_threshold(p, y, limit=0.05, confidence=0.9)
    assert margin < observed
    assert (p < observed)[y == 1].mean() <= 0.05
    k = int((p < margin)[y == 1].sum())
    assert upper_bound(k, 600, 0.9) <= 0.05


def test_clipped_inputs_are_fitted_and_applied_the_same_way():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 1))
    y = (x[:, 0] + rng.normal(scale=0.5, size=300) > 0).astype(float)
    model = fit_logistic(x, y, clip=3.0)
    far = np.array([[50.0]])  # 50 standard deviations out: counts as 3
    edge = np.array([[model[0][0] + 3.0 * model[1][0]]])
    assert probabilities(model, far) == pytest.approx(probabilities(model, edge))
    unclipped = fit_logistic(x, y, clip=None)
    assert probabilities(unclipped, far)[0] > probabilities(unclipped, edge)[0]
