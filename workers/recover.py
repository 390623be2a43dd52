"""Re-send the work of events that stopped moving: the last net under at-least-once delivery.

Redis hands a killed worker's acknowledged-late tasks to another one after the
visibility timeout, but kombu's Redis transport pops a message and records it
as unacknowledged in two steps: a worker killed between them (`kill -9`, the
OOM killer) takes that one message with it. The database still knows the
event was accepted and not finished, so a sweep — run while nothing waits on
the queues — finds such events (accepted long ago, no stage run for as long,
no dead letter) and sends their stages again. Every stage first looks for its own result, so a sweep that re-sends
work which was in fact only slow changes nothing but costs a little time.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlmodel import select

from schemas.events import ProductEvent, parse_event
from schemas.tables import FailedTask, InboundEvent, PublishedDescription, ReviewItem, StageRun, utcnow

log = logging.getLogger(__name__)

LOCK = "descflow:lock:recover"
_OPEN = ("queued", "processing")


@dataclass
class Sweep:
    ingests: list[str] = field(default_factory=list)  # product events ingest never finished
    chains: list[tuple[str, str]] = field(default_factory=list)  # (event, locale) with nothing published or held
    reviews: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.ingests) + len(self.chains) + len(self.reviews)


def find_stuck(store: Any, older_than: timedelta, limit: int = 500) -> Sweep:
    """Events accepted before `older_than` ago, not finished, with no stage run since then and no dead letter."""
    cutoff = utcnow() - older_than
    sweep = Sweep()
    with store.session() as s:
        rows = list(s.exec(select(InboundEvent).where(
            InboundEvent.status.in_(_OPEN), InboundEvent.received_at < cutoff,  # type: ignore[attr-defined]
        ).order_by(InboundEvent.received_at).limit(limit)))
        ids = [r.event_id for r in rows]
        if not ids:
            return sweep
        recent = set(s.exec(select(StageRun.event_id).where(
            StageRun.event_id.in_(ids), StageRun.finished_at >= cutoff)))  # type: ignore[attr-defined]
        dead = {str(r.args[0]) for r in s.exec(select(FailedTask).where(FailedTask.status == "dead")) if r.args}
        published = {(p.event_id, p.locale) for p in s.exec(select(PublishedDescription).where(
            PublishedDescription.event_id.in_(ids)))}  # type: ignore[attr-defined]
        held = {(h.event_id, h.locale) for h in s.exec(select(ReviewItem).where(
            ReviewItem.event_id.in_(ids)))}  # type: ignore[attr-defined]
    for row in rows:
        if row.event_id in recent or row.event_id in dead:
            continue
        event = parse_event(row.payload)
        if not isinstance(event, ProductEvent):
            sweep.reviews.append(row.event_id)  # its path (sentiment, aspects) is idempotent end to end
            continue
        if row.status == "queued" and row.source != "refresh":
            sweep.ingests.append(row.event_id)
            continue
        plan = (row.decision or {}).get("regenerate") or event.product().locales
        sweep.chains += [(row.event_id, loc) for loc in plan
                         if (row.event_id, loc) not in published and (row.event_id, loc) not in held]
    return sweep


def resend(sweep: Sweep) -> None:
    from workers import pipeline

    for event_id in sweep.ingests:
        pipeline.ingest.apply_async((event_id,))
    for event_id, locale in sweep.chains:
        pipeline.product_chain(event_id, locale).apply_async()
    for event_id in sweep.reviews:
        pipeline.ingest_review.apply_async((event_id,))


def sweep_once(rt: Any, older_than: timedelta) -> Sweep:
    """One sweep under a lock, so that several workers do not each re-send the same events.

    Only while nothing waits on the queues: an event in a backlog is late, not lost.
    """
    from descflow.status import queue_depths

    waiting, _ = queue_depths(rt.redis)
    if any(waiting.values()):
        return Sweep()
    lock = rt.redis.lock(LOCK, timeout=120, blocking=False)
    if not lock.acquire(blocking=False):
        return Sweep()
    try:
        found = find_stuck(rt.store, older_than)
        if found.total:
            log.warning("re-sending the stages of %d stuck event(s): %d ingest, %d product chains, %d reviews",
                        found.total, len(found.ingests), len(found.chains), len(found.reviews))
            resend(found)
        return found
    finally:
        try:
            lock.release()
        except Exception:  # expired while we worked: the next sweep takes it again
            pass


def start_sweeper(rt: Any, interval: float, older_than: timedelta) -> threading.Thread:
    """A daemon thread sweeping every `interval` seconds; errors are logged and the next sweep tries again."""
    def run() -> None:
        while True:
            time.sleep(interval)
            try:
                sweep_once(rt, older_than)
            except Exception:
                log.warning("recovery sweep failed; trying again in %.0f s", interval, exc_info=True)

    thread = threading.Thread(target=run, name="descflow-recover", daemon=True)
    thread.start()
    return thread
