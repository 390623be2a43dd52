"""The task graph: each stage a Celery task, thin over a plain-Python engine.

    product event ─► ingest ─► generate ─► correct ─► dedup ─► rank ─► publish   (one chain per locale)
    review event  ─► ingest_review ─► sentiment ─► aspect_summary

Messages carry ids, never payloads: the database is the state. Every stage is
idempotent: it first looks for its own result and returns when it is there,
so a redelivered or retried task changes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import time
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import redis.exceptions
import sqlalchemy.exc
from celery import Task, chain, signals

from schemas.events import ProductEvent, ReviewEvent, parse_event
from schemas.tables import DescriptionCandidate, ReviewSentimentRow
from workers.app import GPU_QUEUE, app
from workers.runtime import get_runtime, log, reset_after_fork

F = TypeVar("F", bound=Callable[..., Any])


class TransientError(RuntimeError):
    """Worth retrying: the cause (broker, database, device memory) may pass."""


class PermanentError(RuntimeError):
    """Retrying cannot help (missing event, nothing acceptable to publish): dead-letter at once."""


TRANSIENT: tuple[type[BaseException], ...] = (
    TransientError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.LockError,  # another worker held a per-product lock too long
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    httpx.TransportError,
    ConnectionError,
    TimeoutError,
)


class StageTask(Task):
    """Retry transient failures with jittered exponential backoff; dead-letter the rest."""

    abstract = True
    autoretry_for = TRANSIENT
    dont_autoretry_for = (PermanentError,)
    retry_backoff = True
    retry_jitter = True
    acks_late = True

    def __init__(self) -> None:
        settings = get_runtime().settings
        self.max_retries = settings.max_retries
        self.retry_backoff_max = settings.retry_backoff_max

    def on_failure(self, exc: BaseException, task_id: str, args: tuple, kwargs: dict, einfo: Any) -> None:
        try:
            get_runtime().store.record_failure(
                task_id=task_id, task=self.name, args=list(args), kwargs=dict(kwargs),
                error=f"{type(exc).__name__}: {exc}"[:4000], traceback=str(einfo)[-8000:],
                attempts=self.request.retries + 1,
            )
        except Exception:  # the database may be the very thing that failed
            log.exception("could not record dead letter for %s[%s] args=%r", self.name, task_id, args)


def stage(name: str) -> Callable[[F], F]:
    """Time a stage and record it against (event_id, locale)."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(self: Task, event_id: str, *args: Any) -> Any:
            started = time.perf_counter()
            try:
                result = fn(self, event_id, *args)
            except Exception as exc:
                # torch.OutOfMemoryError, named so that cpu workers need not import torch.
                if type(exc).__name__ == "OutOfMemoryError":
                    raise TransientError(f"device out of memory even at batch 1: {exc}") from exc
                raise
            locale = args[0] if args else ""
            get_runtime().store.record_stage(event_id, locale, name, time.perf_counter() - started,
                                             self.request.retries + 1, self.request.hostname or "")
            return result

        return run  # type: ignore[return-value]

    return wrap


def _event(event_id: str) -> ProductEvent | ReviewEvent:
    row = get_runtime().store.get_inbound(event_id)
    if row is None:
        raise PermanentError(f"event {event_id!r} is not in inbound_events (was the database reset?)")
    return parse_event(row.payload)


def _product_event(event_id: str) -> ProductEvent:
    event = _event(event_id)
    if not isinstance(event, ProductEvent):
        raise PermanentError(f"event {event_id!r} is a {event.event_type}, not a product event")
    return event


def _seed(event_id: str, locale: str) -> int:
    return get_runtime().settings.seed + zlib.crc32(f"{event_id}/{locale}".encode()) % 100_000


def dedup_key(shop_id: str, product_id: str, locale: str) -> str:
    return f"{shop_id}/{product_id}/{locale}"


# ---- product path ---------------------------------------------------------------------


def product_chain(event_id: str, locale: str) -> chain:
    return chain(
        generate.si(event_id, locale),
        correct.si(event_id, locale),
        dedup.si(event_id, locale),
        rank.si(event_id, locale),
        publish.si(event_id, locale),
    )


@app.task(bind=True, base=StageTask, name="descflow.ingest")
@stage("ingest")
def ingest(self: Task, event_id: str) -> list[str]:
    event = _event(event_id)
    store = get_runtime().store
    if isinstance(event, ReviewEvent):
        raise PermanentError(f"event {event_id!r} is a review; it goes to descflow.ingest_review")
    row = store.upsert_product(event)
    if row is None:
        store.set_inbound(event_id, status="stale")
        log.info("event %s is older than the stored product %s: skipped", event_id, event.product_id)
        return []
    locales = event.product().locales
    store.set_inbound(event_id, status="processing")
    for locale in locales:
        product_chain(event_id, locale).apply_async()
    return locales


