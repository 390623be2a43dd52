"""The pipeline benchmark's events: valid, and no product twice within a run (a repeat would be a dead letter)."""

from __future__ import annotations

import pytest

from bench.pipeline import _catalog, product_events
from schemas.events import ProductEvent, parse_event


def test_consecutive_runs_take_distinct_valid_products_beyond_the_sample_catalog():
    past_catalog = len(_catalog()) + 100
    first, second = product_events("a", past_catalog), product_events("b", 300, start=past_catalog)
    events = [parse_event(e) for e in first + second]
    assert all(isinstance(e, ProductEvent) and e.event_type == "product.created" for e in events)
    assert len({e.event_id for e in events}) == len(events)
    # Distinct products, not only distinct ids: the same title and attributes would publish the same text.
    assert len({(e.title, e.locale) for e in events}) == len(events)
    assert {e.locale for e in events} >= {"en-US", "zh-CN"}
    assert product_events("c", 3, start=5)[0]["title"] == first[5]["title"]  # number k is always one product


def test_asking_for_more_products_than_the_bench_has_says_so():
    with pytest.raises(ValueError, match="products asked for"):
        product_events("x", 10, start=10**6)


def test_the_warm_up_covers_both_locales_with_products_no_timed_run_takes():
    from bench.pipeline import warm_events

    first, second = warm_events("w"), warm_events("w2", round_=1)
    for warm in (first, second):
        assert sorted(e["locale"][:2] for e in warm) == ["en", "en", "zh", "zh"]
    timed = {e["title"] for e in product_events("t", 600)}
    assert not timed & {e["title"] for e in first + second}
    assert not {e["title"] for e in first} & {e["title"] for e in second}
