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
import os
import sys
import time
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import kombu.exceptions
import redis.exceptions
import sqlalchemy.exc
from celery import Task, chain, signals
from celery.worker.control import inspect_command

from schemas.events import Product, ProductEvent, ReviewEvent, parse_event
from schemas.tables import DescriptionCandidate, ReviewSentimentRow
from workers import logs, metrics
from workers.app import GPU_QUEUE, app
from workers.runtime import configure_logging, get_runtime, log, reset_after_fork

# Imported here, in the process's main thread, not by the first tasks: inflect (under the realiser and the gate)
# instruments its functions as it is imported, which is not safe from several task threads of a gpu worker at once.
from workers.text.check import check_candidate
from workers.text.realise import WRITER, realise

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
    kombu.exceptions.OperationalError,  # the broker, while sending the next stage
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
        # An error may quote a URL with its password (a broker or database connection error):
        # dead letters are read by more people than the secrets are, so mask before storing.
        from workers import deadletters

        rt = get_runtime()
        secrets = rt.settings.secret_values
        letter = dict(
            task_id=task_id, task=self.name, args=list(args), kwargs=dict(kwargs),
            error=logs.mask_secrets(f"{type(exc).__name__}: {exc}", secrets)[:4000],
            traceback=logs.mask_secrets(str(einfo), secrets)[-8000:],
            attempts=self.request.retries + 1,
            chain=list(self.request.chain or []) or None,  # the stages after this one, re-sent with it
        )
        try:
            deadletters.record(rt.store, lambda: rt.redis, letter)  # the database may be what failed
        except Exception:
            log.exception("could not record dead letter for %s[%s] args=%r", self.name, task_id, args)


def stage(name: str, *, per_locale: bool = True) -> Callable[[F], F]:
    """Time a stage, record it against (event_id, locale), and tag its log lines and metrics.

    Every log line written inside the stage carries the task, event, product and locale.
    per_locale: the task's second argument is the locale (product stages); else the run is product-wide.
    """

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(self: Task, event_id: str, *args: Any) -> Any:
            locale = args[0] if args and per_locale else ""
            with logs.bind(task_name=getattr(self, "name", None), task_id=getattr(self.request, "id", None),
                           event_id=event_id, product_id=_product_id(event_id), locale=locale):
                started, cpu = time.perf_counter(), time.thread_time()
                try:
                    result = fn(self, event_id, *args)
                except Exception as exc:
                    # torch.OutOfMemoryError, named so that cpu workers need not import torch.
                    if type(exc).__name__ == "OutOfMemoryError":
                        raise TransientError(f"device out of memory even at batch 1: {exc}") from exc
                    raise
                seconds = time.perf_counter() - started
                get_runtime().store.record_stage(event_id, locale, name, seconds,
                                                 self.request.retries + 1, self.request.hostname or "")
                metrics.observe_stage(name, seconds, time.thread_time() - cpu)
                return result

        return run  # type: ignore[return-value]

    return wrap


def _event(event_id: str) -> ProductEvent | ReviewEvent:
    try:
        return _stored_event(get_runtime().store.url, event_id)
    except LookupError:
        raise PermanentError(f"event {event_id!r} is not in inbound_events (was the database reset?)") from None


@functools.lru_cache(maxsize=4096)
def _stored_event(database_url: str, event_id: str) -> ProductEvent | ReviewEvent:
    """The event as intake recorded it, parsed once per process: a payload never changes after intake, and the
    stages of one event (three of them in a gpu worker) would otherwise each read and validate it again."""
    row = get_runtime().store.get_inbound(event_id)
    if row is None:
        raise LookupError(event_id)  # not cached: the event may be recorded a moment later
    return parse_event(row.payload)


def _product_event(event_id: str) -> ProductEvent:
    event = _event(event_id)
    if not isinstance(event, ProductEvent):
        raise PermanentError(f"event {event_id!r} is a {event.event_type}, not a product event")
    return event


def _seed(event_id: str, locale: str) -> int:
    return get_runtime().settings.seed + zlib.crc32(f"{event_id}/{locale}".encode()) % 100_000


def _batched(rt: Any, kind: str, items: list[Any]) -> list[Any]:
    """Through the process's batcher, alongside other tasks' requests (see workers/gpu/batcher.py)."""
    from workers.gpu.batcher import BatcherClosed

    try:
        return rt.batcher.submit(kind, items, timeout=rt.settings.task_soft_time_limit)
    except (BatcherClosed, TimeoutError) as exc:
        raise TransientError(f"{kind}: {exc}") from exc


