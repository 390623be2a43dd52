"""HMAC-SHA256 signatures for webhooks in and callbacks out, bound to a timestamp.

Headers:

    X-Descflow-Timestamp: <unix seconds>
    X-Descflow-Signature: sha256=<hex of HMAC(secret, f"{timestamp}.".encode() + raw body)>

The timestamp is inside the signed bytes, so a captured request cannot be
re-sent after the tolerance window (DESCFLOW_WEBHOOK_TOLERANCE_SECONDS): an
attacker cannot move the timestamp without the secret. The receiver computes
the HMAC over the exact bytes it received. The older body-only signature
(no timestamp) is accepted only where the caller allows it explicitly.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Descflow-Signature"
TIMESTAMP_HEADER = "X-Descflow-Timestamp"
DEFAULT_TOLERANCE_SECONDS = 300
_PREFIX = "sha256="
_MAX_TIMESTAMP_DIGITS = 12  # seconds until the year 33658: anything longer is not a timestamp


class SignatureInvalid(ValueError):
    """The request is not signed as required; the message says what to fix."""


def signed_bytes(timestamp: int | str, body: bytes) -> bytes:
    return f"{timestamp}.".encode() + body


def sign(secret: bytes, body: bytes, timestamp: int | str) -> str:
    """The X-Descflow-Signature value for a body sent at `timestamp` (unix seconds)."""
    return _PREFIX + hmac.new(secret, signed_bytes(timestamp, body), hashlib.sha256).hexdigest()


def sign_body_only(secret: bytes, body: bytes) -> str:
    """The older signature over the body alone; replayable, so refused unless a receiver allows it."""
    return _PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_headers(secret: bytes, body: bytes, now: float | None = None) -> dict[str, str]:
    """Both headers for a request sent now: what a sender (the shop, descflow's callback) adds."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, body, timestamp)}


def check(
    secret: bytes,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    allow_body_only: bool = False,
    now: float | None = None,
) -> None:
    """Raise SignatureInvalid with the reason unless the signature and timestamp hold.

    Comparisons are constant-time (hmac.compare_digest), so timing reveals nothing
    about how much of a guessed signature was right.
    """
    if not secret:
        raise SignatureInvalid("the receiver has no secret configured")
    if not signature:
        raise SignatureInvalid(f"missing {SIGNATURE_HEADER} header")
    signature = signature.strip()
    if not signature.startswith(_PREFIX):
        raise SignatureInvalid(f"{SIGNATURE_HEADER} must look like sha256=<hex>")
    if timestamp is None:
        if allow_body_only and hmac.compare_digest(sign_body_only(secret, body), signature):
            return
        raise SignatureInvalid(f"missing {TIMESTAMP_HEADER} header (unix seconds, signed with the body)")
    timestamp = timestamp.strip()
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        raise SignatureInvalid(f"{TIMESTAMP_HEADER} must be whole unix seconds")
    if not hmac.compare_digest(sign(secret, body, timestamp), signature):
        raise SignatureInvalid(f"wrong {SIGNATURE_HEADER}: expected HMAC-SHA256 of '<timestamp>.' + body")
    skew = int(timestamp) - int(time.time() if now is None else now)
    if skew < -tolerance:
        raise SignatureInvalid(f"{TIMESTAMP_HEADER} is {-skew} s old; requests older than {tolerance} s are refused "
                               "(a replayed request, or the sender's clock is wrong)")
    if skew > tolerance:
        raise SignatureInvalid(f"{TIMESTAMP_HEADER} is {skew} s in the future; more than {tolerance} s ahead is "
                               "refused (check the sender's clock)")


def verify(
    secret: bytes,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    allow_body_only: bool = False,
    now: float | None = None,
) -> bool:
    """`check` as a yes/no answer, for receivers that only need to accept or refuse."""
    try:
        check(secret, body, signature, timestamp, tolerance=tolerance, allow_body_only=allow_body_only, now=now)
    except SignatureInvalid:
        return False
    return True
