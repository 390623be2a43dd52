"""Database tables (SQLModel): the same models on SQLite and PostgreSQL.

Unique constraints carry the idempotency: every stage writes rows keyed by the
event that caused them, so a redelivered task finds its work already done.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal, Optional

from sqlalchemy import JSON, Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _json(default: Any = None) -> Any:
    return Field(default_factory=lambda: default() if callable(default) else default, sa_column=Column(JSON))


def _audience() -> Any:
    """'' for no audience, not NULL: the unique keys below must treat "no audience" as one value."""
    return Field(default="", sa_column=Column(String(120), nullable=False, server_default=""),
                 description="the audience the text was written for; '' for none")


Cause = Literal["new_product", "attribute_change", "product_update", "review_refresh", "manual"]
CAUSES: tuple[str, ...] = ("new_product", "attribute_change", "product_update", "review_refresh", "manual")


class InboundEvent(SQLModel, table=True):
    __tablename__ = "inbound_events"

    event_id: str = Field(primary_key=True, max_length=128)
    event_type: str = Field(max_length=32, index=True)
    shop_id: str = Field(max_length=128, index=True)
    subject_id: str = Field(max_length=128, description="product_id or review_id")
    source: str = Field(max_length=16, description="webhook, replay or api")
    payload: dict = _json(dict)
    status: str = Field(default="accepted", max_length=16, index=True)
    task_id: Optional[str] = Field(default=None, max_length=64)
    received_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: Optional[datetime] = None
    decision: Optional[dict] = _json(None)  # workers.changes.UpdatePlan: what ingest regenerates and what it kept


class RejectedEvent(SQLModel, table=True):
    __tablename__ = "rejected_events"

    id: Optional[int] = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    event_id: Optional[str] = Field(default=None, max_length=128)
    errors: list = _json(list)
    raw: str = Field(sa_column=Column(Text), description="raw payload, truncated")
    received_at: datetime = Field(default_factory=utcnow, index=True)


class ProductRow(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("shop_id", "product_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    shop_id: str = Field(max_length=128, index=True)
    product_id: str = Field(max_length=128, index=True)
    locale: str = Field(max_length=35)
    title: str = Field(sa_column=Column(Text))
    category: str = Field(max_length=120)
    data: dict = _json(dict)  # the validated schemas.events.Product
    last_event_id: str = Field(max_length=128)
    occurred_at: datetime
    review_count: int = 0
    rating_mean: Optional[float] = None
    sentiment_mean: Optional[float] = None
    review_state: Optional[dict] = _json(None)  # workers.cpu.refresh.ReviewState the description was checked against
    updated_at: datetime = Field(default_factory=utcnow)


class ReviewRow(SQLModel, table=True):
    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("shop_id", "review_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    shop_id: str = Field(max_length=128, index=True)
    review_id: str = Field(max_length=128)
    product_id: str = Field(max_length=128, index=True)
    rating: Optional[int] = None
    text: str = Field(sa_column=Column(Text))
    locale: Optional[str] = Field(default=None, max_length=35)
    event_id: str = Field(max_length=128)
    occurred_at: datetime
    text_key: str = Field(default="", max_length=64, index=True, description="hash of the normalised text")
    duplicate_of: Optional[str] = Field(default=None, max_length=128,
                                        description="review_id of the same text re-sent under another id")


class ReviewSentimentRow(SQLModel, table=True):
    __tablename__ = "review_sentiments"
    __table_args__ = (UniqueConstraint("shop_id", "review_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    shop_id: str = Field(max_length=128, index=True)
    review_id: str = Field(max_length=128)
    product_id: str = Field(max_length=128, index=True)
    polarity: str = Field(max_length=8)
    score: float
    confidence: float
    aspects: list = _json(list)
    backend: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class ProductAspectRow(SQLModel, table=True):
    __tablename__ = "product_aspects"
    __table_args__ = (UniqueConstraint("shop_id", "product_id", "aspect"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    shop_id: str = Field(max_length=128, index=True)
    product_id: str = Field(max_length=128, index=True)
    aspect: str = Field(max_length=64)
    positive: int = 0
    negative: int = 0
    neutral: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class DescriptionCandidate(SQLModel, table=True):
    __tablename__ = "description_candidates"
    __table_args__ = (UniqueConstraint("event_id", "locale", "idx"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=128, index=True)
    shop_id: str = Field(max_length=128)
    product_id: str = Field(max_length=128, index=True)
    locale: str = Field(max_length=35)
    idx: int
    stage: str = Field(default="generated", max_length=16, description="generated, corrected, deduped, ranked")
    raw_text: str = Field(sa_column=Column(Text))
    text: str = Field(sa_column=Column(Text))
    decoding: dict = _json(dict)
    issues: list = _json(list)
    scores: dict = _json(dict)
    duplicate_of: Optional[str] = Field(default=None, max_length=300)
    similarity: Optional[float] = None
    explanation: Optional[str] = Field(default=None, sa_column=Column(Text), description="why it scored as it did")
    duplicate_method: Optional[str] = Field(default=None, max_length=16,
                                            description="how duplicate_of was found: minhash, embedding or in-set")
    chosen: bool = False
    model: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


class PublishedDescription(SQLModel, table=True):
    __tablename__ = "published_descriptions"
    __table_args__ = (
        UniqueConstraint("shop_id", "product_id", "locale", "version"),
        UniqueConstraint("event_id", "locale", "audience"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    shop_id: str = Field(max_length=128, index=True)
    product_id: str = Field(max_length=128, index=True)
    locale: str = Field(max_length=35)
    version: int
    text: str = Field(sa_column=Column(Text))
    scores: dict = _json(dict)
    event_id: str = Field(max_length=128, description="the source event")
    candidate_id: Optional[int] = None
    reason: Optional[str] = Field(default=None, max_length=300,
                                  description="why this version: new product, product update, reviews: …")
    announced: bool = Field(default=False, description="written to the Redis stream")
    created_at: datetime = Field(default_factory=utcnow, index=True)
    owner: Optional[str] = Field(default=None, max_length=16,
                                 description="merchant: the shop's own text, never replaced automatically")
    audience: str = _audience()
    cause: Optional[str] = Field(default=None, max_length=24,
                                 description="new_product, attribute_change, product_update, review_refresh, manual")
    model: Optional[str] = Field(default=None, max_length=300, description="the generator that wrote it; None: a person")
    decoding: Optional[dict] = _json(None)  # the candidate's decoding settings (temperature, top_p, seed, …)


class StageRun(SQLModel, table=True):
    """One row per (event, locale, stage): when it ran and for how long."""

    __tablename__ = "stage_runs"
    __table_args__ = (UniqueConstraint("event_id", "locale", "stage"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=128, index=True)
    locale: str = Field(default="", max_length=35)
    stage: str = Field(max_length=32)
    seconds: float
    attempts: int = 1
    worker: str = Field(default="", max_length=200)
    finished_at: datetime = Field(default_factory=utcnow, index=True)


class FailedTask(SQLModel, table=True):
    """A dead letter: a task that gave up; `descflow retry` sends it again."""

    __tablename__ = "failed_tasks"

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: str = Field(max_length=64, index=True)
    task: str = Field(max_length=120, index=True)
    args: list = _json(list)
    kwargs: dict = _json(dict)
    error: str = Field(sa_column=Column(Text))
    traceback: str = Field(default="", sa_column=Column(Text))
    chain: Optional[list] = Field(
        default=None, sa_column=Column(JSON, nullable=True),
        description="the stages that were to follow (Celery signatures), sent again with the task on retry")
    attempts: int = 1
    status: str = Field(default="dead", max_length=16, index=True, description="dead or retried")
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)


class ShopProfileRow(SQLModel, table=True):
    """A shop's controls (schemas.shop.ShopProfile), read by the pipeline on every task."""

    __tablename__ = "shop_profiles"

    shop_id: str = Field(primary_key=True, max_length=128)
    data: dict = _json(dict)  # the validated schemas.shop.ShopProfile
    updated_at: datetime = Field(default_factory=utcnow)


