"""Events that cross descflow's edges, validated once at the door.

Every limit here exists so that a hostile or broken shop cannot push unbounded
work or storage into the queues: a string, a list and a mapping all have caps.
Unknown fields are ignored by the models and kept in the raw payload that the
intake stores beside the event.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)

SCHEMA_VERSION = 1

MAX_TITLE = 300
MAX_TEXT = 5_000
MAX_SELLER_TEXT = 20_000
MAX_ATTRIBUTES = 64
MAX_ATTR_NAME = 64
MAX_ATTR_VALUE = 500
MAX_LIST = 32
MAX_URL = 2_048

_AMOUNT = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$"
_LOCALE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"

# Control characters other than tab/newline, and zero-width/bidi format
# characters, have no place in product copy; they are stripped, not rejected,
# because shops paste them in from spreadsheets all the time.
_STRIP_CATEGORIES = {"Cc", "Cf"}
_KEEP = {"\n", "\t"}


def clean_text(value: str) -> str:
    """Drop control and zero-width characters and trim whitespace.

    Printable text (nearly all of it) has none to drop: str.isprintable is false for every Cc and Cf character,
    and it answers in C what the loop below asks character by character.
    """
    if value.isprintable():
        return value.strip()
    cleaned = "".join(
        ch for ch in value if ch in _KEEP or unicodedata.category(ch) not in _STRIP_CATEGORIES
    )
    return cleaned.strip()


def _non_empty(value: str) -> str:
    if not value:
        raise ValueError("must not be empty (after removing control characters)")
    return value


Id = Annotated[str, StringConstraints(pattern=_ID_PATTERN)]
Locale = Annotated[str, StringConstraints(pattern=_LOCALE_PATTERN, max_length=35)]


def _text(max_length: int) -> Any:
    return Annotated[
        str,
        StringConstraints(max_length=max_length),
        AfterValidator(clean_text),
        AfterValidator(_non_empty),
    ]


Title = _text(MAX_TITLE)
ShortText = _text(120)
ReviewText = _text(MAX_TEXT)
SellerText = _text(MAX_SELLER_TEXT)
AttrName = _text(MAX_ATTR_NAME)
AttrText = _text(MAX_ATTR_VALUE)
AttrValue = Union[
    AttrText,
    Annotated[float, Field(allow_inf_nan=False)],
    Annotated[list[AttrText], Field(max_length=MAX_LIST)],
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class Price(_Model):
    amount: Annotated[str, StringConstraints(max_length=24)] = Field(
        description="Decimal string, e.g. '19.99'; never a float, so no rounding creeps in."
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

    @field_validator("amount")
    @classmethod
    def _decimal(cls, value: str) -> str:
        # Plain notation only: Decimal would also take '1e-999999999', whose fixed-point
        # form is a billion characters long.
        if not _AMOUNT.fullmatch(value):
            raise ValueError("must be a decimal number written as a string, e.g. '19.99' (digits, one optional "
                             "point, no exponent)")
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError("must be a decimal number written as a string, e.g. '19.99'") from None
        if not number.is_finite():
            raise ValueError("must be a finite number")
        if number < 0:
            raise ValueError("must not be negative")
        if number >= Decimal("1e12"):
            raise ValueError("is implausibly large (>= 1e12)")
        return format(number, "f")


class Product(_Model):
    """What a description is written from; the engines take this, not an event."""

    product_id: Id
    title: Title
    category: ShortText
    locale: Locale
    brand: ShortText | None = None
    price: Price | None = None
    attributes: dict[AttrName, AttrValue] = Field(default_factory=dict)
    seller_description: SellerText | None = None
    merchant_description: SellerText | None = Field(
        None, description="Text the merchant wrote for the product's locale: published as is and never "
                          "replaced automatically (descflow's candidates go to review instead).")
    image_urls: Annotated[
        list[Annotated[str, StringConstraints(max_length=MAX_URL, pattern=r"^https?://\S+$")]],
        Field(max_length=MAX_LIST),
    ] = Field(default_factory=list)
    target_locales: Annotated[list[Locale], Field(max_length=8)] = Field(default_factory=list)
    audiences: Annotated[list[ShortText], Field(max_length=8)] = Field(default_factory=list)

    @field_validator("attributes")
    @classmethod
    def _attribute_count(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_ATTRIBUTES:
            raise ValueError(f"has {len(value)} entries; at most {MAX_ATTRIBUTES} are allowed")
        return value

    @property
    def locales(self) -> list[str]:
        """Locales to write for: the targets, or the product's own locale."""
        seen: list[str] = []
        for loc in self.target_locales or [self.locale]:
            if loc not in seen:
                seen.append(loc)
        return seen


class Review(_Model):
    review_id: Id
    product_id: Id
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    text: ReviewText
    locale: Locale | None = None

    @field_validator("text")
    @classmethod
    def _has_words(cls, value: str) -> str:
        if not re.search(r"\w", value):
            raise ValueError("has no words in it (only punctuation or symbols)")
        return value


