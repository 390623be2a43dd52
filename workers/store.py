"""Persistence: one engine per database URL, short sessions, idempotent writes.

Every write is safe to repeat: Celery delivers at least once, so a stage that
runs twice for one event must leave one result. Unique constraints decide;
an IntegrityError on insert means "already done", never an error.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, insert
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, ProgrammingError
from sqlmodel import Session, SQLModel, create_engine, delete, select, update

from schemas.events import Product, ProductEvent, ReviewEvent
from schemas.tables import (
    DescriptionCandidate,
    FailedTask,
    InboundEvent,
    ProductAspectRow,
    ProductRow,
    PublishedDescription,
    RejectedEvent,
    ReviewItem,
    ReviewRow,
    ReviewSentimentRow,
    ShopApiKey,
    ShopProfileRow,
    StageRun,
    utcnow,
)

RAW_LIMIT = 4_096
# Each try loses only to a publish that committed meanwhile: n racing publishes need at most n tries.
PUBLISH_ATTEMPTS = 32

# What a database that is down, restarting or unreachable raises; a bad statement is not among them.
DATABASE_DOWN = (OperationalError, InterfaceError)

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


def get_engine(url: str) -> Engine:
    """One engine per URL per process (created after fork, never inherited)."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            _create_tables(engine)
            _engines[url] = engine
        return engine


def _create_tables(engine: Engine, attempts: int = 5) -> None:
    """create_all, tolerating the race of several processes creating the same tables at once."""
    for attempt in range(attempts):
        try:
            SQLModel.metadata.create_all(engine)
            add_missing_columns(engine)
            return
        except (IntegrityError, ProgrammingError):  # PostgreSQL: duplicate pg_type / relation
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def add_missing_columns(engine: Engine) -> list[str]:
    """Add the columns a table gained since its database was created (create_all adds no columns).

    Only nullable columns, or NOT NULL ones with a constant text server
    default, are added: every database takes those without rewriting rows.
    Anything else (and a changed unique key) needs a migration.
    Returns the "table.column" names added.
    """
    from sqlalchemy import inspect, text

    inspector = inspect(engine)
    existing_tables = set(inspector.get_table_names())
    added = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in existing_tables:
            continue
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            kind = column.type.compile(dialect=engine.dialect)
            default = getattr(column.server_default, "arg", None)
            if column.server_default is None and column.nullable:
                extra = ""
            elif isinstance(default, str) and not column.nullable:
                extra = " NOT NULL DEFAULT '" + default.replace("'", "''") + "'"
            else:
                continue
            try:
                with engine.begin() as conn:
                    conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}{extra}'))
            except (OperationalError, ProgrammingError):  # another process added it first
                if column.name not in {c["name"] for c in inspect(engine).get_columns(table.name)}:
                    raise
                continue
            added.append(f"{table.name}.{column.name}")
    return added


FINISHED = frozenset({"done", "stale", "failed", "kept"})  # an event's statuses that stamp finished_at


# What the stages change on a candidate; its identity (event, locale, idx) and its generation stay.
_CANDIDATE_UPDATES = ("stage", "text", "issues", "scores", "duplicate_of", "similarity", "explanation",
                     "duplicate_method", "chosen")
_CANDIDATES = DescriptionCandidate.__table__
# Core statements, built once: ids come back in the rows' order; updates go by id with no read first.
_CANDIDATE_INSERT = insert(_CANDIDATES).returning(_CANDIDATES.c.id, sort_by_parameter_order=True)
_CANDIDATE_UPDATE = (update(_CANDIDATES).where(_CANDIDATES.c.id == bindparam("_id"))
                     .values({f: bindparam(f) for f in _CANDIDATE_UPDATES}))


def _set_status(row: InboundEvent, status: str) -> None:
    row.status = status
    if status in FINISHED:
        row.finished_at = utcnow()


def _dialect_insert(engine: Engine) -> Any:
    """The dialect's INSERT with ON CONFLICT: descflow runs on SQLite and PostgreSQL."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def dispose_engines() -> None:
    """Drop pooled connections; called in a forked child so it opens its own."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose(close=False)
        _engines.clear()


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

        @sa_event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            # WAL lets the webhook read while workers write; busy_timeout makes
            # concurrent writers wait instead of failing with "database is locked".
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


