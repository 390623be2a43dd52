"""When what buyers say should change a product's description: the refresh policy.

After every review recount the product's review state (its top praised and
criticised aspects, mean sentiment, review count) is compared with the state its
description was last checked against. A refresh is worth its cost only when
the change is one a description could act on: an aspect newly at the top of the
praised or criticised list, a shift in mean sentiment beyond a threshold, or,
as a floor, every N reviews. Anything less leaves the description alone, so a
stream of reviews does not churn out versions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, Field


class ReviewState(BaseModel):
    """The review signals a description is checked against; stored on the product row."""

    review_count: int = 0
    sentiment_mean: float | None = None
    praised: list[str] = Field(default_factory=list)  # strongest first
    criticised: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, *, review_count: int, sentiment_mean: float | None, praised: Iterable[str],
           criticised: Iterable[str]) -> ReviewState:
        return cls(review_count=review_count, sentiment_mean=sentiment_mean, praised=list(praised),
                   criticised=list(criticised))

    def fingerprint(self) -> str:
        """Stable id of this state: a refresh for the same state is the same refresh (idempotency)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(blob.encode()).hexdigest()[:16]


class RefreshPolicy(BaseModel):
    every_reviews: int = Field(25, ge=0, description="refresh at least every N reviews; 0 = never on count alone")
    sentiment_shift: float = Field(0.25, gt=0, description="mean sentiment change (−1…1 scale) that triggers one")
    min_reviews: int = Field(3, ge=1, description="no refresh before this many reviews")


def refresh_reason(before: ReviewState | Mapping | None, after: ReviewState, policy: RefreshPolicy) -> str | None:
    """Why `after` calls for a refresh of a description checked against `before`; None when it does not."""
    if after.review_count < policy.min_reviews:
        return None
    prev = ReviewState.model_validate(before) if before is not None else ReviewState()
    if after.criticised and after.criticised[0] not in prev.criticised[:1]:
        return f"reviews: {after.criticised[0]} is now the most criticised aspect"
    if after.praised and after.praised[0] not in prev.praised[:1]:
        return f"reviews: {after.praised[0]} is now the most praised aspect"
    dropped = [a for a in prev.criticised if a not in after.criticised]
    if dropped:
        return f"reviews: {dropped[0]} is no longer criticised"
    if prev.sentiment_mean is not None and after.sentiment_mean is not None:
        shift = after.sentiment_mean - prev.sentiment_mean
        if abs(shift) >= policy.sentiment_shift:
            return f"reviews: mean sentiment moved from {prev.sentiment_mean:+.2f} to {after.sentiment_mean:+.2f}"
    if policy.every_reviews and after.review_count // policy.every_reviews > prev.review_count // policy.every_reviews:
        return f"reviews: {after.review_count} reviews (refresh every {policy.every_reviews})"
    return None
