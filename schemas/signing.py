"""HMAC-SHA256 signatures for webhooks in and callbacks out.

Header format: `X-Descflow-Signature: sha256=<hex of HMAC(secret, raw body)>`.
The receiver must compute the HMAC over the exact bytes it received.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Descflow-Signature"
_PREFIX = "sha256="


def sign(secret: bytes, body: bytes) -> str:
    return _PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """Constant-time check; False for a missing or malformed header or an empty secret."""
    if not secret or not header or not header.startswith(_PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body), header.strip())