class Store:
    """The database as the pipeline sees it: plain methods, no ORM objects leak out mutable."""

    def __init__(self, url: str):
        self.url = url
        self.engine = get_engine(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    # ---- intake -----------------------------------------------------------------

    def record_inbound(
        self, event: ProductEvent | ReviewEvent, payload: dict[str, Any], source: str, *, task_id: str | None = None
    ) -> bool:
        """Insert the event; False when its event_id was already seen."""
        subject = event.product_id if isinstance(event, ProductEvent) else event.review_id
        row = InboundEvent(
            event_id=event.event_id,
            event_type=event.event_type,
            shop_id=event.shop_id,
            subject_id=subject,
            source=source,
            payload=payload,
            status="queued",
            task_id=task_id,
        )
        with self.session() as s:
            s.add(row)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                return False
        return True

    def forget_inbound(self, event_id: str) -> None:
        """Undo record_inbound when the event could not be enqueued, so a resend is accepted."""
        with self.session() as s:
            s.exec(delete(InboundEvent).where(InboundEvent.event_id == event_id))
            s.commit()

    def set_inbound(self, event_id: str, *, status: str, task_id: str | None = None) -> None:
        """One UPDATE, no read first (stages call it for every event); an unknown event changes nothing."""
        values: dict[str, Any] = {"status": status}
        if status in FINISHED:
            values["finished_at"] = utcnow()
        if task_id is not None:
            values["task_id"] = task_id
        with self.engine.begin() as conn:
            conn.execute(update(InboundEvent).where(InboundEvent.event_id == event_id).values(**values))

    def inbound_decision(self, event_id: str) -> dict[str, Any] | None:
        """What ingest decided for an event (workers.changes.UpdatePlan), if it did: read fresh, never cached."""
        with self.engine.connect() as conn:
            return conn.execute(select(InboundEvent.decision).where(InboundEvent.event_id == event_id)).scalar()

    def product_decisions(self, shop_id: str, product_id: str) -> list[InboundEvent]:
        """The product events of a product that carry an ingest decision, oldest first."""
        with self.session() as s:
            return list(s.exec(select(InboundEvent).where(
                InboundEvent.shop_id == shop_id, InboundEvent.subject_id == product_id,
                InboundEvent.event_type != "review.received",
                InboundEvent.decision.is_not(None),  # type: ignore[union-attr]
            ).order_by(InboundEvent.received_at)))

    def get_inbound(self, event_id: str) -> InboundEvent | None:
        with self.session() as s:
            return s.get(InboundEvent, event_id)

    def record_rejected(
        self, source: str, errors: Sequence[dict[str, str]], raw: str | bytes, event_id: str | None = None
    ) -> int:
        if isinstance(raw, bytes):
            raw = raw[:RAW_LIMIT].decode("utf-8", errors="replace")
        row = RejectedEvent(
            source=source, event_id=(event_id or None) and str(event_id)[:128], errors=list(errors), raw=raw[:RAW_LIMIT]
        )
        with self.session() as s:
            s.add(row)
            s.commit()
            return row.id  # type: ignore[return-value]

    # ---- products -----------------------------------------------------------------

    def upsert_product(self, event: ProductEvent, *, decision: dict[str, Any] | None = None,
                       status: str | None = None) -> ProductRow | None:
        """Store the product as of this event; None when a newer event already won.

        With a status (ingest), the event's row gets its decision and status in the
        same transaction, "stale" when a newer event won: a redelivery finds all or none.
        """
        with self.session() as s:
            row = self._product_as_of(s, event)
            inbound = s.get(InboundEvent, event.event_id) if status is not None else None
            if inbound is not None:
                inbound.decision = decision
                _set_status(inbound, "stale" if row is None else status)
                s.add(inbound)
            try:
                s.commit()
            except IntegrityError:  # a concurrent first insert of the same product
                s.rollback()
                return self.upsert_product(event, decision=decision, status=status)
            return row

    @staticmethod
    def _product_as_of(s: Session, event: ProductEvent) -> ProductRow | None:
        """The product row as of this event, staged in the session (not committed); None if a newer event won."""
        product = event.product()
        occurred = _utc(event.occurred_at)
        row = s.exec(
            select(ProductRow).where(ProductRow.shop_id == event.shop_id, ProductRow.product_id == product.product_id)
        ).first()
        if row is not None and row.last_event_id == event.event_id:
            return row
        if row is not None and _utc(row.occurred_at) > occurred:
            return None
        if row is None:
            row = ProductRow(shop_id=event.shop_id, product_id=product.product_id, occurred_at=occurred,
                             locale=product.locale, title=product.title, category=product.category,
                             data={}, last_event_id=event.event_id)
        row.locale, row.title, row.category = product.locale, product.title, product.category
        row.data = product.model_dump(mode="json")
        row.last_event_id = event.event_id
        row.occurred_at = occurred
        row.updated_at = utcnow()
        s.add(row)
        return row

    def get_product(self, shop_id: str, product_id: str) -> ProductRow | None:
        with self.session() as s:
            return s.exec(
                select(ProductRow).where(ProductRow.shop_id == shop_id, ProductRow.product_id == product_id)
            ).first()

    def product_model(self, shop_id: str, product_id: str) -> Product | None:
        """The stored product as the events describe it: its one JSON column, read without the ORM (four stages
        of every event read it)."""
        with self.engine.connect() as conn:
            data = conn.execute(select(ProductRow.data).where(
                ProductRow.shop_id == shop_id, ProductRow.product_id == product_id)).scalar()
        return None if data is None else Product.model_validate(data)

    # ---- candidates ---------------------------------------------------------------

    def has_candidates(self, event_id: str, locale: str) -> bool:
        """Whether generation already stored this (event, locale)'s candidates: one indexed row, not all of them."""
        with self.engine.connect() as conn:
            return conn.execute(select(DescriptionCandidate.id).where(
                DescriptionCandidate.event_id == event_id, DescriptionCandidate.locale == locale).limit(1)
            ).first() is not None

    def candidates(self, event_id: str, locale: str) -> list[DescriptionCandidate]:
        with self.session() as s:
            return list(
                s.exec(
                    select(DescriptionCandidate)
                    .where(DescriptionCandidate.event_id == event_id, DescriptionCandidate.locale == locale)
                    .order_by(DescriptionCandidate.idx)
                )
            )

    def add_candidates(self, rows: Sequence[DescriptionCandidate]) -> list[DescriptionCandidate]:
        """Insert a candidate set once; a repeat returns the set already stored.

        One INSERT of every row through Core, ids read back in the rows' order: the ORM's unit of work cost
        a third more for rows that are never read back from the session."""
        if not rows:
            return []
        values = [{c.key: getattr(row, c.key) for c in _CANDIDATES.columns if c.key != "id"} for row in rows]
        try:
            with self.engine.begin() as conn:
                ids = conn.execute(_CANDIDATE_INSERT, values).scalars().all()
        except IntegrityError:
            return self.candidates(rows[0].event_id, rows[0].locale)
        for row, id_ in zip(rows, ids):
            row.id = id_
        return sorted(rows, key=lambda r: r.idx)  # as stored, ids included

    def update_candidates(self, rows: Sequence[DescriptionCandidate]) -> None:
        """One UPDATE per candidate by id, in one Core statement batch: no read-back first, as merge() would do,
        and none of the ORM's bulk bookkeeping (it cost three times the statement)."""
        if not rows:
            return
        if any(row.id is None for row in rows):
            raise ValueError("update_candidates takes stored candidates (with an id); add_candidates stores new ones")
        values = [{"_id": row.id, **{f: getattr(row, f) for f in _CANDIDATE_UPDATES}} for row in rows]
        with self.engine.begin() as conn:
            conn.execute(_CANDIDATE_UPDATE, values)

    # ---- publishing ---------------------------------------------------------------

    def publish(
        self, *, shop_id: str, product_id: str, locale: str, event_id: str, text: str,
        scores: dict[str, Any], candidate_id: int | None, reason: str | None = None, owner: str | None = None,
        audience: str = "", cause: str | None = None, model: str | None = None,
        decoding: dict[str, Any] | None = None,
    ) -> PublishedDescription:
        """Insert the next version once per (event, locale, audience); a repeat returns the stored row.

        Versions count per (product, locale) across audiences, so a version
        number names one text whatever audience it was written for.
        """
        for attempt in range(PUBLISH_ATTEMPTS):
            with self.session() as s:
                existing = s.exec(
                    select(PublishedDescription).where(
                        PublishedDescription.event_id == event_id, PublishedDescription.locale == locale,
                        PublishedDescription.audience == audience,
                    )
                ).first()
                if existing is not None:
                    return existing
                current = s.exec(
                    select(func.max(PublishedDescription.version)).where(
                        PublishedDescription.shop_id == shop_id,
                        PublishedDescription.product_id == product_id,
                        PublishedDescription.locale == locale,
                    )
                ).one()
                row = PublishedDescription(
                    shop_id=shop_id, product_id=product_id, locale=locale, version=(current or 0) + 1,
                    text=text, scores=scores, event_id=event_id, candidate_id=candidate_id, reason=reason,
                    owner=owner, audience=audience, cause=cause, model=model, decoding=decoding,
                )
                s.add(row)
                try:
                    s.commit()
                    return row
                except IntegrityError:  # a concurrent publish took this version number
                    s.rollback()
            time.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # spread the racers out before the next try
        raise RuntimeError(f"could not allocate a version for {shop_id}/{product_id}/{locale} (audience "
                           f"{audience!r}); a database created before per-audience publishing keeps one text per "
                           "event and locale: recreate its published_descriptions and review_queue unique keys")

    def mark_announced(self, published_id: int) -> None:
        """One UPDATE, no read first: every published version is marked once it is on the stream."""
        with self.engine.begin() as conn:
            conn.execute(update(PublishedDescription).where(
                PublishedDescription.id == published_id, PublishedDescription.announced.is_(False)  # type: ignore[union-attr]
            ).values(announced=True))

    def current_descriptions(self, shop_id: str | None = None, product_id: str | None = None
                             ) -> list[PublishedDescription]:
        """The latest version per (shop, product, locale, audience)."""
        with self.session() as s:
            latest = (
                select(
                    PublishedDescription.shop_id, PublishedDescription.product_id, PublishedDescription.locale,
                    PublishedDescription.audience, func.max(PublishedDescription.version).label("v"),
                )
                .group_by(PublishedDescription.shop_id, PublishedDescription.product_id, PublishedDescription.locale,
                          PublishedDescription.audience)
                .subquery()
            )
            query = select(PublishedDescription).join(
                latest,
                (PublishedDescription.shop_id == latest.c.shop_id)
                & (PublishedDescription.product_id == latest.c.product_id)
                & (PublishedDescription.locale == latest.c.locale)
                & (PublishedDescription.audience == latest.c.audience)
                & (PublishedDescription.version == latest.c.v),
            )
            if shop_id is not None:
                query = query.where(PublishedDescription.shop_id == shop_id)
            if product_id is not None:
                query = query.where(PublishedDescription.product_id == product_id)
            return list(s.exec(query.order_by(PublishedDescription.product_id, PublishedDescription.locale,
                                              PublishedDescription.audience)))

    def candidate(self, candidate_id: int) -> DescriptionCandidate | None:
        with self.session() as s:
            return s.get(DescriptionCandidate, candidate_id)

    def set_review_state(self, shop_id: str, product_id: str, state: dict[str, Any]) -> None:
        """Remember the review state a product's description was last checked against (refresh policy)."""
        with self.session() as s:
            row = s.exec(
                select(ProductRow).where(ProductRow.shop_id == shop_id, ProductRow.product_id == product_id)
            ).first()
            if row is not None:
                row.review_state = state
                s.add(row)
                s.commit()

    def published_for(self, event_id: str, locale: str, audience: str = "") -> PublishedDescription | None:
        """The version an event published for a (locale, audience), if it did."""
        with self.session() as s:
            return s.exec(select(PublishedDescription).where(
                PublishedDescription.event_id == event_id, PublishedDescription.locale == locale,
                PublishedDescription.audience == audience)).first()

    def current_description(self, shop_id: str, product_id: str, locale: str, audience: str | None = None
                            ) -> PublishedDescription | None:
        """The latest version of one (product, locale): of one audience, or of any when audience is None."""
        with self.session() as s:
            query = select(PublishedDescription).where(
                PublishedDescription.shop_id == shop_id, PublishedDescription.product_id == product_id,
                PublishedDescription.locale == locale)
            if audience is not None:
                query = query.where(PublishedDescription.audience == audience)
            return s.exec(query.order_by(PublishedDescription.version.desc())).first()  # type: ignore[attr-defined]

    def history(self, shop_id: str, product_id: str, locale: str | None = None) -> list[PublishedDescription]:
        """Every published version of a product, by locale then version."""
        with self.session() as s:
            query = select(PublishedDescription).where(
                PublishedDescription.shop_id == shop_id, PublishedDescription.product_id == product_id)
            if locale is not None:
                query = query.where(PublishedDescription.locale == locale)
            return list(s.exec(query.order_by(PublishedDescription.locale, PublishedDescription.version)))

    def shops_with_product(self, product_id: str) -> list[str]:
        """The shops that have a product of this id (ids are per shop)."""
        with self.session() as s:
            return sorted(set(s.exec(select(ProductRow.shop_id).where(ProductRow.product_id == product_id))))

    def latest_candidates(self, shop_id: str, product_id: str, locale: str | None = None
                          ) -> list[DescriptionCandidate]:
        """The newest candidate set of each locale of a product (the last generation's), by locale and index."""
        with self.session() as s:
            query = select(DescriptionCandidate).where(
                DescriptionCandidate.shop_id == shop_id, DescriptionCandidate.product_id == product_id)
            if locale is not None:
                query = query.where(DescriptionCandidate.locale == locale)
            rows = list(s.exec(query.order_by(DescriptionCandidate.id)))
        newest: dict[str, str] = {}
        for row in rows:  # ordered by id: the last event seen per locale is the newest set
            newest[row.locale] = row.event_id
        return sorted((r for r in rows if newest[r.locale] == r.event_id), key=lambda r: (r.locale, r.idx))

    # ---- read API keys --------------------------------------------------------------

    def add_api_key(self, row: ShopApiKey) -> ShopApiKey:
        with self.session() as s:
            s.add(row)
            s.commit()
            return row

    def api_key(self, key_id: str) -> ShopApiKey | None:
        with self.session() as s:
            return s.get(ShopApiKey, key_id)

    def api_keys(self, shop_id: str) -> list[ShopApiKey]:
        with self.session() as s:
            return list(s.exec(select(ShopApiKey).where(ShopApiKey.shop_id == shop_id)
                               .order_by(ShopApiKey.created_at)))

    def revoke_api_keys(self, shop_id: str, key_id: str | None = None) -> list[str]:
        """Revoke one key of a shop, or all its live ones; returns the key ids revoked."""
        with self.session() as s:
            query = select(ShopApiKey).where(ShopApiKey.shop_id == shop_id,
                                             ShopApiKey.revoked_at.is_(None))  # type: ignore[union-attr]
            if key_id is not None:
                query = query.where(ShopApiKey.key_id == key_id)
            rows = list(s.exec(query))
            for row in rows:
                row.revoked_at = utcnow()
                s.add(row)
            s.commit()
            return [r.key_id for r in rows]


    # ---- shop controls --------------------------------------------------------------

    def shop_profile(self, shop_id: str) -> dict[str, Any] | None:
        """The stored profile data (schemas.shop.ShopProfile), or None for a shop without one."""
        with self.session() as s:
            row = s.get(ShopProfileRow, shop_id)
            return None if row is None else dict(row.data)

    def save_shop_profile(self, shop_id: str, data: dict[str, Any]) -> None:
        """Insert or replace a shop's profile; the caller has validated it."""
        for _ in range(3):
            with self.session() as s:
                row = s.get(ShopProfileRow, shop_id) or ShopProfileRow(shop_id=shop_id)
                row.data, row.updated_at = data, utcnow()
                s.add(row)
                try:
                    s.commit()
                    return
                except IntegrityError:  # a concurrent first save of the same shop
                    s.rollback()
        raise RuntimeError(f"could not save the profile of shop {shop_id!r}")

    def hold_for_review(self, item: ReviewItem) -> ReviewItem:
        """Hold a candidate once per (event, locale, audience); older pending items of the same (product, locale,
        audience) are superseded, so a person reviews only the newest text."""
        with self.session() as s:
            existing = s.exec(select(ReviewItem).where(
                ReviewItem.event_id == item.event_id, ReviewItem.locale == item.locale,
                ReviewItem.audience == item.audience)).first()
            if existing is not None:
                return existing
            for old in s.exec(select(ReviewItem).where(
                    ReviewItem.shop_id == item.shop_id, ReviewItem.product_id == item.product_id,
                    ReviewItem.locale == item.locale, ReviewItem.audience == item.audience,
                    ReviewItem.status == "pending")):
                old.status, old.decided_at, old.note = "superseded", utcnow(), f"a newer candidate ({item.event_id})"
                s.add(old)
            s.add(item)
            try:
                s.commit()
            except IntegrityError:  # the same hold committed by a redelivered task
                s.rollback()
                return self.hold_for_review(item)
            return item

    def review_items(self, *, shop_id: str | None = None, status: str | None = "pending",
                     product_id: str | None = None) -> list[ReviewItem]:
        with self.session() as s:
            query = select(ReviewItem).order_by(ReviewItem.id)
            if shop_id:
                query = query.where(ReviewItem.shop_id == shop_id)
            if status:
                query = query.where(ReviewItem.status == status)
            if product_id:
                query = query.where(ReviewItem.product_id == product_id)
            return list(s.exec(query))

    def review_item(self, item_id: int) -> ReviewItem | None:
        with self.session() as s:
            return s.get(ReviewItem, item_id)

    def decide_review(self, item_id: int, status: str, *, note: str | None = None,
                      published_id: int | None = None) -> ReviewItem | None:
        """Record a decision on a pending item; None when it was no longer pending (decided by someone else)."""
        with self.session() as s:
            row = s.exec(select(ReviewItem).where(ReviewItem.id == item_id, ReviewItem.status == "pending")
                         .with_for_update()).first()
            if row is None:
                return None
            row.status, row.note, row.published_id, row.decided_at = status, note, published_id, utcnow()
            s.add(row)
            s.commit()
            return row

    # ---- reviews ------------------------------------------------------------------

    def upsert_review(self, event: ReviewEvent, text_key: str = "") -> ReviewRow:
        """Store a review; the same text under another review_id of the product is marked its duplicate."""
        review = event.review()
        with self.session() as s:
            row = s.exec(
                select(ReviewRow).where(ReviewRow.shop_id == event.shop_id, ReviewRow.review_id == review.review_id)
            ).first()
            if row is None:
                row = ReviewRow(shop_id=event.shop_id, review_id=review.review_id, product_id=review.product_id,
                                text=review.text, event_id=event.event_id, occurred_at=_utc(event.occurred_at))
            row.product_id, row.rating, row.text, row.locale = review.product_id, review.rating, review.text, review.locale
            row.event_id, row.text_key = event.event_id, text_key
            row.duplicate_of = None
            if text_key:
                first = s.exec(
                    select(ReviewRow.review_id).where(
                        ReviewRow.shop_id == event.shop_id, ReviewRow.product_id == review.product_id,
                        ReviewRow.text_key == text_key, ReviewRow.review_id != review.review_id,
                    ).order_by(ReviewRow.id)
                ).first()
                row.duplicate_of = first
            s.add(row)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                return self.upsert_review(event, text_key)
            return row

    def save_sentiment(self, row: ReviewSentimentRow) -> None:
        with self.session() as s:
            existing = s.exec(
                select(ReviewSentimentRow).where(
                    ReviewSentimentRow.shop_id == row.shop_id, ReviewSentimentRow.review_id == row.review_id
                )
            ).first()
            if existing is not None:
                row.id = existing.id
            s.merge(row)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                self.save_sentiment(row)

    def product_sentiments(self, shop_id: str, product_id: str) -> list[tuple[ReviewRow, ReviewSentimentRow]]:
        """One (review, sentiment) per distinct review text: a re-sent text counts once.

        `duplicate_of`, set at ingest, misses two copies ingested at the same moment
        (neither sees the other); the text key, checked here under the recount's lock,
        does not — the earliest stored copy is the one that counts.
        """
        with self.session() as s:
            rows = s.exec(
                select(ReviewRow, ReviewSentimentRow)
                .join(
                    ReviewSentimentRow,
                    (ReviewSentimentRow.shop_id == ReviewRow.shop_id)
                    & (ReviewSentimentRow.review_id == ReviewRow.review_id),
                )
                .where(ReviewRow.shop_id == shop_id, ReviewRow.product_id == product_id,
                       ReviewRow.duplicate_of.is_(None))  # type: ignore[union-attr]
                .order_by(ReviewRow.id)
            )
            seen: set[str] = set()
            kept = []
            for review, sentiment in rows:
                if review.text_key and review.text_key in seen:
                    continue
                seen.add(review.text_key)
                kept.append((review, sentiment))
        return sorted(kept, key=lambda pair: pair[0].review_id)

    def replace_aspects(
        self, shop_id: str, product_id: str, counts: dict[str, dict[str, int]], *,
        review_count: int, rating_mean: float | None, sentiment_mean: float | None,
    ) -> None:
        """Rewrite a product's aspect rows from a full recount: repeatable by construction."""
        for attempt in range(3):
            try:
                return self._replace_aspects(shop_id, product_id, counts, review_count=review_count,
                                             rating_mean=rating_mean, sentiment_mean=sentiment_mean)
            except IntegrityError:  # a concurrent recount of the same product committed first
                if attempt == 2:
                    raise

    def _replace_aspects(
        self, shop_id: str, product_id: str, counts: dict[str, dict[str, int]], *,
        review_count: int, rating_mean: float | None, sentiment_mean: float | None,
    ) -> None:
        with self.session() as s:
            s.exec(
                delete(ProductAspectRow).where(
                    ProductAspectRow.shop_id == shop_id, ProductAspectRow.product_id == product_id
                )
            )
            for aspect, c in sorted(counts.items()):
                s.add(ProductAspectRow(shop_id=shop_id, product_id=product_id, aspect=aspect,
                                       positive=c.get("positive", 0), negative=c.get("negative", 0),
                                       neutral=c.get("neutral", 0)))
            product = s.exec(
                select(ProductRow).where(ProductRow.shop_id == shop_id, ProductRow.product_id == product_id)
            ).first()
            if product is not None:
                product.review_count, product.rating_mean, product.sentiment_mean = (
                    review_count, rating_mean, sentiment_mean)
                s.add(product)
            s.commit()

    def product_aspects(self, shop_id: str, product_id: str) -> list[ProductAspectRow]:
        with self.session() as s:
            return list(
                s.exec(
                    select(ProductAspectRow).where(
                        ProductAspectRow.shop_id == shop_id, ProductAspectRow.product_id == product_id
                    )
                )
            )

    # ---- bookkeeping --------------------------------------------------------------

    def record_stage(self, event_id: str, locale: str, stage: str, seconds: float, attempts: int, worker: str) -> None:
        """One statement per stage run (an upsert on (event, locale, stage)): every task of every event writes one."""
        values = {"event_id": event_id, "locale": locale, "stage": stage, "seconds": seconds, "attempts": attempts,
                  "worker": worker, "finished_at": utcnow()}
        with self.engine.begin() as conn:
            conn.execute(self._stage_upsert, values)

    @cached_property
    def _stage_upsert(self) -> Any:
        """Built once: constructing the upsert (and its cache key) cost five times its execution on SQLite."""
        statement = _dialect_insert(self.engine)(StageRun)
        return statement.on_conflict_do_update(
            index_elements=["event_id", "locale", "stage"],
            set_={k: statement.excluded[k] for k in ("seconds", "attempts", "worker", "finished_at")})

    def stage_timings(self, event_ids: Sequence[str]) -> dict[tuple[str, str], dict[str, float]]:
        out: dict[tuple[str, str], dict[str, float]] = {}
        with self.session() as s:
            for row in s.exec(select(StageRun).where(StageRun.event_id.in_(list(event_ids)))):  # type: ignore[attr-defined]
                out.setdefault((row.event_id, row.locale), {})[row.stage] = row.seconds
        return out

    def record_failure(self, *, task_id: str, task: str, args: list, kwargs: dict, error: str,
                       traceback: str, attempts: int, chain: list | None = None) -> FailedTask:
        """One dead-letter row per task id; a repeat updates attempts and last_seen."""
        with self.session() as s:
            row = s.exec(select(FailedTask).where(FailedTask.task_id == task_id)).first()
            if row is None:
                row = FailedTask(task_id=task_id, task=task, args=args, kwargs=kwargs, error=error, chain=chain)
            row.error, row.traceback, row.attempts = error, traceback, attempts
            row.status, row.last_seen = "dead", utcnow()
            s.add(row)
            s.commit()
            return row

    def failed_tasks(self, *, status: str | None = "dead", task: str | None = None,
                     ids: Sequence[int] | None = None) -> list[FailedTask]:
        with self.session() as s:
            query = select(FailedTask).order_by(FailedTask.id)
            if status:
                query = query.where(FailedTask.status == status)
            if task:
                query = query.where(FailedTask.task == task)
            if ids:
                query = query.where(FailedTask.id.in_(list(ids)))  # type: ignore[union-attr]
            return list(s.exec(query))

    def set_failed_status(self, failed_id: int, status: str) -> None:
        with self.session() as s:
            row = s.get(FailedTask, failed_id)
            if row is not None:
                row.status = status
                s.add(row)
                s.commit()
