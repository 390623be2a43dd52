"""What a product update means for its published descriptions: regenerate, or leave them alone.

A shop re-sends products for many reasons (a stock count, a new image, the
same record again). Regenerating on each would churn the storefront and the
history, so ingest regenerates a locale only when the update changes a fact
its current description states, or leaves it covering fewer of the product's
facts; a change to what the writer reads beyond the facts (title, category,
the seller's or merchant's text, audiences) regenerates as before. Either way
the decision is recorded on the event (`inbound_events.decision`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from schemas.events import Product
from workers.gpu import matching

# Fields the writer reads besides the facts: a change to any of them regenerates every locale.
WRITER_FIELDS = ("title", "category", "seller_description", "merchant_description", "audiences")
NOTE_LIMIT = 300


class FactChange(BaseModel):
    """One fact that differs between the stored product and the update (None: absent on that side)."""

    name: str
    before: Any = None
    after: Any = None

    def __str__(self) -> str:
        show = (lambda v: "(none)" if v is None else matching.format_value(v))  # noqa: E731
        return f"{self.name} {show(self.before)} → {show(self.after)}"


class UpdatePlan(BaseModel):
    """Ingest's decision for one product event: the locales to write, and why each other one is kept."""

    cause: str = Field(description="new_product, attribute_change or product_update (schemas.tables.Cause)")
    reason: str = Field(description="the reason recorded on the versions this event publishes")
    regenerate: list[str] = Field(default_factory=list)
    kept: dict[str, str] = Field(default_factory=dict, description="locale → why its description was left alone")
    changes: list[str] = Field(default_factory=list, description="the facts that changed, as 'name before → after'")


def fact_changes(old: Product, new: Product) -> list[FactChange]:
    """Attributes, brand and price that differ, in the update's order (then removed ones)."""
    found: list[FactChange] = []
    if old.brand != new.brand:
        found.append(FactChange(name="brand", before=old.brand, after=new.brand))
    if old.price != new.price:
        found.append(FactChange(name="price", before=old.price.amount if old.price else None,
                                after=new.price.amount if new.price else None))
    for name, value in new.attributes.items():
        if old.attributes.get(name) != value:
            found.append(FactChange(name=name, before=old.attributes.get(name), after=value))
    found.extend(FactChange(name=name, before=value) for name, value in old.attributes.items()
                 if name not in new.attributes)
    return found


def _states(change: FactChange, old: Product, text: str) -> bool:
    """Whether the text states the fact's old value (in part counts: that part is now wrong)."""
    if change.before is None:
        return False
    if change.name == "brand" and "brand" in matching.coverage(old, text).stated:
        return True
    if change.name == "price":
        amount = float(change.before)
        return any(math.isclose(n, amount) for n in matching.numbers(text))
    share = matching.value_share(change.name, change.before, text)
    return bool(share)


def _writer_changes(old: Product, new: Product) -> list[str]:
    return [name for name in WRITER_FIELDS if getattr(old, name) != getattr(new, name)]


def plan_update(old: Product | None, new: Product, current: Mapping[str, Sequence[str]], locales: Sequence[str],
                *, created: bool = False) -> UpdatePlan:
    """Decide, per locale, whether a product event regenerates its description.

    old: the product as stored before this event (None: first seen). current:
    locale → the texts published for it now (one per audience). A locale with
    nothing published is always written.
    """
    if old is None or created:
        return UpdatePlan(cause="new_product", reason="new product", regenerate=list(locales))
    writer = _writer_changes(old, new)
    if writer:
        return UpdatePlan(cause="product_update", reason=f"product update: {', '.join(writer)} changed"[:NOTE_LIMIT],
                          regenerate=list(locales))
    facts = fact_changes(old, new)
    shown = [str(c) for c in facts]
    plan = UpdatePlan(cause="attribute_change" if facts else "product_update", reason="", changes=shown)
    reasons: list[str] = []
    for locale in locales:
        texts = list(current.get(locale) or [])
        if not texts:
            plan.regenerate.append(locale)
            reasons.append(f"{locale}: nothing published yet")
            continue
        stated = [c for c in facts if any(_states(c, old, t) for t in texts)]
        before = min(matching.coverage(old, t).score for t in texts)
        after = min(matching.coverage(new, t).score for t in texts)
        if stated:
            plan.regenerate.append(locale)
            reasons.append(f"{locale}: states {', '.join(str(c) for c in stated)}")
        elif after < before - 1e-9:
            plan.regenerate.append(locale)
            reasons.append(f"{locale}: coverage {before:.2f} → {after:.2f}")
        elif facts:
            plan.kept[locale] = (f"the change ({', '.join(shown)}) touches nothing the description states; "
                                 f"coverage {before:.2f} → {after:.2f}")[:NOTE_LIMIT]
        else:
            plan.kept[locale] = "no fact the description is written from changed"
    head = "attribute change: " + "; ".join(shown) if facts else "product update"
    plan.reason = (head + (f" ({'; '.join(reasons)})" if reasons else ""))[:NOTE_LIMIT]
    return plan


__all__ = ["FactChange", "UpdatePlan", "WRITER_FIELDS", "fact_changes", "plan_update"]