@app.task(bind=True, base=StageTask, name="descflow.generate")
@stage("generate")
def generate(self: Task, event_id: str, locale: str) -> int:
    rt = get_runtime()
    if rt.store.candidates(event_id, locale):
        return 0
    event = _product_event(event_id)
    product = rt.store.product_model(event.shop_id, event.product_id) or event.product()
    from workers.gpu.generate import candidate_decodings

    gen, s = rt.generator, rt.settings
    audience = product.audiences[0] if product.audiences else None
    decodings = candidate_decodings(s.candidates, temperature=s.temperature, top_p=s.top_p,
                                    seed=_seed(event_id, locale))
    requests = [gen.request(product, locale, d, audience=audience, key=i) for i, d in enumerate(decodings)]
    outputs = gen.generate(requests, max_new_tokens=s.max_new_tokens, batch_size=s.batch_size)
    rows = [
        DescriptionCandidate(
            event_id=event_id, shop_id=event.shop_id, product_id=event.product_id, locale=locale, idx=o.key,
            raw_text=o.text, text=o.text, decoding={**o.decoding.as_dict(), "audience": audience},
            model=gen.name, scores={"new_tokens": o.new_tokens},
            issues=[{"code": "slot_misplaced", "before": name, "after": "", "span": None,
                     "detail": f"the value of {name!r} follows words for another quantity"}
                    for name in o.meta.get("misplaced", [])],
        )
        for o in outputs
    ]
    return len(rt.store.add_candidates(rows))


@app.task(bind=True, base=StageTask, name="descflow.correct")
@stage("correct")
def correct(self: Task, event_id: str, locale: str) -> int:
    from workers.gpu.correct import correct as correct_text

    rt = get_runtime()
    todo = [c for c in rt.store.candidates(event_id, locale) if c.stage == "generated"]
    if not todo:
        return 0
    event = _product_event(event_id)
    product = rt.store.product_model(event.shop_id, event.product_id) or event.product()
    for cand in todo:
        fixed = correct_text(cand.raw_text, product, locale)
        cand.text = fixed.text
        cand.issues = cand.issues + [f.model_dump(mode="json") for f in fixed.fixes]  # after generation's own
        cand.stage = "corrected"
    rt.store.update_candidates(todo)
    return len(todo)


@app.task(bind=True, base=StageTask, name="descflow.dedup")
@stage("dedup")
def dedup(self: Task, event_id: str, locale: str) -> int:
    from workers.cpu.dedup import near_duplicates_within

    rt = get_runtime()
    cands = rt.store.candidates(event_id, locale)
    todo = [c for c in cands if c.stage == "corrected"]
    if not todo:
        return 0
    own = dedup_key(todo[0].shop_id, todo[0].product_id, locale)
    threshold = rt.settings.dedup_threshold
    for cand in todo:
        hits = rt.dedup.query(cand.text, exclude={own}) if cand.text.strip() else []
        if hits:
            cand.similarity, cand.duplicate_of = hits[0].similarity, hits[0].key
        else:
            cand.similarity, cand.duplicate_of = 0.0, None
    by_idx = {c.idx: c for c in todo}
    texts = [c.text for c in todo]
    for i, j, sim in near_duplicates_within(texts, threshold=threshold):
        later = by_idx[todo[j].idx]
        if later.duplicate_of is None:  # the catalog hit is the stronger reason; keep it
            later.duplicate_of, later.similarity = f"candidate:{todo[i].idx}", max(sim, later.similarity or 0.0)
    for cand in todo:
        cand.stage = "deduped"
    rt.store.update_candidates(todo)
    return len(todo)


@app.task(bind=True, base=StageTask, name="descflow.rank")
@stage("rank")
def rank(self: Task, event_id: str, locale: str) -> int | None:
    from workers.gpu import rank as ranking

    rt = get_runtime()
    cands = rt.store.candidates(event_id, locale)
    chosen = [c for c in cands if c.chosen]
    if chosen:
        return chosen[0].idx
    event = _product_event(event_id)
    product = rt.store.product_model(event.shop_id, event.product_id) or event.product()
    audience = product.audiences[0] if product.audiences else None
    loglik = rt.generator.fluency(product, locale, [c.text for c in cands], audience=audience,
                                  batch_size=rt.settings.batch_size)
    scored = ranking.score(
        product, locale, [c.text for c in cands], loglik=loglik, issues=[c.issues for c in cands],
        similarity=[c.similarity for c in cands],
        duplicate=[c.duplicate_of is not None and (c.similarity or 0) >= rt.settings.dedup_threshold for c in cands],
    )
    winner = ranking.best(scored)
    for cand, sc in zip(cands, scored):
        cand.scores = {**cand.scores, **sc.scores}
        cand.stage = "ranked"
        cand.chosen = winner is not None and sc.idx == winner.idx
    rt.store.update_candidates(cands)
    if winner is None:
        raise PermanentError(
            f"none of the {len(cands)} candidates for {event.product_id}/{locale} survived correction and dedup; "
            "train the house model on more pairs (`descflow train`) or configure a stronger generator"
        )
    return cands[winner.idx].idx


