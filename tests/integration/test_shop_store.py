"""Shop profiles and the review queue in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from schemas.tables import ReviewItem
from tests.factories import uid
from workers.shop import load_profile, replace_profile, update_profile
from workers.store import Store


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path) -> Store:
    url = f"sqlite:///{tmp_path / 'shop.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    return Store(url)


def item(shop: str, product: str, event_id: str, text: str = "t") -> ReviewItem:
    return ReviewItem(shop_id=shop, product_id=product, locale="en-US", event_id=event_id, candidate_id=1,
                      text=text, held_because="the shop reviews every description")


def test_profiles_round_trip_and_import_replaces_the_whole_profile(store):
    shop = uid("shop")
    update_profile(store, shop, {"tone": "premium", "restricted_terms": ["cheap"]})
    assert load_profile(store, shop).restricted_terms == ["cheap"]
    replace_profile(store, {"shop_id": shop, "format": "bullets"})
    profile = load_profile(store, shop)
    assert profile.format == "bullets" and profile.tone == "professional" and profile.restricted_terms == []


def test_a_hold_is_kept_once_and_a_newer_one_supersedes_it(store):
    shop, product = uid("shop"), uid("p")
    e1, e2 = uid("e"), uid("e")
    first = store.hold_for_review(item(shop, product, e1, "first"))
    again = store.hold_for_review(item(shop, product, e1, "first, redelivered"))
    assert again.id == first.id and again.text == "first"
    second = store.hold_for_review(item(shop, product, e2, "second"))
    assert [i.id for i in store.review_items(shop_id=shop)] == [second.id]
    assert store.review_item(first.id).status == "superseded"


def test_a_decision_is_recorded_once(store):
    shop = uid("shop")
    held = store.hold_for_review(item(shop, uid("p"), uid("e")))
    assert store.decide_review(held.id, "rejected", note="off-brand").status == "rejected"
    assert store.decide_review(held.id, "approved") is None
    assert store.review_item(held.id).note == "off-brand"


def test_a_merchant_version_is_marked_and_found_as_current(store):
    shop, product = uid("shop"), uid("p")
    e1, e2 = uid("e"), uid("e")
    store.publish(shop_id=shop, product_id=product, locale="en-US", event_id=e1, text="ours", scores={},
                  candidate_id=1)
    store.publish(shop_id=shop, product_id=product, locale="en-US", event_id=e2, text="mine", scores={},
                  candidate_id=None, owner="merchant")
    current = store.current_description(shop, product, "en-US")
    assert (current.version, current.text, current.owner) == (2, "mine", "merchant")
    assert store.published_for(e1, "en-US").owner is None


def test_a_database_from_before_the_history_columns_gets_them_on_start(tmp_path, postgres_url):
    """audience is NOT NULL with a default: added as such, old rows reading '' (no audience)."""
    import uuid

    import sqlalchemy as sa

    from workers.store import add_missing_columns

    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    name = f"descflow_legacy_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    urls = [f"sqlite:///{tmp_path / 'legacy.db'}", postgres_url.rsplit("/", 1)[0] + "/" + name]
    try:
        for url in urls:
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.execute(sa.text("create table published_descriptions (id integer primary key, shop_id "
                                     "varchar(128), product_id varchar(128), locale varchar(35), version integer, "
                                     "text text, scores json, event_id varchar(128), candidate_id integer, "
                                     "reason varchar(300), announced boolean, created_at timestamp, owner varchar(16))"))
                conn.execute(sa.text("insert into published_descriptions (id, shop_id, product_id, locale, version, "
                                     "text, event_id) values (1, 's', 'p', 'en-US', 1, 'old text', 'e1')"))
            added = add_missing_columns(engine)
            assert {"published_descriptions.audience", "published_descriptions.cause",
                    "published_descriptions.model", "published_descriptions.decoding"} <= set(added), url
            with engine.connect() as conn:
                assert conn.execute(sa.text("select audience from published_descriptions")).scalar_one() == ""
            engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()
