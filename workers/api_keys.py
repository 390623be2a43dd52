"""Per-shop keys to the read API: made by `descflow shop key create`, kept only as a hash.

A key is `dfk_<key id>_<secret>`: the key id finds the row, the SHA-256 of
the whole key is compared in constant time. The secret has 256 random bits,
so a fast hash is enough (nothing to brute-force). The key names its shop, so a
caller can only ever read that shop's products.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from pydantic import TypeAdapter, ValidationError

from schemas.events import Id
from schemas.tables import ShopApiKey

PREFIX = "dfk"
_KEY = re.compile(rf"^{PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()
_shop_id: TypeAdapter[str] = TypeAdapter(Id)


class ApiKeyError(ValueError):
    """A key that cannot be made or revoked as asked; the message says why."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(store: Any, shop_id: str, name: str | None = None) -> tuple[str, ShopApiKey]:
    """A new key for a shop: (the key, shown once and never stored; its row)."""
    try:
        shop_id = _shop_id.validate_python(shop_id)
    except ValidationError as exc:
        raise ApiKeyError(f"{shop_id!r} is not a shop id: {exc.errors()[0]['msg']}") from None
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    row = store.add_api_key(ShopApiKey(key_id=key_id, shop_id=shop_id, key_hash=hash_key(key),
                                       name=(name or None) and name[:120]))
    return key, row


def shop_for_key(store: Any, presented: str | None) -> str | None:
    """The shop a presented key belongs to, or None (unknown, malformed or revoked)."""
    m = _KEY.match(presented or "")
    row = store.api_key(m.group(1)) if m else None
    expected = row.key_hash if row is not None else _DUMMY_HASH
    matches = hmac.compare_digest(hash_key(presented or ""), expected)  # compared even when unknown: same timing
    if row is None or not matches or row.revoked_at is not None:
        return None
    return row.shop_id


__all__ = ["ApiKeyError", "PREFIX", "create_key", "hash_key", "shop_for_key"]