@app.task(bind=True, base=StageTask, name="descflow.publish")
@stage("publish")
def publish(self: Task, event_id: str, locale: str) -> int:
    from workers.outbound import add_to_stream, post_callback, to_event

    rt = get_runtime()
    chosen = [c for c in rt.store.candidates(event_id, locale) if c.chosen]
    if not chosen:
        raise PermanentError(f"no chosen candidate for event {event_id!r} locale {locale}: rank has not run")
    cand = chosen[0]
    row = rt.store.publish(shop_id=cand.shop_id, product_id=cand.product_id, locale=locale, event_id=event_id,
                           text=cand.text, scores=cand.scores, candidate_id=cand.id)
    rt.dedup.add(dedup_key(cand.shop_id, cand.product_id, locale), row.text)
    if not row.announced:
        out = to_event(row)
        add_to_stream(rt.redis, out)
        if rt.settings.callback_url:
            post_callback(rt.settings.callback_url, rt.settings.signing_secret, out)
        rt.store.mark_announced(row.id)  # type: ignore[arg-type]
    rt.store.set_inbound(event_id, status="done")
    return row.version


# ---- review path ----------------------------------------------------------------------


def _review_event(event_id: str) -> ReviewEvent:
    event = _event(event_id)
    if not isinstance(event, ReviewEvent):
        raise PermanentError(f"event {event_id!r} is a {event.event_type}, not a review")
    return event


@app.task(bind=True, base=StageTask, name="descflow.ingest_review")
@stage("ingest")
def ingest_review(self: Task, event_id: str) -> None:
    from workers.cpu.dedup import normalise

    event = _review_event(event_id)
    store = get_runtime().store
    text_key = hashlib.sha1(normalise(event.text).encode()).hexdigest()
    row = store.upsert_review(event, text_key)
    if row.duplicate_of:
        log.info("review %s repeats the text of review %s: stored, counted once", row.review_id, row.duplicate_of)
    store.set_inbound(event_id, status="processing")
    chain(sentiment.si(event_id), aspect_summary.si(event_id)).apply_async()


@app.task(bind=True, base=StageTask, name="descflow.sentiment")
@stage("sentiment")
def sentiment(self: Task, event_id: str) -> str:
    rt = get_runtime()
    event = _review_event(event_id)
    product = rt.store.get_product(event.shop_id, event.product_id)
    attributes = list((product.data.get("attributes") or {}).keys()) if product else []
    locale = event.locale or (product.locale if product else None)
    result = rt.sentiment.analyse([event.text], [locale], [attributes])[0]
    rt.store.save_sentiment(ReviewSentimentRow(
        shop_id=event.shop_id, review_id=event.review_id, product_id=event.product_id, polarity=result.polarity,
        score=result.score, confidence=result.confidence,
        aspects=[a.model_dump(mode="json") for a in result.aspects], backend=result.backend,
    ))
    return result.polarity


@app.task(bind=True, base=StageTask, name="descflow.aspect_summary")
@stage("aspects")
def aspect_summary(self: Task, event_id: str) -> dict[str, Any]:
    from workers.cpu.sentiment import AspectMention, SentimentResult, summarise

    rt = get_runtime()
    event = _review_event(event_id)
    # Read and write under one lock per product: two recounts running side by side could
    # otherwise let the one that read first commit last, leaving out a review.
    with rt.redis.lock(f"descflow:lock:aspects:{event.shop_id}:{event.product_id}", timeout=60,
                       blocking_timeout=60):
        rows = rt.store.product_sentiments(event.shop_id, event.product_id)
        results = [
            (review.rating, SentimentResult(polarity=s.polarity, score=s.score, confidence=s.confidence,
                                            aspects=[AspectMention(**a) for a in s.aspects], backend=s.backend))
            for review, s in rows
        ]
        summary = summarise(results)
        rt.store.replace_aspects(event.shop_id, event.product_id, summary.aspects,
                                 review_count=summary.review_count, rating_mean=summary.rating_mean,
                                 sentiment_mean=summary.sentiment_mean)
    rt.store.set_inbound(event_id, status="done")
    return {"top_praised": summary.top_praised, "top_criticised": summary.top_criticised}


# ---- worker lifecycle -----------------------------------------------------------------


def _consumes_gpu() -> bool:
    return GPU_QUEUE in os.environ.get("DESCFLOW_WORKER_QUEUES", "").split(",")


@signals.worker_process_init.connect
def _after_fork(**_: Any) -> None:
    reset_after_fork()
    if _consumes_gpu():
        get_runtime().generator  # noqa: B018 - load once per process, after fork


@signals.worker_ready.connect
def _warm_solo(sender: Any = None, **_: Any) -> None:
    pool = getattr(getattr(sender, "controller", None), "pool_cls", None)
    if _consumes_gpu() and "prefork" not in str(pool).lower():
        get_runtime().generator  # noqa: B018 - solo/threads: this process runs the tasks
