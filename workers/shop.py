"""Shop controls in plain Python: reading a profile, turning it into engine inputs, and the publishing rule.

The pipeline asks three questions here: what the shop wants written
(`writing_style`, `length_range`, `audience`), which words it bans or prefers
(the profile's lists, handed to correction), and whether a chosen candidate may
go out (`hold_reason`). No Celery: the tasks in workers/pipeline.py call these.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pydantic import ValidationError

from schemas.shop import ProfileUpdate, ReviewDecision, ShopProfile
from schemas.tables import DescriptionCandidate, PublishedDescription, ReviewItem
from workers.gpu.prompt import WritingStyle

log = logging.getLogger(__name__)

MERCHANT = "merchant"


class ProfileError(ValueError):
    """A stored or given profile does not validate: the message names the field and what to fix."""


class _ProfileStore(Protocol):
    def shop_profile(self, shop_id: str) -> dict[str, Any] | None: ...

    def save_shop_profile(self, shop_id: str, data: dict[str, Any]) -> None: ...


def describe_errors(exc: ValidationError) -> str:
    """pydantic's errors as "field: reason" lines, the way a person fixes them."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(profile)"
        lines.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(lines)


def parse_profile(data: Mapping[str, Any]) -> ShopProfile:
    try:
        return ShopProfile.model_validate(dict(data))
    except ValidationError as exc:
        raise ProfileError(f"invalid shop profile: {describe_errors(exc)}") from None


def load_profile(store: _ProfileStore, shop_id: str) -> ShopProfile:
    """The shop's profile, or the defaults (today's behaviour) when it has none."""
    data = store.shop_profile(shop_id)
    if data is None:
        return ShopProfile(shop_id=shop_id)
    return parse_profile({**data, "shop_id": shop_id})


def update_profile(store: _ProfileStore, shop_id: str, change: Mapping[str, Any]) -> ShopProfile:
    """Apply a partial change to the stored profile and save it, validated as a whole."""
    try:
        update = ProfileUpdate.model_validate(dict(change))
        profile = update.apply(load_profile(store, shop_id))
    except ValidationError as exc:
        raise ProfileError(f"invalid shop profile: {describe_errors(exc)}") from None
    store.save_shop_profile(shop_id, profile.model_dump(mode="json"))
    return profile


def replace_profile(store: _ProfileStore, data: Mapping[str, Any], shop_id: str | None = None) -> ShopProfile:
    """Store a whole profile (`descflow shop import`); fields not given take their defaults."""
    profile = parse_profile({**data, **({"shop_id": shop_id} if shop_id else {})})
    store.save_shop_profile(profile.shop_id, profile.model_dump(mode="json"))
    return profile


class ProfileCache:
    """Profiles read from the database at most every `ttl` seconds per shop (0: every time).

    Tasks read the profile on every run, so a change takes effect within `ttl`
    without restarting a worker; the cache only spares a read per task.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[float, ShopProfile]] = {}

    def get(self, store: _ProfileStore, shop_id: str) -> ShopProfile:
        key = (str(getattr(store, "url", id(store))), shop_id)
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
        profile = load_profile(store, shop_id)
        with self._lock:
            self._entries[key] = (now, profile)
        return profile

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache: ProfileCache | None = None


def profile_for(rt: Any, shop_id: str) -> ShopProfile:
    """The profile a task works with: from the runtime's store, through one cache per process."""
    global _cache
    ttl = float(rt.settings.shop_profile_ttl)
    if _cache is None or _cache.ttl != ttl:
        _cache = ProfileCache(ttl)
    return _cache.get(rt.store, shop_id)


# ---- engine inputs ----------------------------------------------------------------


def length_range(profile: ShopProfile, locale: str) -> tuple[int, int] | None:
    found = profile.length_for(locale)
    return None if found is None else (found.min, found.max)


def writing_style(profile: ShopProfile, locale: str) -> WritingStyle:
    return WritingStyle(tone=profile.tone, format=profile.format, voice=profile.voice,
                        required_phrases=list(profile.required_phrases), length=length_range(profile, locale))


def audience(profile: ShopProfile, product_audiences: Sequence[str]) -> str | None:
    """The product's first audience, else the shop's: the one a reader gets when they name none."""
    if product_audiences:
        return product_audiences[0]
    return profile.audiences[0] if profile.audiences else None


def audiences(profile: ShopProfile, product_audiences: Sequence[str], limit: int) -> list[str | None]:
    """Every audience to publish for: the product's, else the shop's, else none (at most `limit`, one
    candidate each at least); the first is the default one (`audience`)."""
    found = list(dict.fromkeys(product_audiences or profile.audiences))[:max(1, limit)]
    return list(found) if found else [None]


def locales(profile: ShopProfile, product: Any) -> list[str]:
    """Locales to write a product in: its own target_locales, else the locales the shop sells in, else its own."""
    if product.target_locales:
        return list(product.locales)
    return list(profile.locales) or [product.locale]


