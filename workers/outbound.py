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
        published_at=row.created_at, reason=row.reason, cause=row.cause, audience=row.audience or None,
    )


ANNOUNCED_TTL = 7 * 24 * 3600  # far longer than any redelivery of the task that announces

# The marker and the entry in one step on the server: a worker killed between
# "added" and "recorded as announced" is redelivered and finds the marker.
_ADD_ONCE = """
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'event', ARGV[1])
end
return false
"""


def announced_key(event: DescriptionPublished) -> str:
    """One per published row: its publishing time tells it from a same-numbered version of a reset database."""
    when = event.published_at.isoformat()
    return f"descflow:announced:{event.shop_id}:{event.product_id}:{event.locale}:{event.version}:{when}"


def add_to_stream(client: redis.Redis, event: DescriptionPublished) -> str | None:
    """XADD once per version (None when it was already added), with an approximate cap on the stream's length."""
    entry_id = client.eval(_ADD_ONCE, 2, STREAM, announced_key(event), event.model_dump_json(), STREAM_MAXLEN,
                           ANNOUNCED_TTL)
    if entry_id is None:
        return None
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