class ReviewItem(SQLModel, table=True):
    """A chosen candidate held for a person instead of published: the shop's policy or a merchant's own text."""

    __tablename__ = "review_queue"
    __table_args__ = (UniqueConstraint("event_id", "locale", "audience"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    shop_id: str = Field(max_length=128, index=True)
    product_id: str = Field(max_length=128, index=True)
    locale: str = Field(max_length=35)
    event_id: str = Field(max_length=128)
    candidate_id: Optional[int] = None
    text: str = Field(sa_column=Column(Text))
    scores: dict = _json(dict)
    held_because: str = Field(max_length=300, description="policy review, fixes under auto-if-clean, merchant-owned")
    reason: Optional[str] = Field(default=None, max_length=300, description="why this version was made")
    status: str = Field(default="pending", max_length=16, index=True,
                        description="pending, approved, rejected, edited, superseded")
    note: Optional[str] = Field(default=None, max_length=300, description="why it was rejected")
    published_id: Optional[int] = None
    created_at: datetime = Field(default_factory=utcnow, index=True)
    decided_at: Optional[datetime] = None
    audience: str = _audience()
    cause: Optional[str] = Field(default=None, max_length=24, description="why the held version was made (Cause)")


class ShopApiKey(SQLModel, table=True):
    """A shop's key to the read API; only a hash is kept, so the key itself is shown once, at creation."""

    __tablename__ = "shop_api_keys"

    key_id: str = Field(primary_key=True, max_length=16, description="public part of the key, for lookup")
    shop_id: str = Field(max_length=128, index=True)
    key_hash: str = Field(max_length=64, description="SHA-256 of the whole key, hex")
    name: Optional[str] = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: Optional[datetime] = None
