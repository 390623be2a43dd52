"""The hostile corpus against the validator alone, and the refusals that once crashed or accepted."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from schemas.events import EventRejected, decode_event, parse_event
from tests.factories import product_event, review_event
from tests.hostile import corpus


@pytest.mark.parametrize("seed", [20261101, 7, 99])
def test_every_case_gets_its_answer_from_the_validator(seed):
    wrong: Counter[str] = Counter()
    for case in corpus(seed):
        try:
            decode_event(case.body)
            got, errors = "accepted", []
        except EventRejected as exc:
            got, errors = "rejected", [e.model_dump() for e in exc.errors]
        expected = "accepted" if case.expect == "accepted" else "rejected"
        if got != expected or (got == "rejected" and not case.error_names_field(errors)):
            wrong[case.category] += 1
    assert not wrong, wrong


def _fields(raw: bytes) -> list[str]:
    with pytest.raises(EventRejected) as info:
        decode_event(raw)
    return [e.field for e in info.value.errors]


def test_json_nested_past_the_parser_stack_is_rejected_not_a_crash():
    assert _fields(b'{"event_type":"product.created","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}") == ["(body)"]


def test_a_key_sent_twice_is_ambiguous_and_rejected():
    body = json.dumps(product_event(title="Safe title"))[:-1] + ', "title": "<script>x</script>"}'
    assert _fields(body.encode()) == ["title"]


def test_an_unpaired_surrogate_is_rejected_wherever_it_is():
    event = product_event()
    event["extra"] = {"note": "QQ"}
    body = json.dumps(event).replace('"QQ"', '"\\ud800"').encode()
    assert _fields(body) == ["extra.note"]
    with pytest.raises(EventRejected, match="surrogate"):
        parse_event({**product_event(), "title": "Head\udc00phones"})


def test_a_price_in_exponent_form_is_rejected_before_it_expands():
    for amount in ["1e-999999999", "1E+5", "NaN", "Infinity", "0x10"]:
        assert _fields(json.dumps(product_event(price={"amount": amount, "currency": "USD"})).encode()) == \
            ["price.amount"]
    assert parse_event(product_event(price={"amount": "0.50", "currency": "EUR"})).price.amount == "0.50"


def test_a_review_without_words_names_the_text_field():
    assert _fields(json.dumps(review_event("p-1", text="!!! ???")).encode()) == ["text"]


def test_the_python_api_records_unstorable_rejects_safely(tmp_path):
    from sqlmodel import select

    from producers.intake import Intake
    from schemas.settings import Settings
    from schemas.tables import RejectedEvent

    intake = Intake(Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}"), source="api")
    outcome = intake.submit({**product_event(), "event_id": "nul\x00id", "title": "Head\ud800phones"})
    assert outcome.status == "rejected" and outcome.errors[0].field == "title"
    with intake.store.session() as s:
        (row,) = s.exec(select(RejectedEvent)).all()
    assert row.event_id == "nul\\u0000id" and "\\ud800" in row.raw
    deep: dict = {}
    for _ in range(50_000):
        deep = {"k": deep}
    circular: dict = {"event_type": "product.created"}
    circular["self"] = circular
    for payload in ({"event_type": "product.created", "x": deep}, circular):
        assert intake.submit(payload).status == "rejected"
