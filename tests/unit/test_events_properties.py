"""Properties of the event schemas over generated input: the intake can only ever see EventRejected."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.events import (
    MAX_ATTR_VALUE,
    MAX_ATTRIBUTES,
    MAX_LIST,
    MAX_SELLER_TEXT,
    MAX_TEXT,
    MAX_TITLE,
    EventRejected,
    ProductEvent,
    ReviewEvent,
    decode_event,
    parse_event,
)

PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,40}", fullmatch=True)
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1,
                max_size=80).filter(lambda t: t.strip() and any(ch.isalnum() for ch in t))

FIELDS = ["event_id", "event_type", "occurred_at", "shop_id", "product_id", "title", "category", "locale", "brand",
          "price", "attributes", "seller_description", "image_urls", "target_locales", "audiences", "review_id",
          "rating", "text", "schema_version"]


@st.composite
def product_events(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "event_id": draw(ids), "event_type": draw(st.sampled_from(["product.created", "product.updated"])),
        "occurred_at": "2026-11-01T10:00:00Z", "shop_id": draw(ids), "product_id": draw(ids),
        "title": draw(words), "category": draw(words), "locale": draw(st.sampled_from(["en-US", "zh-CN", "de"])),
        "price": {"amount": draw(st.from_regex(r"[0-9]{1,9}(\.[0-9]{1,2})?", fullmatch=True)),
                  "currency": draw(st.sampled_from(["USD", "CNY", "EUR"]))},
        "attributes": draw(st.dictionaries(words.map(lambda w: w[:60]), words | st.lists(words, max_size=4),
                                           max_size=6)),
        "seller_description": draw(words),
    }


@st.composite
def review_events(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "event_id": draw(ids), "event_type": "review.received", "occurred_at": "2026-11-01T10:00:00+08:00",
        "shop_id": draw(ids), "review_id": draw(ids), "product_id": draw(ids),
        "rating": draw(st.none() | st.integers(1, 5)), "text": draw(words),
    }


def _only_rejected(fn: Any, value: Any) -> None:
    try:
        fn(value)
    except EventRejected as exc:
        assert exc.errors and all(e.field and e.reason for e in exc.errors)


@PROPS
@given(json_values)
def test_arbitrary_json_values_raise_only_event_rejected(value):
    _only_rejected(parse_event, value)


@PROPS
@given(st.fixed_dictionaries({}, optional={f: json_values for f in FIELDS}),
       st.sampled_from(["product.created", "product.updated", "review.received", None]))
def test_event_shaped_objects_with_arbitrary_values_raise_only_event_rejected(payload, event_type):
    if event_type:
        payload["event_type"] = event_type
    _only_rejected(parse_event, payload)


@PROPS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_event_rejected(raw):
    _only_rejected(decode_event, raw)


@PROPS
@given(product_events(), st.sampled_from(FIELDS), json_values)
def test_one_field_replaced_by_anything_raises_only_event_rejected(event, field, value):
    event[field] = value
    _only_rejected(decode_event, json.dumps(event, allow_nan=True).encode("utf-8", "surrogatepass"))


@PROPS
@given(st.one_of(product_events(), review_events()))
def test_valid_events_round_trip(event):
    raw = json.dumps(event, ensure_ascii=False).encode()
    payload, parsed = decode_event(raw)
    assert payload == event
    again = parse_event(json.loads(parsed.model_dump_json()))
    assert again == parsed
    assert isinstance(parsed, ReviewEvent if event["event_type"] == "review.received" else ProductEvent)
    text_fields = ["text"] if isinstance(parsed, ReviewEvent) else ["title", "seller_description"]
    for name in text_fields:  # clean text survives exactly (only surrounding whitespace is trimmed)
        assert getattr(parsed, name) == event[name].strip()


@PROPS
@given(product_events(), st.sampled_from([("title", MAX_TITLE), ("seller_description", MAX_SELLER_TEXT),
                                          ("category", 120), ("brand", 120)]), st.integers(1, 3000))
def test_string_limits_hold(event, field_limit, extra):
    field, limit = field_limit
    event[field] = "a" * (limit + extra)
    with pytest.raises(EventRejected) as info:
        parse_event(event)
    assert any(e.field == field for e in info.value.errors)
    event[field] = "a" * limit
    assert len(getattr(parse_event(event), field)) == limit


@PROPS
@given(review_events(), st.integers(1, 3000))
def test_review_text_limit_holds(event, extra):
    event["text"] = "b" * (MAX_TEXT + extra)
    with pytest.raises(EventRejected, match="text"):
        parse_event(event)


@PROPS
@given(product_events(), st.integers(1, 100))
def test_list_and_mapping_limits_hold(event, extra):
    for field, value in [("image_urls", [f"https://c.example/{i}" for i in range(MAX_LIST + extra)]),
                         ("attributes", {f"a{i}": "v" for i in range(MAX_ATTRIBUTES + extra)}),
                         ("attributes", {"colours": ["red"] * (MAX_LIST + extra)}),
                         ("attributes", {"note": "x" * (MAX_ATTR_VALUE + extra)})]:
        bad = {**event, field: value}
        with pytest.raises(EventRejected) as info:
            parse_event(bad)
        assert any(e.field == field or e.field.startswith(field + ".") for e in info.value.errors), info.value


@PROPS
@given(st.integers(9, 200), st.sampled_from(["list", "dict"]))
def test_nesting_limit_holds_at_any_depth(depth, kind):
    nested: Any = 1
    for _ in range(depth):
        nested = [nested] if kind == "list" else {"k": nested}
    with pytest.raises(EventRejected, match="nested"):
        parse_event({"event_type": "product.created", "extra": nested})
