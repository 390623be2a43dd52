"""A shop's own controls: how its descriptions sound, what they may say, and who publishes them.

A profile is data (the `shop_profiles` table), changed with `descflow shop set`
or `descflow shop import`, and read by generation, correction, ranking and
publishing on every task, so a change needs no restart. A shop without a
profile gets `ShopProfile(shop_id=...)`: today's behaviour (publish the best
candidate automatically, no extra terms, the locale's default length).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from schemas.events import Id, Locale, ShortText, clean_text

Tone = Literal["professional", "playful", "premium", "minimal"]
TextFormat = Literal["paragraph", "bullets"]
PublishPolicy = Literal["auto", "review", "auto-if-clean"]

MAX_TERMS = 200
MAX_PHRASES = 10
MAX_VOICE = 1_000

Term = Annotated[str, StringConstraints(min_length=1, max_length=80, strip_whitespace=True)]
Phrase = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]

_RANGE = re.compile(r"^\s*(\d+)\s*[-–:]\s*(\d+)\s*$")


class LengthRange(BaseModel):
    """Fewest and most words (characters for Chinese and Japanese) a description should have."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: int = Field(ge=1, le=2_000)
    max: int = Field(ge=1, le=2_000)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        """Accept "40-80" as well as {"min": 40, "max": 80}: the form people type."""
        if isinstance(value, str):
            m = _RANGE.match(value)
            if m is None:
                raise ValueError(f"{value!r} is not a range; write it as MIN-MAX, e.g. 40-80")
            return {"min": int(m.group(1)), "max": int(m.group(2))}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> LengthRange:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    def __str__(self) -> str:
        return f"{self.min}-{self.max}"


class ShopProfile(BaseModel):
    """Everything a shop controls about its descriptions; unknown keys are refused, so a typo is named."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shop_id: Id
    tone: Tone = Field("professional", description="How the text sounds.")
    lengths: dict[Locale, LengthRange] = Field(
        default_factory=dict, description="Target length per locale (or language, e.g. 'zh'); others keep the default.")
    format: TextFormat = Field("paragraph", description="Running text or bullet points.")
    voice: Annotated[str, StringConstraints(max_length=MAX_VOICE)] | None = Field(
        None, description="Brand voice notes for the writer, e.g. 'warm, no jargon, say we not the brand'.")
    required_phrases: Annotated[list[Phrase], Field(max_length=MAX_PHRASES)] = Field(
        default_factory=list, description="Phrases every description should contain.")
    restricted_terms: Annotated[list[Term], Field(max_length=MAX_TERMS)] = Field(
        default_factory=list, description="Never used: removed by correction like a banned absolute term.")
    preferred_terms: dict[Term, Term] = Field(
        default_factory=dict, description="Synonym → the shop's word; correction replaces it and records the fix.")
    locales: Annotated[list[Locale], Field(max_length=8)] = Field(
        default_factory=list, description="Locales the shop sells in.")
    audiences: Annotated[list[ShortText], Field(max_length=8)] = Field(
        default_factory=list, description="Audiences written for when a product names none.")
    publish_policy: PublishPolicy = Field(
        "auto", description="auto: publish the best; review: hold it for a person; auto-if-clean: hold it "
                            "only when correction had to fix something.")

    @field_validator("voice")
    @classmethod
    def _clean_voice(cls, value: str | None) -> str | None:
        return clean_text(value) or None if value is not None else None

    @field_validator("restricted_terms", "required_phrases")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for item in value:
            seen.setdefault(item.casefold(), item)
        return list(seen.values())

    @field_validator("preferred_terms")
    @classmethod
    def _preferred_sane(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > MAX_TERMS:
            raise ValueError(f"has {len(value)} entries; at most {MAX_TERMS} are allowed")
        for synonym, preferred in value.items():
            if synonym.casefold() == preferred.casefold():
                raise ValueError(f"{synonym!r} maps to itself; remove the entry")
            if preferred.casefold() in {s.casefold() for s in value}:
                raise ValueError(f"{preferred!r} is both a preferred term and a synonym to replace; "
                                 "replacements would chain")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ShopProfile:
        restricted = {t.casefold() for t in self.restricted_terms}
        for synonym, preferred in self.preferred_terms.items():
            if preferred.casefold() in restricted:
                raise ValueError(f"preferred_terms: {synonym!r} → {preferred!r}, but {preferred!r} is also "
                                 "in restricted_terms; drop one of them")
        for phrase in self.required_phrases:
            hit = next((t for t in self.restricted_terms if t.casefold() in phrase.casefold()), None)
            if hit:
                raise ValueError(f"required_phrases: {phrase!r} contains the restricted term {hit!r}")
        return self

    def length_for(self, locale: str) -> LengthRange | None:
        """The shop's range for a locale: the exact locale first, then its language."""
        if locale in self.lengths:
            return self.lengths[locale]
        return self.lengths.get(locale.split("-")[0].lower())


class ProfileUpdate(BaseModel):
    """A partial change (`descflow shop set`): only the fields given replace the stored ones."""

    model_config = ConfigDict(extra="forbid")

    tone: Tone | None = None
    lengths: dict[Locale, LengthRange] | None = None
    format: TextFormat | None = None
    voice: str | None = None
    required_phrases: list[str] | None = None
    restricted_terms: list[str] | None = None
    preferred_terms: dict[str, str] | None = None
    locales: list[str] | None = None
    audiences: list[str] | None = None
    publish_policy: PublishPolicy | None = None

    def apply(self, profile: ShopProfile) -> ShopProfile:
        """The profile with this change, validated as a whole (so cross-field rules still hold)."""
        data = profile.model_dump(mode="json")
        change = self.model_dump(mode="json", exclude_none=True)
        if "lengths" in change:  # a length for one locale keeps the others
            change["lengths"] = {**data["lengths"], **change["lengths"]}
        return ShopProfile.model_validate({**data, **change})


ReviewStatus = Literal["pending", "approved", "rejected", "edited", "superseded"]


class ReviewDecision(BaseModel):
    """What a person decided about a held candidate (CLI and API)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["approve", "reject", "edit"]
    why: Annotated[str, StringConstraints(max_length=300, strip_whitespace=True)] | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=5_000, strip_whitespace=True)] | None = None

    @model_validator(mode="after")
    def _text_for_edit(self) -> ReviewDecision:
        if self.action == "edit" and not self.text:
            raise ValueError("edit needs the new text")
        return self


__all__ = ["LengthRange", "ProfileUpdate", "PublishPolicy", "ReviewDecision", "ReviewStatus", "ShopProfile",
           "TextFormat", "Tone"]
