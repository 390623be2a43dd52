"""Event schemas: valid events pass, bad ones fail with the field and a reason."""

from __future__ import annotations

import json
import unicodedata

import pytest

from schemas.events import (
    MAX_ATTRIBUTES,
    MAX_PAYLOAD_BYTES,
    EventRejected,
    ProductEvent,
    ReviewEvent,
    clean_text,
    decode_event,
    parse_event,
)
from tests.factories import product_event, review_event


def fields_of(exc: EventRejected) -> set[str]:
    return {e.field for e in exc.errors}


def test_valid_product_and_review_events():
    product = parse_event(product_event("zh-CN", target_locales=["zh-CN", "en-US", "zh-CN"]))
    assert isinstance(product, ProductEvent)
    assert product.product().locales == ["zh-CN", "en-US"]
    review = parse_event(review_event("p-1"))
    assert isinstance(review, ReviewEvent) and review.review().rating == 5


def test_unknown_fields_are_ignored_but_kept_in_the_raw_payload():
    raw = product_event(surprise={"nested": True})
    payload, event = decode_event(json.dumps(raw).encode())
    assert payload["surprise"] == {"nested": True}
    assert "surprise" not in event.model_dump()


def test_control_and_zero_width_characters_are_stripped():
    event = parse_event(product_event(title="Nord\u200bvik\x07 Headphones\u202e"))
    assert event.title == "Nordvik Headphones"


def test_text_is_cleaned_the_same_whichever_way_it_is_read():
    """Printable text skips the per-character rule; every character the rule drops must take that rule."""
    def rule(value: str) -> str:
        return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cf"}).strip()

    dropped = [chr(c) for c in range(0x110000)
               if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) in {"Cc", "Cf"}]
    assert len(dropped) > 150  # all of them, not a sample: U+00AD, U+200B, U+202E, U+FEFF, U+E0001, ...
    kept = ["\n", "\t", "\u00a0", "\u3000", "\u2028", "é", "降噪", "\U0001f3a7", " "]
    for ch in dropped + kept:
        for text in (f"a{ch}b", f" {ch}降噪 ", ch):
            assert clean_text(text) == rule(text), repr(text)
    assert clean_text("  Nordvik Aria 700  ") == "Nordvik Aria 700"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_type": "product.deleted"}, "event_type"),
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"product_id": "has space"}, "product_id"),
        ({"locale": "English"}, "locale"),
        ({"occurred_at": "2026-11-01T10:00:00"}, "occurred_at"),
        ({"occurred_at": "1970-01-01T00:00:00Z"}, "occurred_at"),
        ({"occurred_at": "not a date"}, "occurred_at"),
        ({"price": {"amount": "-1", "currency": "USD"}}, "price.amount"),
        ({"price": {"amount": "NaN", "currency": "USD"}}, "price.amount"),
        ({"price": {"amount": "12", "currency": "dollars"}}, "price.currency"),
        ({"attributes": {f"a{i}": "v" for i in range(MAX_ATTRIBUTES + 1)}}, "attributes"),
        ({"attributes": {"sizes": ["S"] * 40}}, "attributes.sizes"),
        ({"image_urls": ["javascript:alert(1)"]}, "image_urls.0"),
        ({"schema_version": 99}, "schema_version"),
    ],
)
def test_bad_product_fields_are_named(change, field):
    with pytest.raises(EventRejected) as info:
        parse_event(product_event(**change))
    assert any(f == field or f.startswith(field + ".") or field.startswith(f) for f in fields_of(info.value)), info.value


def test_missing_fields_are_all_reported():
    event = product_event()
    for key in ("title", "shop_id", "locale"):
        del event[key]
    with pytest.raises(EventRejected) as info:
        parse_event(event)
    assert {"title", "shop_id", "locale"} <= fields_of(info.value)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b'{"a": NaN}', "NaN"),
        (b"[1, 2]", "JSON object"),
        (b"x" * (MAX_PAYLOAD_BYTES + 1), "limit"),
        (json.dumps({"event_type": "review.received", "a": [[[[[[[[[[1]]]]]]]]]]}).encode(), "nested"),
    ],
)
def test_undecodable_bodies(raw, reason):
    with pytest.raises(EventRejected) as info:
        decode_event(raw)
    assert reason in str(info.value)


def test_review_rating_bounds_and_text():
    with pytest.raises(EventRejected) as info:
        parse_event(review_event("p-1", rating=6))
    assert "rating" in fields_of(info.value)
    with pytest.raises(EventRejected):
        parse_event(review_event("p-1", text="!!! ???"))
