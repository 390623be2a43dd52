"""The realiser: a correct description written from a product's roles, in English or Chinese, with no model.

Every value is said as its role ("made of linen", "采用亚麻面料"), the type is
the subject, related roles share a sentence, and the openings vary with the
product so that a catalogue of similar products does not read as one text.
A value that has no form in the target language is left out, never copied
across scripts; what was left out is reported.
"""

from __future__ import annotations

import zlib

from schemas.events import Product
from workers.text.gate import is_unsafe
from workers.text.realise.en import English
from workers.text.realise.writer import Realised, say_value, type_noun
from workers.text.realise.zh import Chinese
from workers.text.roles import ProductFacts, inventory, lang_of

WRITER = "realiser"


def realise(product: Product, locale: str, *, facts: ProductFacts | None = None) -> Realised:
    """A description of `product` for `locale` from its roles alone."""
    inv = inventory()
    facts = facts or inv.facts(product, is_unsafe)
    lang = lang_of(locale)
    seed = zlib.crc32(f"{product.product_id}/{locale}".encode())
    own = lang_of(product.locale) == lang  # the shop wrote these values for this language
    writer = (Chinese if lang == "zh" else English)(inv, facts, seed, locale, own=own)
    return writer.write()


__all__ = ["WRITER", "Realised", "realise", "say_value", "type_noun"]
