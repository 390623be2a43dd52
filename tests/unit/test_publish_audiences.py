"""Which chosen candidate each of a shop's audiences is published with."""

from __future__ import annotations

from schemas.tables import DescriptionCandidate
from workers.pipeline import serving


def _cands(audiences: list[str | None], chosen: set[int], totals: dict[int, float] | None = None
           ) -> list[DescriptionCandidate]:
    return [DescriptionCandidate(id=100 + i, event_id="e", shop_id="s", product_id="p", locale="en-US", idx=i,
                                 raw_text=f"text {i}", text=f"text {i}", chosen=i in chosen,
                                 decoding={"audience": a} if a is not None else {},
                                 scores={"total": (totals or {}).get(i, 0.5)})
            for i, a in enumerate(audiences)]


def _served(cands: list[DescriptionCandidate]) -> list[tuple[str, int]]:
    return [(audience, cand.idx) for audience, cand in serving(cands)]


def test_each_audience_gets_its_own_winner_in_the_shops_order():
    cands = _cands(["commuters", "gamers", "commuters", "gamers"], chosen={2, 1})
    assert _served(cands) == [("commuters", 2), ("gamers", 1)]


def test_an_audience_whose_candidates_all_failed_takes_the_first_audiences_text():
    # Both gamers candidates were duplicates: rank chose none of them.
    cands = _cands(["commuters", "gamers", "commuters", "gamers"], chosen={2})
    assert _served(cands) == [("commuters", 2), ("gamers", 2)]


def test_when_the_first_audience_has_none_the_best_overall_stands_in():
    cands = _cands(["commuters", "gamers", "hikers", "commuters", "gamers", "hikers"], chosen={1, 5},
                   totals={1: 0.41, 5: 0.62})
    assert _served(cands) == [("commuters", 5), ("gamers", 1), ("hikers", 5)]
    tied = _cands(["commuters", "gamers", "hikers"], chosen={1, 2}, totals={1: 0.5, 2: 0.5})
    assert _served(tied) == [("commuters", 1), ("gamers", 1), ("hikers", 2)]  # a tie goes to the lower index


def test_without_audiences_the_winner_is_published_once_and_nothing_without_a_winner():
    assert _served(_cands([None, None, None], chosen={1})) == [("", 1)]
    assert _served(_cands(["commuters", "gamers"], chosen=set())) == []
