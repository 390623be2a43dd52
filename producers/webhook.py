"""The signed webhook (`POST /events`, review decisions) and, beside it, the shops' read API.

It answers fast — verify, validate, record, enqueue, return — and does no
model work. A request that is not signed with the shared secret, or whose
signed timestamp is outside the tolerance window (a replay), is refused before
its body is even parsed. The body is read in chunks and cut off at the size
limit, so a client that sends no Content-Length cannot make it buffer more.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from producers.intake import Intake, Unavailable
from schemas.events import MAX_PAYLOAD_BYTES
from schemas.settings import Settings, get_settings
from schemas.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureInvalid, check

log = logging.getLogger(__name__)

STATUS_CODES = {"accepted": 202, "duplicate": 200, "rejected": 422}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    secret = settings.webhook_secret.get_secret_value().encode()
    if not secret:
        raise RuntimeError("DESCFLOW_WEBHOOK_SECRET is empty: set it to the secret the shop signs its webhooks with")
    intake = Intake(settings, source="webhook")
    api = FastAPI(title="descflow", version="1", summary="Product and review events in; descriptions out.")
    from producers.read_api import read_router

    api.include_router(read_router(lambda: intake.store))  # the read API shares the intake's database

    @api.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def too_large(size: int | None) -> JSONResponse:
        # Refused before the signature can be checked, so not recorded: an unauthenticated
        # client must not be able to write rows. (A replayed file's long line is recorded.)
        log.warning("refused a webhook body of %s bytes (limit %d)", size or "more than the limit", MAX_PAYLOAD_BYTES)
        return JSONResponse({"status": "rejected", "errors": [{"field": "(body)", "reason":
                             f"is over the limit of {MAX_PAYLOAD_BYTES} bytes"}],
                             "message": f"body over {MAX_PAYLOAD_BYTES} bytes"}, 413)

    def unauthorized(request: Request, body: bytes) -> JSONResponse | None:
        """The shared signature check of every POST: HMAC over timestamp and body, within the tolerance."""
        try:
            check(secret, body, request.headers.get(SIGNATURE_HEADER), request.headers.get(TIMESTAMP_HEADER),
                  tolerance=settings.webhook_tolerance_seconds,
                  allow_body_only=settings.webhook_allow_body_only_signature)
        except SignatureInvalid as exc:
            return JSONResponse({"status": "unauthorized", "message": str(exc)}, 401)
        return None

    @api.post("/events", status_code=202)
    async def events(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_PAYLOAD_BYTES:
            return too_large(int(declared))
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_PAYLOAD_BYTES:
                return too_large(None)
            chunks.append(chunk)
        body = b"".join(chunks)
        if (refused := unauthorized(request, body)) is not None:
            return refused
        try:
            outcome = await run_in_threadpool(intake.submit_raw, body)
        except Unavailable as exc:
            return JSONResponse({"status": "unavailable", "message": str(exc)}, 503, headers={"Retry-After": "5"})
        return JSONResponse(outcome.as_dict(), STATUS_CODES[outcome.status])

    runtime: list[Any] = []  # made on the first decision: the webhook itself never needs one

    @api.post("/shops/{shop_id}/reviews/{item_id}/approve")
    async def approve_review(shop_id: str, item_id: int, request: Request) -> JSONResponse:
        return await _review_decision(request, shop_id, item_id, "approve")

    @api.post("/shops/{shop_id}/reviews/{item_id}/reject")
    async def reject_review(shop_id: str, item_id: int, request: Request) -> JSONResponse:
        return await _review_decision(request, shop_id, item_id, "reject")

    async def _review_decision(request: Request, shop_id: str, item_id: int, action: str) -> JSONResponse:
        """Signed like /events; the body names the item and the action, so a signed body fits one decision only."""
        from pydantic import ValidationError

        from schemas.shop import ReviewDecision
        from workers.runtime import Runtime
        from workers.shop import ReviewError, decide, describe_errors

        body = await request.body()
        if len(body) > 16_384:
            return JSONResponse({"status": "rejected", "message": "body over 16384 bytes"}, 413)
        if (refused := unauthorized(request, body)) is not None:
            return refused
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return JSONResponse({"status": "rejected", "message": "the body is not JSON"}, 400)
        if not isinstance(data, dict) or data.get("review_id") != item_id or data.get("action") != action:
            return JSONResponse({"status": "rejected", "message": f'the signed body must be {{"review_id": '
                                 f'{item_id}, "action": "{action}"}} (plus "why" to reject)'}, 400)
        try:
            decision = ReviewDecision(action=action, why=data.get("why"))  # type: ignore[arg-type]
        except ValidationError as exc:
            return JSONResponse({"status": "rejected", "message": describe_errors(exc)}, 422)
        if not runtime:
            runtime.append(Runtime(settings))
        try:
            item = await run_in_threadpool(decide, runtime[0], item_id, decision, shop_id=shop_id)
        except ReviewError as exc:
            return JSONResponse({"status": "refused", "message": str(exc)}, exc.status)
        return JSONResponse({"status": item.status, "review_id": item.id, "published_id": item.published_id}, 200)

    return api
