"""Fit the logistic abstention model on the dev halves of the two dev sets and print its constants.

Run: `.venv/bin/python -m bench.faq.fit_abstention` (about 30 s: builds the demo index with the
default encoder and asks every dev question). Only questions of the "dev" halves are used; the
"heldout" halves are reported, never fitted on. Paste the printed `LogisticAbstention(...)` into
the encoder module (`encoders/use_m3.py`).

Model: P(answerable | features) = sigmoid(b0 + Σ b_i · (x_i − mean_i) / sd_i) over
`abstention.LOGISTIC_FEATURES`, fitted by Newton's method with an L2 penalty (LAMBDA) on the
standardised coefficients. The threshold is chosen on *out-of-fold* probabilities (5-fold
cross-validation on the dev halves, median over SEEDS shuffles): the most correct abstentions with
at most FALSE_BUDGET false abstentions. In-sample probabilities are over-confident, and a threshold
taken from them abstains more on new questions than it did on the dev halves.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from madoguchi.faq.engine import FaqIndex, Features
from madoguchi.faq.engine.abstention import LogisticAbstention, feature_vector

from .devset_tools import DEVSET, DEVSET_PARAPHRASE, load_devset

LAMBDA = 1.0
FALSE_BUDGET = 0.04
FOLDS = 5
SEEDS = 5


def fit_logistic(x: np.ndarray, y: np.ndarray, lam: float = LAMBDA, iterations: int = 50):
    """(means, sds, coefficients with the intercept first) of an L2-penalised logistic regression."""
    means = x.mean(axis=0)
    sds = x.std(axis=0)
    sds[sds == 0] = 1.0
    z = np.c_[np.ones(len(x)), (x - means) / sds]
    beta = np.zeros(z.shape[1])
    penalty = lam * np.diag([0.0] + [1.0] * (z.shape[1] - 1))
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        w = p * (1.0 - p)
        gradient = z.T @ (p - y) + penalty @ beta
        hessian = z.T @ (z * w[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if float(np.abs(step).max()) < 1e-9:
            break
    return means, sds, beta


def probabilities(model, x: np.ndarray) -> np.ndarray:
    means, sds, beta = model
    return 1.0 / (1.0 + np.exp(-(np.c_[np.ones(len(x)), (x - means) / sds] @ beta)))


def best_threshold(p: np.ndarray, y: np.ndarray, budget: float = FALSE_BUDGET) -> float:
    """Abstain when p < threshold: most correct abstentions with false abstention ≤ budget."""
    best_key, best = None, 0.0
    answerable, unanswerable = y == 1, y == 0
    for t in np.unique(p):
        abstain = p < t
        false = float(abstain[answerable].mean()) if answerable.any() else 0.0
        correct = float(abstain[unanswerable].mean()) if unanswerable.any() else 0.0
        if false <= budget and (best_key is None or (correct, -false) > best_key):
            best_key, best = (correct, -false), float(t)
    return best


def out_of_fold_threshold(x: np.ndarray, y: np.ndarray, lam: float = LAMBDA) -> float:
    thresholds = []
    for seed in range(SEEDS):
        folds = np.random.default_rng(seed).permutation(len(y)) % FOLDS
        p = np.zeros(len(y))
        for fold in range(FOLDS):
            train = folds != fold
            p[~train] = probabilities(fit_logistic(x[train], y[train], lam), x[~train])
        thresholds.append(best_threshold(p, y))
    return float(np.median(thresholds))


def fit_rule(features: Sequence[Features], answerable: Sequence[bool]) -> LogisticAbstention:
    x = np.array([feature_vector(f) for f in features], dtype=float)
    y = np.array(answerable, dtype=float)
    means, sds, beta = fit_logistic(x, y)
    return LogisticAbstention(
        means=tuple(round(float(v), 6) for v in means),
        sds=tuple(round(float(v), 6) for v in sds),
        intercept=round(float(beta[0]), 6),
        coefficients=tuple(round(float(v), 6) for v in beta[1:]),
        threshold=round(out_of_fold_threshold(x, y), 6),
    )


def main() -> int:
    from .run import load_demo_entries

    index = FaqIndex.build(load_demo_entries())
    features, answerable = [], []
    for path in (DEVSET, DEVSET_PARAPHRASE):
        for q in load_devset(path):
            if q.split != "dev":
                continue
            answer = index.ask(q.q, lang=q.lang)
            f = Features.from_dict(dict(answer.features), lang=answer.lang)
            if not answer.results or not f.has_dense:
                continue
            features.append(f)
            answerable.append(q.answerable)
    rule = fit_rule(features, answerable)
    print(f"# fitted on {len(features)} dev questions ({len(features) - sum(answerable)} unanswerable)")
    print(repr(rule))
    return 0


if __name__ == "__main__":
    sys.exit(main())
