"""Shop profiles: validation that names the field, and the helpers that turn a profile into engine inputs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.events import Product
from schemas.shop import LengthRange, ReviewDecision, ShopProfile
from schemas.tables import DescriptionCandidate, PublishedDescription
from workers.gpu import prompt as prompts
from workers.gpu import rank as ranking
from workers.shop import (
    ProfileCache,
    ProfileError,
    audience,
    hold_reason,
    load_profile,
    update_profile,
    writing_style,
)


class MemoryStore:
    """The two store methods the profile helpers use, counting reads."""

    url = "memory://"

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}
        self.reads = 0

    def shop_profile(self, shop_id: str) -> dict | None:
        self.reads += 1
        return self.rows.get(shop_id)

    def save_shop_profile(self, shop_id: str, data: dict) -> None:
        self.rows[shop_id] = data


def product(locale: str = "en-US") -> Product:
    return Product(product_id="p1", title="Nordvik Wireless Headphones", category="headphones", locale=locale,
                   brand="Nordvik", attributes={"battery life": "30 h", "colour": "black"})


def test_length_range_reads_the_typed_form_and_refuses_a_reversed_one():
    assert LengthRange.model_validate("40-80") == LengthRange(min=40, max=80)
    with pytest.raises(ValidationError, match="min 90 is above max 40"):
        ShopProfile(shop_id="s", lengths={"en-US": "90-40"})
    with pytest.raises(ValidationError, match="MIN-MAX"):
        ShopProfile(shop_id="s", lengths={"en-US": "forty"})


def test_errors_name_the_field():
    store = MemoryStore()
    with pytest.raises(ProfileError, match=r"^invalid shop profile: tone: Input should be 'professional'"):
        update_profile(store, "s", {"tone": "loud"})
    with pytest.raises(ProfileError, match="publish_policy"):
        update_profile(store, "s", {"publish_policy": "sometimes"})
    with pytest.raises(ProfileError, match="colour_scheme: Extra inputs"):
        update_profile(store, "s", {"colour_scheme": "red"})
    assert store.rows == {}  # nothing saved from a bad change


def test_terms_that_contradict_each_other_are_refused():
    with pytest.raises(ValidationError, match="also in restricted_terms"):
        ShopProfile(shop_id="s", restricted_terms=["cheap"], preferred_terms={"inexpensive": "cheap"})
    with pytest.raises(ValidationError, match="replacements would chain"):
        ShopProfile(shop_id="s", preferred_terms={"earbuds": "buds", "buds": "in-ear headphones"})
    with pytest.raises(ValidationError, match="contains the restricted term"):
        ShopProfile(shop_id="s", required_phrases=["cheap and cheerful"], restricted_terms=["Cheap"])


def test_an_update_keeps_what_it_does_not_name():
    store = MemoryStore()
    update_profile(store, "s", {"tone": "premium", "lengths": {"en-US": "40-80"}})
    profile = update_profile(store, "s", {"lengths": {"zh-CN": "60-120"}, "publish_policy": "review"})
    assert profile.tone == "premium" and profile.publish_policy == "review"
    assert profile.length_for("en-US") == LengthRange(min=40, max=80)
    assert profile.length_for("zh-CN") == LengthRange(min=60, max=120)
    assert load_profile(store, "s") == profile


def test_a_shop_without_a_profile_gets_todays_behaviour():
    profile = load_profile(MemoryStore(), "new-shop")
    assert profile.publish_policy == "auto" and not profile.restricted_terms and profile.length_for("en-US") is None


def test_language_length_applies_to_every_locale_of_it():
    profile = ShopProfile(shop_id="s", lengths={"zh": "50-100", "zh-TW": "70-140"})
    assert profile.length_for("zh-CN") == LengthRange(min=50, max=100)
    assert profile.length_for("zh-TW") == LengthRange(min=70, max=140)
    assert profile.length_for("en-US") is None


def test_the_cache_rereads_after_its_ttl():
    store = MemoryStore()
    fresh = ProfileCache(ttl=0)
    fresh.get(store, "s")
    store.rows["s"] = {"shop_id": "s", "publish_policy": "review"}
    assert fresh.get(store, "s").publish_policy == "review" and store.reads == 2
    held = ProfileCache(ttl=3600)
    held.get(store, "t")
    store.rows["t"] = {"shop_id": "t", "publish_policy": "review"}
    assert held.get(store, "t").publish_policy == "auto" and store.reads == 3  # within the ttl: not read again


def test_product_audience_first_then_the_shops():
    profile = ShopProfile(shop_id="s", audiences=["commuters"])
    assert audience(profile, ["runners"]) == "runners"
    assert audience(profile, []) == "commuters"
    assert audience(ShopProfile(shop_id="s"), []) is None


def test_every_audience_to_publish_for_and_the_locales_to_write():
    from workers.shop import audiences, locales

    shop = ShopProfile(shop_id="s", audiences=["commuters", "gamers", "runners"], locales=["en-US", "zh-CN"])
    assert audiences(shop, [], limit=4) == ["commuters", "gamers", "runners"]
    assert audiences(shop, ["office", "office"], limit=4) == ["office"]
    assert audiences(shop, [], limit=2) == ["commuters", "gamers"]  # one candidate each at least
    assert audiences(ShopProfile(shop_id="s"), [], limit=4) == [None]
    en = Product(product_id="p", title="T", category="c", locale="en-GB")
    assert locales(shop, en) == ["en-US", "zh-CN"]  # the shop's, when the product names none
    assert locales(shop, en.model_copy(update={"target_locales": ["de-DE"]})) == ["de-DE"]
    assert locales(ShopProfile(shop_id="s"), en) == ["en-GB"]


def test_prompt_without_a_style_is_unchanged_and_with_one_carries_it():
    p = product()
    assert prompts.instruction("en-US", None) == prompts.instruction("en-US")
    assert "bullet" not in prompts.instruction("en-US")
    style = writing_style(ShopProfile(shop_id="s", tone="playful", format="bullets", lengths={"en-US": "20-30"},
                                      voice="Say 'we', never 'the brand'.", required_phrases=["Free returns"]),
                          "en-US")
    _system, user = prompts.chat_messages(p, "en-US", style=style)
    ask = user["content"]
    assert "3 to 5 bullet points" in ask and "20 to 30 words" in ask and "light and friendly" in ask
    # The shop's free text is data (inside the JSON), never part of the instruction itself.
    instruction, data = ask.split("Product data (JSON):\n")
    assert "never 'the brand'" not in instruction and "never 'the brand'" in data and "Free returns" in data
    assert "word for word" in instruction
    plain = prompts.plain_prompt(p, "zh-CN", style=writing_style(ShopProfile(shop_id="s", tone="minimal"), "zh-CN"))
    assert "plain and spare" in plain and "60 to 160 characters" in plain


def test_ranking_uses_the_shops_length_range():
    text = " ".join(["word"] * 20)
    assert ranking.length_fit(text, "en-US") < 1.0  # the default band starts at 24 words
    assert ranking.length_fit(text, "en-US", (20, 30)) == 1.0
    scored = ranking.score(product(), "en-US", [text], loglik=[-1.0], issues=[[]], similarity=[None],
                           duplicate=[False], length_range=(20, 30))
    assert scored[0].scores["length"] == 1.0 and "target 12-36" in scored[0].explanation


def candidate(issues: list[dict] | None = None) -> DescriptionCandidate:
    return DescriptionCandidate(event_id="e", shop_id="s", product_id="p1", locale="en-US", idx=0, raw_text="x",
                                text="x", issues=issues or [])


def version(owner: str | None) -> PublishedDescription:
    return PublishedDescription(shop_id="s", product_id="p1", locale="en-US", version=3, text="t", event_id="e0",
                                owner=owner)


@pytest.mark.parametrize("policy", ["auto", "review", "auto-if-clean"])
def test_a_merchants_text_holds_every_candidate_whatever_the_policy(policy):
    why = hold_reason(ShopProfile(shop_id="s", publish_policy=policy), candidate(), version("merchant"))
    assert why and "merchant" in why and "version 3" in why


def test_publishing_policies():
    fixed = candidate([{"code": "banned_term", "before": "best", "after": ""}])
    auto, review, clean = (ShopProfile(shop_id="s", publish_policy=p) for p in ("auto", "review", "auto-if-clean"))
    assert hold_reason(auto, fixed, version(None)) is None
    assert hold_reason(review, candidate(), None) and "review" in hold_reason(review, candidate(), None)
    assert hold_reason(clean, candidate(), version(None)) is None
    assert "banned_term" in hold_reason(clean, fixed, version(None))


def test_edit_needs_text():
    with pytest.raises(ValidationError, match="edit needs the new text"):
        ReviewDecision(action="edit")
    assert ReviewDecision(action="reject", why=" too long ").why == "too long"


def test_a_candidate_with_nothing_left_or_untranslated_values_waits_for_a_person_under_any_policy():
    untranslated = candidate([{"code": "untranslated", "before": "ports: 1 x HDMI 4K@30Hz", "after": ""}])
    emptied = candidate([{"code": "wrong_product_type", "before": "It is a desk.", "after": ""}])
    emptied.text = ""
    for policy in ("auto", "review", "auto-if-clean"):
        profile = ShopProfile(shop_id="s", publish_policy=policy)
        assert "ports: 1 x HDMI 4K@30Hz" in hold_reason(profile, untranslated, None)
        assert "no en-US form" in hold_reason(profile, untranslated, None)
        assert "no candidate passed the checks (wrong_product_type)" in hold_reason(profile, emptied, version(None))
    assert hold_reason(ShopProfile(shop_id="s"), candidate(), None) is None