def requests(gen: Any, product: Any, locale: str, decodings: Sequence[Any], profile: ShopProfile, *,
             audience: str | None, highlights: Any, seller_is_template: bool,
             keys: Sequence[int] | None = None) -> list[Any]:
    """Generation requests with the shop's style in chat and plain prompts (keys: default 0, 1, …).

    The house model reads only the slots it was trained on, so for it the
    style acts through correction and ranking, not the prompt.
    """
    from workers.gpu import prompt as prompts
    from workers.gpu.generate import Request

    keys = list(keys) if keys is not None else list(range(len(decodings)))
    if gen.style not in ("chat", "plain"):
        return [gen.request(product, locale, d, audience=audience, key=k, highlights=highlights,
                            seller_is_template=seller_is_template) for k, d in zip(keys, decodings)]
    style = writing_style(profile, locale)
    if gen.style == "chat":
        messages = prompts.chat_messages(product, locale, audience, highlights,
                                         seller_is_template=seller_is_template, style=style)
        text = gen.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    else:
        text = prompts.plain_prompt(product, locale, audience, highlights, seller_is_template=seller_is_template,
                                    style=style)
    return [Request(text, d, key=k, product=product, locale=locale) for k, d in zip(keys, decodings)]


# ---- publishing ---------------------------------------------------------------------


def merchant_owned(current: PublishedDescription | None) -> bool:
    return current is not None and current.owner == MERCHANT


def fixes_of(cand: DescriptionCandidate) -> list[str]:
    """Codes of what generation and correction changed on a candidate."""
    return [str(i.get("code")) for i in (cand.issues or [])]


def needs_a_person(cand: DescriptionCandidate) -> str | None:
    """Why a candidate cannot go out under any policy: nothing of it passed the checks, or it leaves out values
    that have no form in its language (a person writes those, rather than a text that mixes scripts)."""
    codes = fixes_of(cand)
    if not cand.text.strip():
        refused = ", ".join(sorted(set(codes) - {"untranslated"})[:6]) or "nothing written"
        return f"no candidate passed the checks ({refused}); the realiser's text waits for a person"[:300]
    left = [str(i.get("before") or "") for i in cand.issues or [] if i.get("code") == "untranslated"]
    if left:
        return f"values with no {cand.locale} form the lexicon knows: {'; '.join(left)}; a person writes them"[:300]
    return None


def hold_reason(profile: ShopProfile, cand: DescriptionCandidate, current: PublishedDescription | None) -> str | None:
    """Why the chosen candidate must wait for a person, or None to publish it now.

    A merchant's own text is never replaced automatically, whatever the policy.
    """
    if merchant_owned(current):
        return f"the merchant wrote the current text (version {current.version}); descflow never replaces it"  # type: ignore[union-attr]
    if gap := needs_a_person(cand):
        return gap
    if profile.publish_policy == "review":
        return "the shop reviews every description (publish_policy review)"
    if profile.publish_policy == "auto-if-clean":
        codes = fixes_of(cand)
        if codes:
            shown = ", ".join(sorted(set(codes))[:6])
            return f"correction changed the text ({shown}); publish_policy auto-if-clean holds it"[:300]
    return None


# ---- decisions on held candidates ----------------------------------------------------


class ReviewError(ValueError):
    """A decision that cannot be made (unknown item, another shop's item, already decided)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def decide(rt: Any, item_id: int, decision: ReviewDecision, *, shop_id: str | None = None) -> ReviewItem:
    """Approve, reject or edit a held candidate; approve and edit publish through the publish task's path.

    An edited text is the merchant's: it goes out merchant-owned, so descflow
    never replaces it automatically afterwards. Publishing comes before the
    decision is recorded, and is idempotent per item, so a crash in between
    leaves the item pending with nothing lost; deciding it again finishes it.
    """
    from workers.pipeline import publish_version

    store = rt.store
    item = store.review_item(item_id)
    if item is None or (shop_id is not None and item.shop_id != shop_id):
        raise ReviewError(f"no review item {item_id}" + (f" for shop {shop_id}" if shop_id else "")
                          + "; `descflow review list` shows the pending ones", 404)
    if item.status != "pending":
        raise ReviewError(f"review item {item_id} is already {item.status}; only pending items can be decided")
    if decision.action == "reject":
        done = store.decide_review(item_id, "rejected", note=decision.why)
    else:
        edited = decision.action == "edit"
        what = "edited by the merchant in review" if edited else "approved in review"
        reason = f"{what}: {item.reason}" if item.reason else what
        cand = None if edited or item.candidate_id is None else store.candidate(item.candidate_id)
        row = publish_version(
            rt, item.shop_id, item.product_id, item.locale, f"review-{item.id}",
            decision.text if edited and decision.text else item.text, {} if edited else item.scores,
            None if edited else item.candidate_id, reason[:300], owner=MERCHANT if edited else None,
            audience=item.audience, cause="manual", model=cand.model if cand else None,
            decoding=cand.decoding if cand else None)
        done = store.decide_review(item_id, "edited" if edited else "approved", note=decision.why,
                                   published_id=row.id)
    if done is None:
        raise ReviewError(f"review item {item_id} was decided by someone else meanwhile")
    log.info("review item %s of %s/%s: %s", item_id, item.product_id, item.locale, done.status)
    return done


__all__ = ["MERCHANT", "ProfileCache", "ProfileError", "ReviewError", "audience", "audiences", "decide",
           "describe_errors", "locales",
           "hold_reason", "length_range", "needs_a_person", "load_profile", "merchant_owned", "parse_profile", "profile_for",
           "replace_profile", "requests", "update_profile", "writing_style"]
