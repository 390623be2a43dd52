"""The refresh policy: which review changes call for a new look at a description."""

from __future__ import annotations

import pytest

from workers.cpu.refresh import RefreshPolicy, ReviewState, refresh_reason

POLICY = RefreshPolicy(every_reviews=10, sentiment_shift=0.3, min_reviews=3)


def state(n: int, mean: float | None = 0.5, praised: tuple[str, ...] = (), criticised: tuple[str, ...] = ()) -> ReviewState:
    return ReviewState.of(review_count=n, sentiment_mean=mean, praised=praised, criticised=criticised)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, state(2, praised=("battery",)), None),  # too few reviews to act on
        (None, state(3, praised=("battery",)), "battery is now the most praised aspect"),
        (None, state(4, criticised=("size",)), "size is now the most criticised aspect"),
        (state(4, praised=("battery",)), state(5, praised=("battery", "comfort")), None),  # same top
        (state(4, praised=("battery",)), state(6, praised=("comfort", "battery")), "comfort is now the most praised"),
        (state(5, criticised=("size",)), state(6, criticised=("size", "price"), praised=()), None),
        (state(5, criticised=("size",)), state(7), "size is no longer criticised"),
        (state(5, mean=0.6), state(7, mean=0.2), "mean sentiment moved from +0.60 to +0.20"),
        (state(5, mean=0.6), state(7, mean=0.4), None),  # a drift below the threshold
        (state(5, mean=None), state(7, mean=-0.8), None),  # no earlier mean to compare with
        (state(9), state(10), "10 reviews (refresh every 10)"),
        (state(10), state(11), None),
        (state(8), state(23), "23 reviews"),  # crossed a multiple between two checks
    ],
)
def test_reason(before: ReviewState | None, after: ReviewState, expected: str | None) -> None:
    reason = refresh_reason(before, after, POLICY)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None and reason.startswith("reviews: ") and expected in reason


def test_criticism_outranks_praise_when_both_change() -> None:
    reason = refresh_reason(None, state(6, praised=("battery",), criticised=("size",)), POLICY)
    assert reason == "reviews: size is now the most criticised aspect"


def test_count_floor_can_be_turned_off() -> None:
    policy = RefreshPolicy(every_reviews=0, sentiment_shift=0.3, min_reviews=1)
    assert refresh_reason(state(9), state(10), policy) is None


def test_stored_state_is_read_back_from_json() -> None:
    stored = state(4, praised=("battery",)).model_dump(mode="json")
    assert refresh_reason(stored, state(5, praised=("battery",)), POLICY) is None
    assert refresh_reason(stored, state(5, praised=("sound",)), POLICY) is not None


def test_fingerprint_names_the_state() -> None:
    a, b = state(4, praised=("battery",)), state(4, praised=("battery",))
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != state(5, praised=("battery",)).fingerprint()
    assert len(a.fingerprint()) == 16
