"""The read API's answers (pydantic), so its OpenAPI document says exactly what each route returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

CauseName = Literal["new_product", "attribute_change", "product_update", "review_refresh", "manual"]
Scalar = Optional[float | int | str | bool]


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ErrorOut(_Out):
    detail: str = Field(description="What went wrong and what to do about it.")


class VersionOut(_Out):
    """One published version of a (product, locale, audience)."""

    product_id: str
    locale: str
    audience: Optional[str] = Field(description="The audience it was written for; null: no particular one.")
    version: int = Field(description="Counts per (product, locale), across audiences.")
    text: str
    scores: dict[str, float] = Field(description="Ranking signals and total in [0, 1]; empty for a person's text.")
    published_at: datetime
    cause: Optional[CauseName] = Field(description="What made this version; null for versions older than the field.")
    reason: Optional[str] = Field(description="The cause in words: which facts changed, which reviews, …")
    owner: Optional[Literal["merchant"]] = Field(
        description="merchant: the shop's own text, never replaced automatically.")
    produced_by: str = Field(description="merchant, the generator's name, or descflow for older versions.")
    model: Optional[str] = Field(description="The generator that wrote the text; null when a person did.")
    decoding: Optional[dict[str, Scalar]] = Field(description="The candidate's decoding settings.")
    candidate_id: Optional[int]
    source_event_id: str


class DescriptionOut(VersionOut):
    """The text a storefront shows now."""


class DiffChunk(_Out):
    op: Literal["equal", "insert", "delete", "replace"]
    before: str
    after: str


class HistoryEntry(VersionOut):
    previous_version: Optional[int] = Field(description="The version this one replaced (same locale and audience).")
    diff: list[DiffChunk] = Field(description="Word by word (characters for Chinese and Japanese) against it.")
    diff_text: str = Field(description="The same diff inline: [-removed-]{+added+}.")


class KeptUpdate(_Out):
    """A product update that left a locale's description alone, and why."""

    event_id: str
    received_at: datetime
    locale: str
    why: str


class HistoryOut(_Out):
    shop_id: str
    product_id: str
    versions: list[HistoryEntry]
    kept_updates: list[KeptUpdate]


class IssueOut(_Out):
    code: str
    before: Optional[str] = None
    after: Optional[str] = None
    span: Optional[list[int]] = None
    detail: Optional[str] = None


class CandidateOut(_Out):
    id: int
    event_id: str
    locale: str
    audience: Optional[str]
    idx: int
    stage: str = Field(description="generated, corrected, deduped or ranked.")
    text: str
    raw_text: str = Field(description="As the generator wrote it, before correction.")
    scores: dict[str, float]
    explanation: Optional[str]
    issues: list[IssueOut]
    duplicate_of: Optional[str]
    similarity: Optional[float]
    chosen: bool
    model: str
    decoding: dict[str, Scalar]
    created_at: datetime


class CandidatesOut(_Out):
    shop_id: str
    product_id: str
    candidates: list[CandidateOut] = Field(description="The newest candidate set of each locale.")


__all__ = ["CandidateOut", "CandidatesOut", "CauseName", "DescriptionOut", "DiffChunk", "ErrorOut", "HistoryEntry",
           "HistoryOut", "IssueOut", "KeptUpdate", "VersionOut"]
