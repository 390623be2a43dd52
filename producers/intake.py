"""The one door every event comes through: validate, record, enqueue.

Webhook, JSONL replay and the Python API all call `Intake.submit`, so an event
is judged the same way whichever edge it arrives at. Bad input is recorded in
`rejected_events` and never reaches a worker; an event_id seen before is a
duplicate and is not enqueued again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from celery import Celery
from kombu.exceptions import OperationalError as KombuOperationalError
from kombu.utils.uuid import uuid

from schemas.events import EventRejected, FieldError, ProductEvent, ReviewEvent, decode_event, parse_event
from schemas.settings import Settings, get_settings
from workers import logs
from workers.store import DATABASE_DOWN, RAW_LIMIT, Store

log = logging.getLogger(__name__)

Status = Literal["accepted", "duplicate", "rejected", "unavailable"]


@dataclass
class Outcome:
    status: Status
    event_id: str | None = None
    task_id: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "event_id": self.event_id}
        if self.task_id:
            out["task_id"] = self.task_id
        if self.errors:
            out["errors"] = [e.model_dump() for e in self.errors]
        if self.message:
            out["message"] = self.message
        return out


class Unavailable(RuntimeError):
    """Nothing was accepted because a service behind the door is down; the caller should deliver again later."""


class QueueUnavailable(Unavailable):
    """The broker refused the message."""


class DatabaseUnavailable(Unavailable):
    """The database could not record the event (or its rejection)."""



class Intake:
    def __init__(self, settings: Settings | None = None, *, source: str = "api"):
        self.settings = settings or get_settings()
        self.source = source

    @cached_property
    def store(self) -> Store:
        return Store(self.settings.database_url)

    @cached_property
    def celery(self) -> Celery:
        from workers.app import create_app

        return create_app(self.settings)

    def submit_raw(self, raw: bytes) -> Outcome:
        """Bytes as received on the wire (webhook body, one JSONL line). Raises Unavailable."""
        try:
            payload, event = decode_event(raw)
        except EventRejected as exc:
            return self._guarded(self._reject, exc, raw, _event_id_of(raw))
        return self._guarded(self._accept, payload, event)

    def submit(self, payload: dict[str, Any]) -> Outcome:
        """An already-decoded JSON object (Python API). Raises Unavailable."""
        try:
            event = parse_event(payload)
        except EventRejected as exc:
            try:
                raw = json.dumps(payload, ensure_ascii=False, default=str)
            except (RecursionError, ValueError) as dump_error:  # nested past the stack, or circular
                raw = f"(payload not serialisable as JSON: {type(dump_error).__name__})"
            return self._guarded(self._reject, exc, raw, payload.get("event_id") if isinstance(payload, dict) else None)
        return self._guarded(self._accept, payload, event)

    def _guarded(self, step: Any, *args: Any) -> Outcome:
        """A database that is down refuses the delivery (503 on the webhook) rather than failing it."""
        try:
            return step(*args)
        except DATABASE_DOWN as exc:
            log.error("database unavailable, event not taken: %s", logs.mask_secrets(str(exc).splitlines()[0],
                                                                                     self.settings.secret_values))
            raise DatabaseUnavailable("the database is unavailable; retry the delivery later") from exc

    def _reject(self, exc: EventRejected, raw: bytes | str, event_id: Any) -> Outcome:
        event_id = _storable(event_id) if isinstance(event_id, str) else None
        if isinstance(raw, bytes):
            raw = raw[:RAW_LIMIT].decode("utf-8", errors="replace")
        errors = [{"field": _storable(e.field), "reason": _storable(e.reason)} for e in exc.errors]
        self.store.record_rejected(self.source, errors, _storable(raw), event_id)
        return Outcome("rejected", event_id=event_id, errors=exc.errors, message=str(exc)[:500])

    def _accept(self, payload: dict[str, Any], event: ProductEvent | ReviewEvent) -> Outcome:
        with logs.bind(event_id=event.event_id, product_id=event.product_id):  # the journey's first log lines
            outcome = self._enqueue(payload, event)
            log.info("%s %s from %s", outcome.status, event.event_type, self.source)
            return outcome

    def _enqueue(self, payload: dict[str, Any], event: ProductEvent | ReviewEvent) -> Outcome:
        task_id = uuid()  # stored before sending, so a fast worker never races the bookkeeping
        if not self.store.record_inbound(event, payload, self.source, task_id=task_id):
            return Outcome("duplicate", event_id=event.event_id, message="event_id already received")
        task = "descflow.ingest" if isinstance(event, ProductEvent) else "descflow.ingest_review"
        try:
            self.celery.send_task(task, args=[event.event_id], task_id=task_id, retry=True,
                                           retry_policy={"max_retries": 2, "interval_start": 0.2,
                                                         "interval_step": 0.5, "interval_max": 1.0})
        except (KombuOperationalError, OSError) as exc:
            # Forget the event so that the shop's retry of the same delivery is accepted.
            self.store.forget_inbound(event.event_id)
            log.error("broker unavailable, event %s not accepted: %s", event.event_id, exc)
            raise QueueUnavailable(f"the queue is unavailable ({exc}); retry the delivery later") from exc
        return Outcome("accepted", event_id=event.event_id, task_id=task_id)


def _storable(text: str) -> str:
    """Text any database can keep: NUL (refused by PostgreSQL) and lone surrogates (not UTF-8) escaped."""
    return text.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")


def _event_id_of(raw: bytes) -> str | None:
    """Best effort: the event_id of a rejected body, for the rejected_events row."""
    try:
        value = json.loads(raw).get("event_id")
    except Exception:
        return None
    return value[:128] if isinstance(value, str) else None
