"""Announcing published descriptions: the Redis stream and the shop's callback URL."""

from __future__ import annotations

import logging

import httpx
import redis
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from schemas.events import DescriptionPublished
from schemas.signing import signature_headers
from schemas.tables import PublishedDescription

STREAM = "descflow:published"
STREAM_MAXLEN = 100_000

log = logging.getLogger(__name__)


def to_event(row: PublishedDescription) -> DescriptionPublished:
    return DescriptionPublished(
        shop_id=row.shop_id, product_id=row.product_id, locale=row.locale, version=row.version,
        text=row.text, scores={k: float(v) for k, v in row.scores.items()}, source_event_id=row.event_id,
        published_at=row.created_at, reason=row.reason,
    )


def add_to_stream(client: redis.Redis, event: DescriptionPublished) -> str:
    """XADD with an approximate cap so the stream cannot grow without bound."""
    entry_id = client.xadd(STREAM, {"event": event.model_dump_json()}, maxlen=STREAM_MAXLEN, approximate=True)
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


class CallbackFailed(RuntimeError):
    pass


@retry(
    retry=retry_if_exception_type((httpx.TransportError, CallbackFailed)),
    wait=wait_exponential_jitter(initial=0.5, max=10),
    stop=stop_after_attempt(4),
    reraise=True,
)
def post_callback(url: str, secret: bytes, event: DescriptionPublished, timeout: float = 10.0) -> None:
    """POST the event, signed with a fresh timestamp per attempt; retried with backoff on network errors and 5xx."""
    body = event.model_dump_json().encode()
    headers = {"Content-Type": "application/json", **signature_headers(secret, body)}
    response = httpx.post(url, content=body, headers=headers, timeout=timeout)
    if response.status_code >= 500:
        raise CallbackFailed(f"callback {url} answered {response.status_code}")
    if response.status_code >= 400:
        log.error("callback %s refused %s v%d: %d", url, event.product_id, event.version, response.status_code)
