"""The signed webhook: `POST /events`.

It answers fast — verify, validate, record, enqueue, return — and does no
model work. A request that is not signed with the shared secret is refused
before its body is even parsed.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from producers.intake import Intake, QueueUnavailable
from schemas.events import MAX_PAYLOAD_BYTES
from schemas.settings import Settings, get_settings
from schemas.signing import SIGNATURE_HEADER, verify

log = logging.getLogger(__name__)

STATUS_CODES = {"accepted": 202, "duplicate": 200, "rejected": 422}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    secret = settings.webhook_secret.get_secret_value().encode()
    if not secret:
        raise RuntimeError("DESCFLOW_WEBHOOK_SECRET is empty: set it to the secret the shop signs its webhooks with")
    intake = Intake(settings, source="webhook")
    api = FastAPI(title="descflow", version="1", summary="Product and review events in; descriptions out.")

    @api.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.post("/events", status_code=202)
    async def events(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_PAYLOAD_BYTES:
            return JSONResponse({"status": "rejected", "message": f"body over {MAX_PAYLOAD_BYTES} bytes"}, 413)
        body = await request.body()
        if len(body) > MAX_PAYLOAD_BYTES:
            return JSONResponse({"status": "rejected", "message": f"body over {MAX_PAYLOAD_BYTES} bytes"}, 413)
        if not verify(secret, body, request.headers.get(SIGNATURE_HEADER)):
            return JSONResponse(
                {"status": "unauthorized", "message": f"missing or wrong {SIGNATURE_HEADER} header"}, 401
            )
        try:
            outcome = await run_in_threadpool(intake.submit_raw, body)
        except QueueUnavailable as exc:
            return JSONResponse({"status": "unavailable", "message": str(exc)}, 503, headers={"Retry-After": "5"})
        return JSONResponse(outcome.as_dict(), STATUS_CODES[outcome.status])

    return api
