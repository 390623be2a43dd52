"""The shops' read API on SQLite and PostgreSQL: per-shop keys, the routes' answers, and schemathesis over them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from producers.webhook import create_app
from schemas.events import parse_event
from schemas.settings import Settings
from schemas.tables import DescriptionCandidate
from tests.factories import product_event, uid
from workers.api_keys import create_key
from workers.store import Store


@dataclass
class Seeded:
    app: FastAPI
    store: Store
    shop: str
    product: str
    zh_product: str
    key: str
    other_key: str


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """Two shops; the first with an English product (two versions, candidates) and a Chinese one (a merchant's
    text after descflow's)."""
    url = (f"sqlite:///{tmp_path_factory.mktemp('read-api') / 'api.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    store = Store(url)
    shop, other = uid("shop"), uid("shop")
    en = product_event("en-US", shop_id=shop, audiences=["commuters"])
    zh = product_event("zh-CN", shop_id=shop)
    for e in (en, zh):
        store.upsert_product(parse_event(e))
    store.upsert_product(parse_event(product_event("en-US", shop_id=other, product_id=en["product_id"])))
    cands = store.add_candidates([
        DescriptionCandidate(event_id=en["event_id"], shop_id=shop, product_id=en["product_id"], locale="en-US", idx=i,
                             raw_text=t, text=t, model="house", chosen=i == 1,
                             decoding={"do_sample": True, "temperature": 0.8, "top_p": 0.92, "seed": 7 + i,
                                       "audience": "commuters"},
                             scores={"coverage": 0.5, "total": 0.4 + i / 10, "new_tokens": 30},
                             issues=[{"code": "banned_term", "before": "best", "after": "", "span": [0, 4],
                                      "detail": "", "round": 0}] if i == 0 else [])
        for i, t in enumerate(["Best Nordvik headphones.", "Nordvik headphones, 30 h of battery."])])
    pub = dict(shop_id=shop, product_id=en["product_id"], locale="en-US")
    store.publish(**pub, event_id=en["event_id"], text=cands[1].text, scores=cands[1].scores,
                  candidate_id=cands[1].id, reason="new product", cause="new_product", model="house",
                  decoding=cands[1].decoding, audience="commuters")
    store.publish(**pub, event_id=uid("evt"), text="Nordvik headphones, 32 h of battery, in black.",
                  scores={"total": 0.7}, candidate_id=None, reason="attribute change: battery life 30 h → 32 h",
                  cause="attribute_change", model="house", audience="commuters")
    zpub = dict(shop_id=shop, product_id=zh["product_id"], locale="zh-CN")
    store.publish(**zpub, event_id=zh["event_id"], text="声悦耳机续航30小时。", scores={"total": 0.6},
                  candidate_id=None, cause="new_product", model="house")
    store.publish(**zpub, event_id=uid("evt"), text="声悦头戴耳机续航40小时。", scores={}, candidate_id=None,
                  cause="manual", owner="merchant", reason="the merchant's own text")
    key, _ = create_key(store, shop, "storefront")
    other_key, _ = create_key(store, other)
    settings_ = Settings(database_url=url, webhook_secret="read-api-test", broker_url="redis://127.0.0.1:1/0")
    yield Seeded(create_app(settings_), store, shop, en["product_id"], zh["product_id"], key, other_key)


def get(seeded: Seeded, path: str, key: str | None = None, bearer: bool = True, **params):
    headers = {} if key is None else {"Authorization": f"Bearer {key}"} if bearer else {"X-Descflow-Key": key}
    with TestClient(seeded.app) as client:
        return client.get(path, headers=headers, params=params)


def test_keys_authenticate_and_read_only_their_own_shop(seeded):
    path = f"/products/{seeded.product}/description"
    assert get(seeded, path).status_code == 401
    assert "descflow shop key create" in get(seeded, path).json()["detail"]
    assert get(seeded, path, "dfk_000000000000_" + "a" * 43).status_code == 401
    assert get(seeded, path, seeded.key[:-1] + ("A" if seeded.key[-1] != "A" else "B")).status_code == 401
    mine = get(seeded, path, seeded.key)
    assert mine.status_code == 200 and mine.json()["text"].startswith("Nordvik headphones, 32 h")
    assert get(seeded, path, seeded.key, bearer=False).json() == mine.json()
    # The other shop has a product of the same id: its key reads that one, never ours; ours has no zh product there.
    theirs = get(seeded, path, seeded.other_key)
    assert theirs.status_code == 404 and "no published description" in theirs.json()["detail"]
    assert get(seeded, f"/products/{seeded.zh_product}/description", seeded.other_key).status_code == 404
    assert seeded.store.revoke_api_keys(seeded.shop, seeded.key.split("_")[1])
    try:
        assert get(seeded, path, seeded.key).status_code == 401
    finally:
        with seeded.store.session() as s:  # un-revoke for the other tests of the module
            from schemas.tables import ShopApiKey

            row = s.get(ShopApiKey, seeded.key.split("_")[1])
            row.revoked_at = None
            s.add(row)
            s.commit()


def test_description_by_locale_and_audience_and_helpful_404s(seeded):
    body = get(seeded, f"/products/{seeded.product}/description", seeded.key, audience="commuters").json()
    assert (body["version"], body["audience"], body["cause"], body["produced_by"]) == (2, "commuters",
                                                                                      "attribute_change", "house")
    assert get(seeded, f"/products/{seeded.product}/description", seeded.key).json()["version"] == 2  # default
    missing = get(seeded, f"/products/{seeded.product}/description", seeded.key, audience="gamers")
    assert missing.status_code == 404 and "commuters" in missing.json()["detail"]
    zh = get(seeded, f"/products/{seeded.product}/description", seeded.key, locale="zh-CN")
    assert zh.status_code == 404 and "published locales: en-US" in zh.json()["detail"]
    unknown = get(seeded, "/products/nope/description", seeded.key)
    assert unknown.status_code == 404 and "has no product 'nope'" in unknown.json()["detail"]
    merchant = get(seeded, f"/products/{seeded.zh_product}/description", seeded.key, audience="anyone").json()
    assert (merchant["owner"], merchant["produced_by"], merchant["text"]) == ("merchant", "merchant",
                                                                              "声悦头戴耳机续航40小时。")


def test_history_and_candidates(seeded):
    hist = get(seeded, f"/products/{seeded.product}/history", seeded.key).json()
    first, second = hist["versions"]
    assert (first["previous_version"], second["previous_version"]) == (None, 1)
    assert first["decoding"]["seed"] == 8 and first["model"] == "house"
    assert second["diff_text"] == "Nordvik headphones, [-30-]{+32+} h of battery{+, in black+}."
    zh = get(seeded, f"/products/{seeded.zh_product}/history", seeded.key).json()["versions"]
    assert zh[1]["diff_text"] == "声悦{+头戴+}耳机续航[-3-]{+4+}0小时。" and zh[1]["produced_by"] == "merchant"
    cands = get(seeded, f"/products/{seeded.product}/candidates", seeded.key).json()["candidates"]
    assert [(c["idx"], c["chosen"], c["audience"]) for c in cands] == [(0, False, "commuters"), (1, True, "commuters")]
    assert cands[0]["issues"][0] == {"code": "banned_term", "before": "best", "after": "", "span": [0, 4],
                                     "detail": ""}
    assert get(seeded, f"/products/{seeded.product}/candidates", seeded.other_key).json()["candidates"] == []


def test_schemathesis_finds_no_server_error_and_every_answer_matches_the_schema(seeded):
    """Fuzzed ids, locales and audiences, with and without the key; half the cases aim at a real product.

    Every check schemathesis has runs on each answer: no 5xx, status codes and bodies as documented,
    a request without the key refused.
    """
    schema = schemathesis.openapi.from_asgi("/openapi.json", seeded.app).include(path_regex="^/products/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert sorted(op.path for op in operations) == ["/products/{product_id}/candidates",
                                                    "/products/{product_id}/description",
                                                    "/products/{product_id}/history"]
    seen: set[int] = set()
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def exercise(case) -> None:
            if len(case.path_parameters["product_id"]) % 2:
                case.path_parameters["product_id"] = seeded.product
            headers = {"Authorization": f"Bearer {seeded.key}"} if len(str(case.query or "")) % 3 else {}
            response = case.call_and_validate(headers=headers)
            assert response.status_code < 500
            seen.add(response.status_code)

        exercise()
    assert {200, 401, 404} <= seen