class _Envelope(_Model):
    event_id: Id = Field(description="The shop's own delivery id: the idempotency key.")
    occurred_at: datetime
    shop_id: Id
    schema_version: Annotated[int, Field(ge=1, le=SCHEMA_VERSION)] = SCHEMA_VERSION

    @field_validator("occurred_at")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a time zone offset, e.g. 2026-01-31T12:00:00Z")
        if not 2000 <= value.year <= 2100:
            raise ValueError("is outside the years 2000-2100")
        return value


class ProductEvent(_Envelope, Product):
    event_type: Literal["product.created", "product.updated"]

    def product(self) -> Product:
        return Product.model_validate(self.model_dump(include=set(Product.model_fields)))


class ReviewEvent(_Envelope, Review):
    event_type: Literal["review.received"]

    def review(self) -> Review:
        return Review.model_validate(self.model_dump(include=set(Review.model_fields)))


Event = Annotated[Union[ProductEvent, ReviewEvent], Field(discriminator="event_type")]
EVENT_TYPES = ("product.created", "product.updated", "review.received")

_event_adapter: TypeAdapter[ProductEvent | ReviewEvent] = TypeAdapter(Event)

MAX_PAYLOAD_BYTES = 256 * 1024
MAX_JSON_DEPTH = 8


class FieldError(_Model):
    field: str
    reason: str


class EventRejected(ValueError):
    """Raised when a payload is not a valid event; carries field-level reasons."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))

    @classmethod
    def single(cls, field: str, reason: str) -> EventRejected:
        return cls([FieldError(field=field, reason=reason)])

    @classmethod
    def from_validation(cls, exc: ValidationError) -> EventRejected:
        errors = []
        for err in exc.errors(include_url=False):
            loc = [str(p) for p in err["loc"]]
            # The discriminated union puts the event type first in the path.
            if loc and loc[0] in EVENT_TYPES:
                loc = loc[1:]
            errors.append(FieldError(field=".".join(loc) or "(event)", reason=err["msg"]))
        return cls(errors)


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _unpaired_surrogate(value: Any, path: str = "") -> str | None:
    """Path of the first string (key or value) with a lone UTF-16 surrogate, which no database can store."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return where or "(event)"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and _SURROGATE.search(key):
                    return where or "(event)"
                stack.append((child, name))
        elif isinstance(item, list):
            stack.extend((child, f"{where}.{i}" if where else str(i)) for i, child in enumerate(item))
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_event(payload: dict[str, Any]) -> ProductEvent | ReviewEvent:
    """Validate a decoded JSON object as an event or raise EventRejected (and nothing else)."""
    if not isinstance(payload, dict):
        raise EventRejected.single("(event)", "must be a JSON object")
    if _depth(payload) > MAX_JSON_DEPTH:
        raise EventRejected.single("(event)", f"is nested deeper than {MAX_JSON_DEPTH} levels")
    bad = _unpaired_surrogate(payload)
    if bad is not None:
        raise EventRejected.single(bad, "contains an unpaired UTF-16 surrogate (\\ud800-\\udfff): not valid text")
    event_type = payload.get("event_type")
    if event_type not in EVENT_TYPES:
        raise EventRejected.single(
            "event_type", f"must be one of {', '.join(EVENT_TYPES)} (got {str(event_type)[:40]!r})"
        )
    try:
        return _event_adapter.validate_python(payload)
    except ValidationError as exc:
        raise EventRejected.from_validation(exc) from None


def decode_event(raw: bytes) -> tuple[dict[str, Any], ProductEvent | ReviewEvent]:
    """Decode raw bytes (UTF-8 JSON) and validate; return the raw object too."""
    import json

    if len(raw) > MAX_PAYLOAD_BYTES:
        raise EventRejected.single("(body)", f"is {len(raw)} bytes; the limit is {MAX_PAYLOAD_BYTES}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EventRejected.single("(body)", f"is not valid UTF-8 (byte {exc.start})") from None
    try:
        payload = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)
    except DuplicateKey as exc:
        raise EventRejected.single(exc.key, "appears twice in one JSON object; send each field once") from None
    except RecursionError:
        raise EventRejected.single("(body)", f"is nested far deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:
        raise EventRejected.single("(body)", f"is not valid JSON: {str(exc)[:200]}") from None
    return payload, parse_event(payload)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class DuplicateKey(ValueError):
    """Two values for one key: parsers disagree on which wins, so the event is ambiguous."""

    def __init__(self, key: str):
        self.key = key[:64]
        super().__init__(key)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


class DescriptionPublished(_Model):
    """The event descflow emits when a description version goes live."""

    event_type: Literal["description.published"] = "description.published"
    shop_id: str
    product_id: str
    locale: str
    version: int
    text: str
    scores: dict[str, float]
    source_event_id: str
    published_at: datetime
    reason: str | None = None  # new product, product update, reviews: …
    cause: str | None = None  # new_product, attribute_change, product_update, review_refresh, manual
    audience: str | None = None  # the audience it was written for; None: no particular one
