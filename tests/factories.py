"""Valid events with unique ids, for tests to adjust."""

from __future__ import annotations

import uuid
from typing import Any


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def product_event(locale: str = "en-US", **overrides: Any) -> dict[str, Any]:
    zh = locale.startswith("zh")
    event: dict[str, Any] = {
        "event_id": uid("evt"),
        "event_type": "product.created",
        "occurred_at": "2026-11-01T10:00:00Z",
        "shop_id": "shop-test",
        "schema_version": 1,
        "product_id": uid("p"),
        "title": "声悦 无线蓝牙耳机" if zh else "Nordvik Wireless Headphones",
        "category": "耳机" if zh else "headphones",
        "locale": locale,
        "brand": "声悦" if zh else "Nordvik",
        "price": {"amount": "299.00" if zh else "79.99", "currency": "CNY" if zh else "USD"},
        "attributes": (
            {"佩戴方式": "头戴式", "单元尺寸": "40毫米", "续航时间": "30小时", "蓝牙版本": "蓝牙5.3",
             "充电接口": "Type-C", "重量": "250g", "颜色": "曜石黑"}
            if zh
            else {"wearing style": "over-ear", "driver size": "40mm", "battery life": "30 h",
                  "connectivity": "Bluetooth 5.3", "charging port": "USB-C", "weight": "250g", "colour": "black"}
        ),
        "seller_description": "全网最好的耳机！！！第一品牌" if zh else "BEST HEADPHONES IN THE WORLD!!! 100% guaranteed",
    }
    event.update(overrides)
    return event


def review_event(product_id: str, text: str = "Great sound, the battery lasts all week.", rating: int = 5,
                 **overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": uid("evt-r"),
        "event_type": "review.received",
        "occurred_at": "2026-11-02T10:00:00Z",
        "shop_id": "shop-test",
        "review_id": uid("r"),
        "product_id": product_id,
        "rating": rating,
        "text": text,
    }
    event.update(overrides)
    return event
