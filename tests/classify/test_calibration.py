"""Temperature scaling, the calibration error and the threshold rule, on numbers with known
answers."""

import numpy as np
import pytest

from textkit.classify.calibration import (
    RejectRule,
    choose_threshold,
    expected_calibration_error,
    fit_temperature,
    softmax,
)


@pytest.mark.parametrize("true_t", [0.5, 1.0, 2.5])
def test_temperature_scaling_recovers_the_temperature_of_the_data(true_t):
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(4000, 6))
    p = softmax(logits, true_t)
    y = np.array([rng.choice(6, p=row) for row in p])
    assert fit_temperature(logits, y) == pytest.approx(true_t, rel=0.1)
    calibrated = softmax(logits, fit_temperature(logits, y))
    raw_ece = expected_calibration_error(softmax(logits).max(1), softmax(logits).argmax(1) == y)
    ece = expected_calibration_error(calibrated.max(1), calibrated.argmax(1) == y)
    assert ece < 0.03 and (true_t == 1.0 or ece < raw_ece)


def test_too_little_or_perfect_validation_data_keeps_t_at_one():
    logits = np.eye(3)[[0, 1, 2] * 5] * 5
    assert fit_temperature(logits, np.array([0, 1, 2] * 5)) == 1.0  # 15 rows, all right


def test_threshold_costs_at_most_the_in_scope_budget():
    conf = np.array([0.95, 0.9, 0.85, 0.6, 0.55, 0.5, 0.3, 0.2, 0.4, 0.35])
    correct = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], dtype=bool)
    in_scope = np.array([1] * 8 + [0, 0], dtype=bool)
    # rejecting k of 8 correct answers costs Beta(k+1, 8-k) of new ones: with 80% confidence
    # within 25% only for k = 0 (k = 1 would cost up to 28%)
    t = choose_threshold(conf, correct, in_scope, max_in_scope_loss=0.25)
    rejected_good = (conf[in_scope & correct] < t).sum()
    assert rejected_good == 0 and 0.19 < t <= 0.2
    assert choose_threshold(conf, correct, in_scope, 0.0) == 0.0
    assert choose_threshold(conf, correct, in_scope, 0.1) == 0.0  # even k = 0 may cost 16%


@pytest.mark.parametrize("n", [50, 200, 1000])
def test_on_new_texts_the_threshold_costs_what_its_budget_says(n):
    """Correct answers' confidences from a known distribution: over many validation draws, the
    chosen threshold's cost on new texts stays within the 2% budget in 80% of them (choosing k
    by the validation count, k/n, overspent it on average, most on small sets)."""
    rng = np.random.default_rng(0)
    costs = []
    for _ in range(400):
        conf = rng.beta(8, 2, n)
        t = choose_threshold(conf, np.ones(n, bool), np.ones(n, bool), 0.02)
        costs.append(beta_cdf(t))
    costs = np.array(costs)
    assert costs.mean() <= 0.02 and (costs > 0.02).mean() <= 0.25  # within budget 80% of draws
    if n >= 1000:
        assert costs.mean() >= 0.01  # a large validation set spends most of the budget


def beta_cdf(t: float) -> float:
    from scipy.stats import beta

    return float(beta.cdf(t, 8, 2))


def test_reject_rule_reasons():
    rule = RejectRule(threshold=0.5, margin=0.2)
    assert rule.reason(np.array([0.9, 0.05]), False) is None
    assert rule.reason(np.array([0.45, 0.3]), False) == "low confidence"
    assert rule.reason(np.array([0.55, 0.45]), False) == "small margin"
    assert rule.reason(np.array([0.99, 0.01]), True) == "out-of-scope label"
