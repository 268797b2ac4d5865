"""The offline fitter of the logistic abstention model."""

from __future__ import annotations

import numpy as np

from bench.faq.fit_abstention import best_threshold, fit_logistic, probabilities


def test_the_fitter_recovers_a_separating_rule():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] > 0).astype(float)
    model = fit_logistic(x, y, lam=1.0)
    assert model[2][1] > 2.0 and abs(model[2][2]) < 0.5  # the informative feature carries the weight
    p = probabilities(model, x)
    t = best_threshold(p, y, budget=0.05)
    assert (p < t)[y == 1].mean() <= 0.05 and (p < t)[y == 0].mean() > 0.9
