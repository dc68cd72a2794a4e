"""The wait estimate admission decides by (qa.api.wait_estimate): pure arithmetic."""

from __future__ import annotations

import pytest

from qa.api.wait_estimate import BIAS_RANGE, WaitEstimate


def test_the_wait_is_service_time_times_the_queue_ahead_over_the_slots():
    estimate = WaitEstimate(slots=4)
    estimate.service_s = 0.8
    assert estimate.base(ahead=0, oldest_running_s=0.1) == pytest.approx(0.2)
    assert estimate.base(ahead=7, oldest_running_s=0.1) == pytest.approx(1.6)


def test_an_answer_is_scaled_to_every_slot_busy():
    estimate = WaitEstimate(slots=4)
    estimate.record_answer(0.4, sharing=1)  # alone on the machine: 4 such would take 1.6 s
    assert estimate.service_s == pytest.approx(1.6)
    estimate = WaitEstimate(slots=4)
    estimate.record_answer(1.6, sharing=4)  # already sharing with three others
    assert estimate.service_s == pytest.approx(1.6)


def test_waits_longer_than_estimated_raise_later_estimates():
    estimate = WaitEstimate(slots=2)
    estimate.service_s = 1.0
    assert estimate.corrected(estimate.base(3, 0.0)) == pytest.approx(2.0)
    for _ in range(40):
        estimate.record_wait(base=2.0, waited=2.6)  # every wait ran 30 % over its estimate
    assert estimate.bias == pytest.approx(1.3, abs=0.01)
    assert estimate.corrected(estimate.base(3, 0.0)) == pytest.approx(2.6, abs=0.02)


def test_short_waits_do_not_move_the_bias_and_it_stays_in_range():
    estimate = WaitEstimate(slots=2)
    estimate.record_wait(base=0.05, waited=1.0)  # hand-off noise, not a misjudged queue
    assert estimate.bias == 1.0
    for _ in range(100):
        estimate.record_wait(base=1.0, waited=50.0)
    assert estimate.bias == BIAS_RANGE[1]
    for _ in range(100):
        estimate.record_wait(base=1.0, waited=0.0)
    assert estimate.bias == BIAS_RANGE[0]


def test_a_question_running_far_longer_than_usual_stands_in_for_the_service_time():
    estimate = WaitEstimate(slots=1)
    estimate.service_s = 0.5
    assert estimate.base(ahead=0, oldest_running_s=0.9) == pytest.approx(0.5)  # slow, not stuck
    assert estimate.base(ahead=0, oldest_running_s=10.0) == pytest.approx(5.0)  # stuck: age / 2
    assert WaitEstimate(slots=1).base(ahead=0, oldest_running_s=3.0) == pytest.approx(3.0)  # unmeasured


def test_a_spread_of_waits_is_covered_not_just_their_mean():
    estimate = WaitEstimate(slots=2)
    for n in range(200):
        estimate.record_wait(base=2.0, waited=2.0 * (0.8 if n % 2 else 1.2))  # ratios 0.8 and 1.2
    # mean 1.0, deviation ~0.2: the bias covers most waits (~1.0 + 1.28 × 0.2), not half of them
    assert 1.2 <= estimate.bias <= 1.35