def dedup_key(shop_id: str, product_id: str, locale: str) -> str:
    """Key of a (product, locale) in the catalog indexes; a new version replaces the old entry under it.

    The locale comes last: workers.cpu.dedup.locale_of_key reads it back to pick the English texts to embed.
    """
    return f"{shop_id}/{product_id}/{locale}"


# ---- product path ---------------------------------------------------------------------


# kombu's Redis transport serves priority 0 first (its steps: 0, 3, 6, 9). New
# generations wait behind the correct and rank steps of products already under
# way, so that under load products finish one after another instead of all at
# the end, when every queued generate has run.
GENERATE_PRIORITY = 6


def product_chain(event_id: str, locale: str) -> chain:
    return chain(
        generate.si(event_id, locale).set(priority=GENERATE_PRIORITY),
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
    plan = _update_plan(event)  # before the upsert: it compares with the product as stored until now
    status = "processing" if plan.regenerate else "kept"
    # The product, the decision and the status in one transaction: a redelivery finds all three or none.
    row = store.upsert_product(event, decision=plan.model_dump(mode="json"), status=status)
    if row is None:
        log.info("event %s is older than the stored product %s: skipped", event_id, event.product_id)
        return []
    for locale, why in plan.kept.items():
        log.info("update %s leaves %s/%s alone: %s", event_id, event.product_id, locale, why)
    for locale in plan.regenerate:
        product_chain(event_id, locale).apply_async()
    return plan.regenerate


def _update_plan(event: ProductEvent) -> Any:
    """What this event regenerates (workers/changes.py), decided once and kept on the event for redeliveries."""
    from workers import shop
    from workers.changes import UpdatePlan, plan_update

    rt = get_runtime()
    decided = rt.store.inbound_decision(event.event_id)
    if decided:
        return UpdatePlan.model_validate(decided)
    product = event.product()
    locales = shop.locales(shop.profile_for(rt, event.shop_id), product)
    created = event.event_type == "product.created"
    old = None
    current: dict[str, list[str]] = {}
    if not created:  # a new product writes every locale: neither the stored product nor its texts matter
        stored = rt.store.get_product(event.shop_id, event.product_id)
        if stored is not None and stored.last_event_id != event.event_id:
            old = Product.model_validate(stored.data)
            for row in rt.store.current_descriptions(event.shop_id, event.product_id):
                current.setdefault(row.locale, []).append(row.text)
    return plan_update(old, product, current, locales, created=created)


@app.task(bind=True, base=StageTask, name="descflow.generate")
@stage("generate")
def generate(self: Task, event_id: str, locale: str) -> int:
    rt = get_runtime()
    if rt.store.has_candidates(event_id, locale):
        return 0
    event = _product_event(event_id)
    product = rt.store.product_model(event.shop_id, event.product_id) or event.product()
    from workers import shop
    from workers.gpu.generate import candidate_decodings

    gen, s = rt.generator, rt.settings
    profile = shop.profile_for(rt, event.shop_id)  # tone, format, length, voice: read per task
    audiences = shop.audiences(profile, product.audiences, s.candidates)  # candidates take turns
    highlights = _highlights(rt, event.shop_id, event.product_id)
    template = _seller_is_template(rt, event.shop_id, event.product_id, product.seller_description)
    decodings = candidate_decodings(s.candidates, temperature=s.temperature, top_p=s.top_p,
                                    seed=_seed(event_id, locale))
    requests = []
    with metrics.engine_cpu("prompt"):
        for a, aud in enumerate(audiences):  # one prompt per audience; the candidates take turns
            keys = list(range(a, len(decodings), len(audiences)))
            requests += shop.requests(gen, product, locale, [decodings[k] for k in keys], profile, audience=aud,
                                      highlights=highlights, seller_is_template=template, keys=keys)
    outputs = _batched(rt, "generate", requests)
    rows = [
        DescriptionCandidate(
            event_id=event_id, shop_id=event.shop_id, product_id=event.product_id, locale=locale, idx=o.key,
            raw_text=o.text, text=o.text,
            decoding={**o.decoding.as_dict(), "audience": audiences[o.key % len(audiences)],
                      "prompt": o.prompt_digest},
            model=gen.name,
            scores={"new_tokens": o.new_tokens, **({"loglik": o.loglik} if o.loglik is not None else {})},
            issues=[{"code": "slot_misplaced", "before": name, "after": "", "span": None,
                     "detail": f"the value of {name!r} follows words for another quantity"}
                    for name in o.meta.get("misplaced", [])],
        )
        for o in outputs
    ]
    rows.append(_realised(event, product, locale, len(decodings), audiences[0]))
    return len(rt.store.add_candidates(rows))


def _realised(event: ProductEvent, product: Product, locale: str, idx: int, audience: str | None
              ) -> DescriptionCandidate:
    """The realiser's text, a candidate like the others: whatever the model wrote, every product has one that
    says each value as what it is."""
    with metrics.engine_cpu("prompt"):
        written = realise(product, locale)
    return DescriptionCandidate(
        event_id=event.event_id, shop_id=event.shop_id, product_id=event.product_id, locale=locale, idx=idx,
        raw_text=written.text, text=written.text, decoding={"writer": WRITER, "audience": audience}, model=WRITER,
        scores={}, issues=[{"code": "untranslated", "before": left, "after": "", "span": None,
                            "detail": f"no {locale} form of {left!r}: left out"} for left in written.omitted],
    )


def _rewriter(rt: Any) -> Any:
    """An instruction-following generator fixes what the rules found; any other kind leaves the rule fixes."""
    if rt.generator.style != "chat":
        return None
    from workers.gpu.correct import ChatRewriter
    from workers.gpu.generate import Decoding, Request

    def chat(messages: list[dict[str, str]]) -> str:
        prompt = rt.generator.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return _batched(rt, "generate", [Request(prompt, Decoding())])[0].text

    return ChatRewriter(chat)


@app.task(bind=True, base=StageTask, name="descflow.correct")
@stage("correct")
def correct(self: Task, event_id: str, locale: str) -> int:
    from workers import shop

    rt = get_runtime()
    todo = [c for c in rt.store.candidates(event_id, locale) if c.stage == "generated"]
    if not todo:
        return 0
    event = _product_event(event_id)
    product = rt.store.product_model(event.shop_id, event.product_id) or event.product()
    rewriter = _rewriter(rt)
    profile = shop.profile_for(rt, event.shop_id)
    with metrics.engine_cpu("correct"):
        for cand in todo:
            fixed = check_candidate(cand.raw_text, product, locale, rewriter, restricted_terms=profile.restricted_terms,
                                    preferred_terms=profile.preferred_terms)
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
    texts = [c.text for c in todo]
    # Catalog first (MinHash; embeddings for English texts MinHash finds nothing for), then within the set.
    with metrics.engine_cpu("dedup"):
        found = rt.dedup.check(texts, exclude={own}, locale=locale)
        within = near_duplicates_within(texts, threshold=rt.settings.dedup_threshold)
    for cand, hits in zip(todo, found):
        best = hits[0] if hits else None
        cand.duplicate_of = best.key if best else None
        cand.similarity = best.similarity if best else 0.0
        cand.duplicate_method = best.method if best else None
    for i, j, sim in within:
        later = todo[j]
        if later.duplicate_of is None:  # the catalog hit is the stronger reason; keep it
            later.duplicate_of, later.duplicate_method = f"candidate:{todo[i].idx}", "in-set"
            later.similarity = max(sim, later.similarity or 0.0)
    for cand in todo:
        cand.stage = "deduped"
    rt.store.update_candidates(todo)
    return len(todo)


def _highlights(rt: Any, shop_id: str, product_id: str) -> Any:
    """What buyers clearly praise and criticise (None before any review): for prompts and ranking."""
    from workers.gpu.prompt import ReviewHighlights

    found = ReviewHighlights.from_rows(rt.store.product_aspects(shop_id, product_id))
    return None if found.empty else found


def _seller_is_template(rt: Any, shop_id: str, product_id: str, seller_text: str | None) -> bool:
    """The same seller text across many of the shop's products is boilerplate: not copied into prompts."""
    if not seller_text:
        return False
    with metrics.engine_cpu("dedup"):  # sketches the text and queries the shop's template index
        return bool(rt.dedup.seller_template(shop_id, product_id, seller_text))


def _audience_of(cand: DescriptionCandidate) -> str | None:
    return (cand.decoding or {}).get("audience")


def _generated_loglik(cand: DescriptionCandidate, prompt: str) -> float | None:
    """The log-likelihood generation measured, while the text is what was generated under this same prompt."""
    from workers.gpu.generate import prompt_digest

    measured = (cand.scores or {}).get("loglik")
    if measured is None or cand.text != cand.raw_text or (cand.decoding or {}).get("prompt") != prompt_digest(prompt):
        return None
    return float(measured)


def _rank(rt: Any, product: Any, locale: str, cands: list[DescriptionCandidate], highlights: Any,
          audience: str | None = None) -> tuple[list, Any]:
    """Score one (product, locale)'s candidates; the best for an audience (default: the first candidate's), or
    overall when none was written for it."""
    from workers import shop
    from workers.gpu import rank as ranking

    audiences = [(c.decoding or {}).get("audience") for c in cands]
    texts = [c.text for c in cands]
    with metrics.engine_cpu("rank"):
        pairs = [pair for c, t in zip(audiences, texts)
                 for pair in rt.generator.fluency_pairs(product, locale, [t], audience=c, highlights=highlights)]
    loglik = [_generated_loglik(c, prompt) for c, (prompt, _) in zip(cands, pairs)]
    unscored = [i for i, ll in enumerate(loglik) if ll is None]
    if unscored:  # only texts changed since generation (or under another prompt) need the model again
        for i, ll in zip(unscored, _batched(rt, "score", [pairs[i] for i in unscored])):
            loglik[i] = ll
    length_range = shop.length_range(shop.profile_for(rt, cands[0].shop_id), locale) if cands else None
    with metrics.engine_cpu("rank"):
        scored = ranking.score(
            product, locale, texts, loglik=loglik, issues=[c.issues for c in cands],
            similarity=[c.similarity for c in cands],
            duplicate=[c.duplicate_of is not None for c in cands],  # each method applied its own threshold
            audiences=audiences, highlights=highlights, weights=rt.settings.rank_weights, writers=[c.model for c in cands],
            min_fluency=rt.settings.rank_min_fluency,
            audience_scorer=rt.audience if any(audiences) else None, length_range=length_range,
        )
    wanted = (locale, audience if audience is not None else (_audience_of(cands[0]) if cands else None))
    return scored, ranking.best_per_audience(scored).get(wanted) or ranking.best(scored)


@app.task(bind=True, base=StageTask, name="descflow.rank")
@stage("rank")
def rank(self: Task, event_id: str, locale: str) -> int | None:
    rt = get_runtime()
    cands = rt.store.candidates(event_id, locale)
    chosen = [c for c in cands if c.chosen]
    if chosen:
        return chosen[0].idx
    event = _product_event(event_id)
    product = rt.store.product_model(event.shop_id, event.product_id) or event.product()
    from workers.gpu import rank as ranking

    scored, winner = _rank(rt, product, locale, cands, _highlights(rt, event.shop_id, event.product_id))
    # The best of each audience the candidates were written for; the first audience's (or the overall best) leads.
    per_audience = ranking.best_per_audience(scored)
    # Nothing passed: the realiser's text goes to a person (publish holds it) rather than the product to nobody.
    fallback = next((sc for cand, sc in zip(cands, scored) if cand.model == WRITER), None) if winner is None else None
    winners = {winner.idx} if winner is not None else {fallback.idx} if fallback is not None else set()
    winners |= {sc.idx for key, sc in per_audience.items() if key[0] == locale}
    for cand, sc in zip(cands, scored):
        cand.scores = {**cand.scores, **sc.scores}
        cand.explanation = sc.explanation
        cand.stage = "ranked"
        cand.chosen = sc.idx in winners
    rt.store.update_candidates(cands)
    if winner is None and fallback is None:
        raise PermanentError(
            f"none of the {len(cands)} candidates for {event.product_id}/{locale} survived correction and dedup; "
            "train the house model on more pairs (`descflow train`) or configure a stronger generator"
        )
    return cands[(winner or fallback).idx].idx  # type: ignore[union-attr]


@app.task(bind=True, base=StageTask, name="descflow.publish")
@stage("publish")
def publish(self: Task, event_id: str, locale: str) -> int:
    rt = get_runtime()
    cands = rt.store.candidates(event_id, locale)
    if not any(c.chosen for c in cands):
        raise PermanentError(f"no chosen candidate for event {event_id!r} locale {locale}: rank has not run")
    cause, reason = _reason(event_id)
    rows = []
    for audience, cand in serving(cands):  # one per audience
        note, written_for = reason, _audience_of(cand) or ""
        if audience != written_for:
            log.warning("no candidate written for %s of %s/%s survived; the %s text stands in", audience,
                        cand.product_id, locale, written_for)
            note = f"{reason}; none written for {audience} passed the checks, so the {written_for} text stands in"
        rows.append(_publish(rt, cand, event_id, locale, note[:300], cause, audience=audience))
    rt.store.set_inbound(event_id, status="done")
    return next((row.version for row in rows if row is not None), 0)  # 0: held for review


def serving(cands: list[DescriptionCandidate]) -> list[tuple[str, DescriptionCandidate]]:
    """(audience, chosen candidate) for each audience the candidates were written for, in the shop's order.

    An audience none of whose candidates survived (all duplicates, say) takes the lead text, the first audience's
    or else the best overall: it passed every check, and every audience the shop serves should have a text.
    """
    chosen = [c for c in cands if c.chosen]
    if not chosen:
        return []
    own: dict[str, DescriptionCandidate] = {}
    for c in chosen:
        own.setdefault(_audience_of(c) or "", c)
    audiences = list(dict.fromkeys(_audience_of(c) or "" for c in cands))  # candidates take turns: the shop's order
    lead = own.get(audiences[0]) or max(chosen, key=lambda c: ((c.scores or {}).get("total", 0.0), -c.idx))
    return [(a, own.get(a, lead)) for a in audiences]


def _reason(event_id: str) -> tuple[str, str]:
    """(cause, reason) of the versions an event publishes: ingest's decision, or the refresh that made it."""
    row = get_runtime().store.get_inbound(event_id)
    payload = row.payload if row is not None else {}
    if payload.get("refresh_reason"):
        return "review_refresh", str(payload["refresh_reason"])[:300]
    if row is not None and row.decision:
        return str(row.decision.get("cause") or "product_update"), str(row.decision.get("reason") or "")[:300]
    if payload.get("event_type") == "product.created":
        return "new_product", "new product"
    return "product_update", "product update"


def _publish(rt: Any, cand: DescriptionCandidate, event_id: str, locale: str, reason: str,
             cause: str | None = None, audience: str | None = None) -> Any:
    """Publish the chosen candidate, or hold it for review (None) when the shop's policy or a merchant's text says so.

    A merchant's own text (the product's merchant_description, or an edit in
    review) goes out as a merchant-owned version, and no candidate replaces it
    automatically: publish, review refresh and updates all hold theirs instead.
    audience: whom the text serves; default: the one it was written for.
    """
    from workers import shop

    audience = audience if audience is not None else _audience_of(cand) or ""
    done = rt.store.published_for(event_id, locale, audience)
    if done is not None:  # a redelivered task: finish announcing what it published
        announce(rt, done)
        return done if done.candidate_id == cand.id else None
    current = rt.store.current_description(cand.shop_id, cand.product_id, locale)  # any audience: a merchant's
    # text of the locale holds every audience's candidate
    product = rt.store.product_model(cand.shop_id, cand.product_id)
    merchant = product.merchant_description if product is not None and product.locale == locale else None
    if merchant and not (shop.merchant_owned(current) and current.text == merchant):
        _hold(rt, cand, event_id, locale, reason, "the merchant wrote this product's description", cause,  # first
              audience)
        publish_version(rt, cand.shop_id, cand.product_id, locale, event_id, merchant, {}, None,
                        "the merchant's own text", owner=shop.MERCHANT, cause="manual")
        return None
    why = shop.hold_reason(shop.profile_for(rt, cand.shop_id), cand, current)
    if why:
        _hold(rt, cand, event_id, locale, reason, why, cause, audience)
        return None
    return publish_version(rt, cand.shop_id, cand.product_id, locale, event_id, cand.text, cand.scores, cand.id,
                           reason, audience=audience, cause=cause, model=cand.model or None, decoding=cand.decoding)


def _hold(rt: Any, cand: DescriptionCandidate, event_id: str, locale: str, reason: str, why: str,
          cause: str | None, audience: str) -> None:
    from schemas.tables import ReviewItem

    item = rt.store.hold_for_review(ReviewItem(
        shop_id=cand.shop_id, product_id=cand.product_id, locale=locale, event_id=event_id, candidate_id=cand.id,
        text=cand.text or cand.raw_text, scores=cand.scores, held_because=why[:300], reason=reason[:300],
        audience=audience, cause=cause))
    log.info("held candidate %s of %s/%s for review (item %s): %s", cand.id, cand.product_id, locale, item.id, why)


def publish_version(rt: Any, shop_id: str, product_id: str, locale: str, event_id: str, text: str,
                    scores: dict[str, Any], candidate_id: int | None, reason: str, *, owner: str | None = None,
                    audience: str = "", cause: str | None = None, model: str | None = None,
                    decoding: dict[str, Any] | None = None) -> Any:
    """The next version, once per (event, locale, audience), then announced: the one way a text goes out.

    cause, model and decoding make the history: what produced the version and why.
    """
    row = rt.store.publish(shop_id=shop_id, product_id=product_id, locale=locale, event_id=event_id,
                           text=text, scores=scores, candidate_id=candidate_id, reason=reason, owner=owner,
                           audience=audience, cause=cause, model=model, decoding=decoding)
    announce(rt, row)
    return row


def announce(rt: Any, row: Any) -> None:
    """Into the catalog's dedup index, and once on the stream and to the callback."""
    from workers.outbound import add_to_stream, post_callback, to_event

    with metrics.engine_cpu("dedup"):
        rt.dedup.add(dedup_key(row.shop_id, row.product_id, row.locale), row.text)
    if not row.announced:
        out = to_event(row)
        add_to_stream(rt.redis, out)
        if rt.settings.callback_url:
            post_callback(rt.settings.callback_url, rt.settings.signing_secret, out)
        rt.store.mark_announced(row.id)


# ---- descriptions that follow the reviews ---------------------------------------------


@app.task(bind=True, base=StageTask, name="descflow.refresh")
@stage("refresh", per_locale=False)
def refresh(self: Task, refresh_id: str, shop_id: str, product_id: str, reason: str) -> dict[str, str]:
    """Re-rank a product's candidates against what its reviews now say; regenerate where none fits.

    A praised aspect may be highlighted; a criticised one must not be claimed.
    Runs on the gpu queue: re-ranking rescoring fluency and audience needs the model.
    """
    rt = get_runtime()
    product = rt.store.product_model(shop_id, product_id)
    if product is None:
        raise PermanentError(f"product {shop_id}/{product_id} is not stored; nothing to refresh")
    highlights = _highlights(rt, shop_id, product_id)
    outcome: dict[str, str] = {}
    regenerate: list[str] = []
    for current in rt.store.current_descriptions(shop_id, product_id):  # one per (locale, audience)
        locale = current.locale
        where = f"{locale}/{current.audience}" if current.audience else locale
        if current.event_id == refresh_id:
            outcome[where] = "done"  # this refresh already published here (redelivered task)
            continue
        source = rt.store.candidate(current.candidate_id) if current.candidate_id else None
        cands = rt.store.candidates(source.event_id, locale) if source else []
        if not cands:
            regenerate.append(locale)
            continue
        scored, winner = _rank(rt, product, locale, cands, highlights, audience=current.audience or None)
        fits = winner is not None and not winner.scores.get("overclaims")
        if not fits:
            regenerate.append(locale)
        elif cands[winner.idx].id == current.candidate_id:
            outcome[where] = "kept"
        else:
            cand = cands[winner.idx]
            cand.scores = {**cand.scores, **winner.scores}
            cand.explanation = winner.explanation
            rt.store.update_candidates([cand])
            republish.si(refresh_id, locale, cand.id, reason + " (re-ranked)", current.audience).apply_async()
            outcome[where] = "re-ranked"
    regenerate = list(dict.fromkeys(regenerate))
    if regenerate:
        _regenerate(rt, refresh_id, shop_id, product, regenerate, reason)
        outcome.update(dict.fromkeys(regenerate, "regenerating"))
    log.info("refresh %s of %s/%s (%s): %s", refresh_id, shop_id, product_id, reason, outcome)
    return outcome


def _regenerate(rt: Any, refresh_id: str, shop_id: str, product: Any, locales: list[str], reason: str) -> None:
    """A product event of our own, so generation runs as for any update and keeps its idempotency.

    It is recorded in inbound_events (source "refresh") but never ingested: the
    stored product is unchanged, and only the named locales are written again.
    """
    from datetime import datetime, timezone

    payload = {
        **product.model_dump(mode="json"), "target_locales": locales,
        "event_id": refresh_id, "event_type": "product.updated", "shop_id": shop_id,
        "occurred_at": datetime.now(timezone.utc).isoformat(), "refresh_reason": reason + " (regenerated)",
    }
    rt.store.record_inbound(parse_event(payload), payload, "refresh")  # False when redelivered: same id
    for locale in locales:
        product_chain(refresh_id, locale).apply_async()


@app.task(bind=True, base=StageTask, name="descflow.republish")
@stage("publish")
def republish(self: Task, refresh_id: str, locale: str, candidate_id: int, reason: str,
              audience: str | None = None) -> int:
    """Publish an existing candidate as the next version (a review refresh chose it) for an audience (default: the
    one it was written for)."""
    rt = get_runtime()
    cand = rt.store.candidate(candidate_id)
    if cand is None:
        raise PermanentError(f"candidate {candidate_id} is gone; cannot republish for {refresh_id}")
    row = _publish(rt, cand, refresh_id, locale, reason, "review_refresh", audience)
    return row.version if row is not None else 0  # 0: held for review (merchant's text, or the shop's policy)


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
    with metrics.engine_cpu("sentiment"):  # its model's share stays the model's
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
        _maybe_refresh(rt, event.shop_id, event.product_id, summary)
    rt.store.set_inbound(event_id, status="done")
    return {"top_praised": summary.top_praised, "top_criticised": summary.top_criticised}


def _maybe_refresh(rt: Any, shop_id: str, product_id: str, summary: Any) -> None:
    """Enqueue a refresh when the product's reviews changed in a way its description should follow."""
    from workers.cpu.refresh import RefreshPolicy, ReviewState, refresh_reason

    product = rt.store.get_product(shop_id, product_id)
    if product is None or not rt.store.current_descriptions(shop_id, product_id):
        return  # nothing published yet: the first generation reads the reviews anyway
    from workers.gpu.prompt import ReviewHighlights

    highlights = ReviewHighlights.from_counts(summary.aspects)  # the counts just written: no second read
    state = ReviewState.of(review_count=summary.review_count, sentiment_mean=summary.sentiment_mean,
                           praised=[o.aspect for o in highlights.praised],
                           criticised=[o.aspect for o in highlights.criticised])
    s = rt.settings
    policy = RefreshPolicy(every_reviews=s.refresh_every_reviews, sentiment_shift=s.refresh_sentiment_shift,
                           min_reviews=s.refresh_min_reviews)
    reason = refresh_reason(product.review_state, state, policy)
    if reason is None:
        return
    refresh_id = f"refresh-{state.fingerprint()}-{zlib.crc32(f'{shop_id}/{product_id}'.encode()):08x}"
    refresh.si(refresh_id, shop_id, product_id, reason).apply_async()
    rt.store.set_review_state(shop_id, product_id, state.model_dump(mode="json"))  # after the send: none lost


# ---- worker lifecycle -----------------------------------------------------------------


def _consumes_gpu() -> bool:
    return GPU_QUEUE in os.environ.get("DESCFLOW_WORKER_QUEUES", "").split(",")


@signals.worker_process_init.connect
def _after_fork(**_: Any) -> None:
    reset_after_fork()
    if _consumes_gpu():
        get_runtime().generator  # noqa: B018 - load once per process, after fork
    else:
        _one_thread_per_child()


def _one_thread_per_child() -> None:
    """A cpu worker scales by processes, one per core: torch's own thread pool in every child (embeddings,
    a sentiment model) would put several threads on each core and slow them all down."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    else:  # read by torch when a task first imports it
        os.environ["OMP_NUM_THREADS"] = "1"


@signals.worker_ready.connect
def _warm_in_process(sender: Any = None, **_: Any) -> None:
    pool = getattr(getattr(sender, "controller", None), "pool_cls", None)
    if _consumes_gpu() and "prefork" not in str(pool).lower():
        get_runtime().batcher  # noqa: B018 - solo/threads: this process runs the tasks; loads the model once
        _warm_ranking(get_runtime())
        _start_recovery_sweeps()


def _warm_ranking(rt: Any) -> None:
    """What ranking loads on first use (the audience fit's embedding model, the Chinese word segmenter), loaded
    before the first task: a second or so that would otherwise fall on the first product ranked."""
    from workers.gpu.audience import warm

    warm()
    paraphrase = rt.dedup.paraphrase
    if paraphrase is not None:
        paraphrase.embedder.load()


def _start_recovery_sweeps() -> None:
    """In the gpu worker (threads, never forks): a prefork parent would fork children beside the thread."""
    from datetime import timedelta

    from workers.recover import start_sweeper

    rt = get_runtime()
    if rt.settings.recover_interval > 0:
        start_sweeper(rt, rt.settings.recover_interval, timedelta(seconds=rt.settings.recover_after))

@signals.worker_ready.connect
def _drain_dead_letters(**_: Any) -> None:
    from workers import deadletters

    rt = get_runtime()
    try:
        deadletters.drain(rt.store, rt.redis)
    except Exception:  # the database is still down: the next dead letter or `descflow retry` moves them
        log.warning("spooled dead letters stay in Redis for now", exc_info=True)


@signals.worker_process_init.connect
@signals.worker_ready.connect
def _memory_after_load(**_: Any) -> None:
    metrics.update_memory()  # after the handlers above loaded the model


@signals.worker_process_shutdown.connect
def _child_exits(pid: int | None = None, **_: Any) -> None:
    metrics.process_exited(pid or os.getpid())


# ---- logs and task metrics ------------------------------------------------------------


@signals.setup_logging.connect
def _setup_logging(loglevel: Any = None, **_: Any) -> None:
    """Celery's own lines go through descflow's formatter (DESCFLOW_LOG_FORMAT) like every other."""
    configure_logging(loglevel or None)


def _product_id(event_id: str) -> str:
    """The event's product for log lines: read with the event, once per event and process; never an error."""
    try:
        event = _stored_event(get_runtime().store.url, event_id)
    except Exception:  # noqa: BLE001 - a missing event or a database outage is the stage's to report
        return ""
    return str(getattr(event, "product_id", "") or "")


_log_tokens: dict[str, Any] = {}


def _journey(task: Any, args: Any) -> dict[str, str | None]:
    name = getattr(task, "name", "") or ""
    if not name.startswith("descflow.") or not args or not isinstance(args[0], str):
        return {}
    locale = args[1] if len(args) > 1 and isinstance(args[1], str) else None
    return {"event_id": args[0], "product_id": _product_id(args[0]), "locale": locale}


@signals.task_prerun.connect
def _task_started(task_id: str | None = None, task: Any = None, args: Any = None, **_: Any) -> None:
    name = getattr(task, "name", "") or "?"
    metrics.count_task(name, "started")
    # Bound until postrun, so Celery's own "succeeded"/"raised" lines carry the event too.
    _log_tokens[task_id or ""] = logs.set_context(task_name=name, task_id=task_id, **_journey(task, args))


@signals.task_postrun.connect
def _task_finished(task_id: str | None = None, **_: Any) -> None:
    logs.reset_context(_log_tokens.pop(task_id or "", None))
    metrics.update_memory()


@signals.task_success.connect
def _task_succeeded(sender: Any = None, **_: Any) -> None:
    metrics.count_task(getattr(sender, "name", "?"), "succeeded")


@signals.task_retry.connect
def _task_retried(sender: Any = None, **_: Any) -> None:
    metrics.count_task(getattr(sender, "name", "?"), "retried")


@signals.task_failure.connect
def _task_failed(sender: Any = None, **_: Any) -> None:
    metrics.count_task(getattr(sender, "name", "?"), "failed")


@inspect_command()
def descflow_info(state: Any, **_: Any) -> dict[str, Any]:
    """What `descflow status` shows of a worker: queues, pool, device, running tasks, metrics endpoint."""
    import celery.worker.state as worker_state

    settings = get_runtime().settings
    consumer = state.consumer
    queues = sorted(q.name for q in consumer.task_consumer.queues) if consumer.task_consumer else []
    pool = consumer.pool
    generator = get_runtime().__dict__.get("generator")  # only if loaded in this process; never load it here
    if generator is not None:
        device = str(generator.device)
    elif GPU_QUEUE in queues:
        device = f"{settings.device} (in the pool's processes)"
    else:
        device = "cpu"
    gpu_name = ""
    torch = sys.modules.get("torch")
    if generator is not None and torch is not None and generator.device.type == "cuda":
        gpu_name = torch.cuda.get_device_name(generator.device)
    endpoint = metrics.current_endpoint()
    return {
        "queues": queues,
        "pool": type(pool).__module__.rsplit(".", 1)[-1] if pool is not None else "",
        "processes": int(getattr(pool, "num_processes", 0) or 1),
        "active": len(worker_state.active_requests),
        "device": device,
        "gpu_name": gpu_name,
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES", ""),
        "model": getattr(generator, "name", "") if generator is not None else "",
        "metrics_url": endpoint.url if endpoint else "",
        "pid": os.getpid(),
    }
